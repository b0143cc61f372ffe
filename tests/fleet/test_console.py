"""The fleet console over real HTTP: login and roles (enforced on the server), KPIs, the exception list's
order, filters, search and paging (SQL-side), the kiosk page, remote actions that become heartbeat commands
and are audited, the alarm workflow, supply forecasts, and the JSON API the pages are built from."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx

from central_sim.console.status import assess
from central_sim.server import ServerHandle
from kiosk.central.client import CentralClient
from tests.central.pg_fixtures import BOTH_BACKENDS
from tests.fleet.conftest import Clock
from tests.fleet.fixtures import heartbeat_state

Session = Callable[[str], httpx.Client]


def beat(central: ServerHandle, kiosk_id: str, seq: int = 1, **state: Any) -> list[dict[str, Any]]:
    """One heartbeat from ``kiosk_id``, stored and seen by the console; returns the commands sent back."""
    with CentralClient(central.url, kiosk_id) as c:
        reply = c.heartbeat({**heartbeat_state(**state), "kiosk_id": kiosk_id, "seq": seq})
    settle(central)
    return [dict(cmd) for cmd in reply.commands]


def alarm(central: ServerHandle, kiosk_id: str, event_id: str, code: str, severity: str = "critical") -> None:
    with CentralClient(central.url, kiosk_id) as c:
        c.send_events([{"event_id": event_id, "at": "2026-11-27T09:00:00+08:00", "type": "device_alarm",
                        "device": "issuer", "severity": severity, "code": code, "message": "masked text"}])


def settle(central: ServerHandle) -> None:
    """What the central's flush loop does each second: store buffered heartbeats, then the console's sync."""
    central.central.heartbeats.flush()
    for hook in central.central.after_flush:
        hook()


def kiosk_ids(page: str) -> list[str]:
    return re.findall(r'<tr data-kiosk="([^"]+)"', page)


def populate(central: ServerHandle, clock: Clock) -> None:
    beat(central, "FZ-GL-0001")                                      # healthy
    beat(central, "FZ-GL-0002", paper="out")                         # critical: a supply out
    beat(central, "FZ-TJ-0001", dead_letters=3, ribbon="low")        # major: dead letters
    beat(central, "FZ-CS-0007", version="0.2.0")                    # set out of service later (not registered)
    beat(central, "FZ-MW-0003", version="0.2.0")                     # will go silent
    settle(central)
    clock.advance(minutes=10)
    for kid in ("FZ-GL-0001", "FZ-GL-0002", "FZ-TJ-0001", "FZ-CS-0007"):
        kw: dict[str, Any] = {"FZ-GL-0002": {"paper": "out"}, "FZ-TJ-0001": {"dead_letters": 3, "ribbon": "low"},
                              "FZ-CS-0007": {"mode": "out_of_service", "version": "0.2.0"}}.get(kid, {})
        beat(central, kid, seq=2, **kw)


def test_status_rule() -> None:
    assert assess(heartbeat_state(), []).status == "in_service"
    low = assess(heartbeat_state(ribbon="low"), [])
    assert (low.status, low.severity) == ("in_service", 1)  # a low supply is a warning, service is not reduced
    out = assess(heartbeat_state(paper="out"), [])
    assert (out.status, out.severity) == ("degraded", 3)
    broken = assess(heartbeat_state(issuer="hardware_error"), [])
    assert broken.status == "degraded" and broken.problems[0] == {"kind": "device", "code": "hardware_error",
                                                                  "device": "issuer", "detail": "card_jam"}
    assert assess(heartbeat_state(mode="maintenance"), []).status == "out_of_service"
    assert assess(heartbeat_state(), [{"severity": "critical", "code": "jam", "device": "issuer"}]).severity == 3
    assert assess(heartbeat_state(), [], audit_problem="rewound: record 42 → 7").severity == 3
    assert assess(heartbeat_state(link_online=False), []).status == "degraded"


def test_pages_need_a_login_and_a_wrong_password_is_refused(central: ServerHandle) -> None:
    with httpx.Client(base_url=central.url, timeout=10) as anon:
        r = anon.get("/console/kiosks/FZ-GL-0001")
        assert r.status_code == 303 and r.headers["location"].startswith("/console/login")
        assert anon.get("/console/api/summary").status_code == 401
        r = anon.post("/console/login", data={"user": "otto", "password": "wrong", "next": "/console"})
        assert r.status_code == 303 and "failed=1" in r.headers["location"]
        anon.cookies.set("sscard_console", "otto|admin|9999999999|forged")
        assert anon.get("/console/api/summary").status_code == 401


@BOTH_BACKENDS
def test_kpis_and_exception_list_order(central: ServerHandle, clock: Clock, session: Session) -> None:
    populate(central, clock)
    s = session("vera")
    page = s.get("/console").text
    # silent first, then critical, then major by age (dead letters since the start, out of service since
    # 10 minutes later); healthy kiosks are not listed
    assert kiosk_ids(page) == ["FZ-MW-0003", "FZ-GL-0002", "FZ-TJ-0001", "FZ-CS-0007"]
    k = s.get("/console/api/summary").json()
    assert k["kiosks"] == {"in_service": 2, "degraded": 1, "out_of_service": 1, "silent": 1}
    assert k["dead_letters"] == 3 and k["supplies_out_24h"] == 1  # the paper that is out already
    assert kiosk_ids(s.get("/console", params={"all": "1", "sort": "kiosk"}).text) == [
        "FZ-CS-0007", "FZ-GL-0001", "FZ-GL-0002", "FZ-MW-0003", "FZ-TJ-0001"]


@BOTH_BACKENDS
def test_filters_search_and_paging(central: ServerHandle, clock: Clock, session: Session) -> None:
    populate(central, clock)
    s = session("vera")

    def ids(**params: str) -> list[str]:
        return kiosk_ids(s.get("/console", params={"all": "1", "sort": "kiosk", **params}).text)

    assert ids(district="GL") == ["FZ-GL-0001", "FZ-GL-0002"]
    assert ids(branch="台江区行政服务中心") == ["FZ-TJ-0001"]
    assert ids(state="silent") == ["FZ-MW-0003"]
    assert ids(state="out_of_service") == ["FZ-CS-0007"]
    assert ids(state="in_service") == ["FZ-GL-0001", "FZ-TJ-0001"]
    assert ids(version="0.2.0") == ["FZ-CS-0007", "FZ-MW-0003"]
    assert ids(device_class="issuing") == ids() and ids(device_class="service") == []
    assert ids(q="tj-00") == ["FZ-TJ-0001"] and ids(q="鼓楼") == ["FZ-GL-0001", "FZ-GL-0002"]
    assert ids(per_page="2") == ["FZ-CS-0007", "FZ-GL-0001"]
    page3 = s.get("/console", params={"all": "1", "sort": "kiosk", "per_page": "2", "page": "3"}).text
    assert kiosk_ids(page3) == ["FZ-TJ-0001"] and "3 / 3" in page3 and 'id="next"' not in page3
    assert 'rel="prev"' in page3 and "per_page=2" in page3  # the pager keeps the filters
    api = s.get("/console/api/kiosks", params={"district": "GL", "all": "1", "sort": "kiosk"}).json()
    assert api["total"] == 2 and [i["kiosk_id"] for i in api["items"]] == ["FZ-GL-0001", "FZ-GL-0002"]
    assert api["facets"]["district"] == ["CS", "GL", "MW", "TJ"]  # districts from the ids when not registered
    assert api["facets"]["branch"] == ["鼓楼区社保中心"]  # branches offered within the chosen district only
    assert "<select name=\"branch\">" not in s.get("/console").text


def _csrf(page: str) -> str:
    found = re.search(r'name="csrf" value="([0-9a-f]+)"', page)
    assert found, "no action form on the page"
    return found.group(1)


@BOTH_BACKENDS
def test_remote_actions_need_the_role_a_confirmation_and_a_reason(central: ServerHandle, clock: Clock,
                                                                   session: Session) -> None:
    populate(central, clock)
    viewer, operator, admin = session("vera"), session("otto"), session("ada")
    url = "/console/kiosks/FZ-GL-0002/actions"
    page = operator.get("/console/kiosks/FZ-GL-0002").text
    token = _csrf(page)
    good = {"csrf": token, "action": "out_of_service", "reason": "paper out, technician sent", "confirm": "yes"}
    assert 'data-action="restart"' not in page  # the operator is not offered a restart…
    # …and cannot do it by posting anyway (the server decides, not the page)
    assert operator.post(url, data={**good, "action": "restart"}).status_code == 403
    viewer_token = _csrf(admin.get("/console/kiosks/FZ-GL-0002").text)  # any valid token: the role still fails
    viewer.cookies.set("sscard_console", viewer.cookies["sscard_console"])
    assert viewer.post(url, data={**good, "csrf": viewer_token}).status_code == 403
    assert operator.post(url, data={**good, "confirm": ""}).status_code == 400
    assert operator.post(url, data={**good, "reason": " "}).status_code == 400
    assert operator.post(url, data={**good, "csrf": "0" * 32}).status_code == 403
    assert beat(central, "FZ-GL-0002", seq=3, paper="out") == []  # nothing was queued by the refusals
    r = operator.post(url, data=good)
    assert r.status_code == 303 and r.headers["location"] == "/console/kiosks/FZ-GL-0002?done=1"
    admin_token = _csrf(admin.get("/console/kiosks/FZ-GL-0002").text)
    assert admin.post(url, data={**good, "csrf": admin_token, "action": "restart", "reason": "stuck UI"}
                      ).status_code == 303
    commands = beat(central, "FZ-GL-0002", seq=4, paper="out")
    assert [(c["type"], c.get("mode")) for c in commands] == [("set_mode", "out_of_service"), ("restart_app", None)]
    page = viewer.get("/console/kiosks/FZ-GL-0002").text
    oplog = page[page.index('id="oplog"'):]
    assert "otto (operator)" in oplog and "paper out, technician sent" in oplog and "ada (admin)" in oplog
    assert oplog.count("<tr>") == 2  # refusals are not actions
    assert "data-action=" not in page  # a viewer is offered no action at all


def test_actions_over_the_json_api(central: ServerHandle, clock: Clock, session: Session) -> None:
    populate(central, clock)
    operator = session("otto")
    token = operator.get("/console/api/session").json()["csrf"]
    url = "/console/api/kiosks/FZ-TJ-0001/actions"
    body = {"action": "diagnostics", "reason": "dead letters, need the bundle", "confirm": True}
    assert operator.post(url, json=body).status_code == 403  # no X-CSRF-Token
    assert operator.post(url, json={**body, "confirm": "yes"}, headers={"X-CSRF-Token": token}).status_code == 400
    r = operator.post(url, json=body, headers={"X-CSRF-Token": token})
    assert r.status_code == 201 and r.json()["command"]["type"] == "upload_diagnostics"
    r = operator.post(url, json={**body, "action": "restart"}, headers={"X-CSRF-Token": token})
    assert r.status_code == 403 and r.json()["error"] == "role_forbidden"
    detail = operator.get("/console/api/kiosks/FZ-TJ-0001").json()
    assert [a["action"] for a in detail["audit_log"]] == ["diagnostics"]
    assert json.loads(detail["commands"][0]["command"])["type"] == "upload_diagnostics"


def test_alarm_acknowledge_assign_resolve(central: ServerHandle, clock: Clock, session: Session) -> None:
    populate(central, clock)
    alarm(central, "FZ-GL-0001", "a-1", "feeder_empty")
    viewer, operator = session("vera"), session("otto")
    assert kiosk_ids(viewer.get("/console").text)[:3] == ["FZ-MW-0003", "FZ-GL-0002", "FZ-GL-0001"]  # critical alarm
    page = operator.get("/console/kiosks/FZ-GL-0001").text
    assert "空白卡用尽" in page  # the alarm code's label
    token = _csrf(page)
    url = "/console/alarms/a-1"
    assert viewer.post(url, data={"csrf": token, "op": "acknowledge"}).status_code == 403
    assert operator.post(url, data={"csrf": token, "op": "acknowledge", "note": "seen"}).status_code == 303
    assert operator.post(url, data={"csrf": token, "op": "assign", "assignee": ""}).status_code == 400
    assert operator.post(url, data={"csrf": token, "op": "assign", "assignee": "李工"}).status_code == 303
    page = viewer.get("/console/kiosks/FZ-GL-0001?lang=en").text
    assert "Assigned → 李工" in page and "Card feeder empty" in page
    assert operator.post(url, data={"csrf": token, "op": "resolve", "note": ""}).status_code == 400
    assert operator.post(url, data={"csrf": token, "op": "resolve", "note": "refilled 200 cards"}).status_code == 303
    assert "FZ-GL-0001" not in kiosk_ids(viewer.get("/console").text)  # resolved: no longer an exception
    log = operator.get("/console/api/kiosks/FZ-GL-0001").json()["audit_log"]
    assert [e["action"] for e in log] == ["alarm_resolve", "alarm_assign", "alarm_acknowledge"]
    assert log[0]["reason"] == "refilled 200 cards" and log[1]["detail"].endswith("→ 李工")


def test_kiosk_page_timeline_forecast_and_audit_head(central: ServerHandle, clock: Clock, session: Session) -> None:
    beat(central, "FZ-GL-0001", cards_fed=100, audit_seq=42)
    clock.advance(hours=1)
    beat(central, "FZ-GL-0001", seq=2, cards_fed=110, blank_cards="low", audit_seq=42)
    clock.advance(minutes=1)
    beat(central, "FZ-GL-0001", seq=3, cards_fed=110, blank_cards="low", issuer="hardware_error", audit_seq=42)
    s = session("vera")
    d = s.get("/console/api/kiosks/FZ-GL-0001").json()
    # 10 cards in 61 minutes; "low" means 20 left (the kiosk's threshold): about 2 hours to go
    assert d["supplies"]["issuer.blank_cards"] == {"level": "low", "hours_left": 2.0}
    assert d["supplies"]["issuer.ribbon"] == {"level": "ok", "hours_left": None}
    assert s.get("/console/api/summary").json()["supplies_out_24h"] == 1
    changes = [(h["kind"], h["name"], h["value"]) for h in d["history"]]
    assert changes[0] == ("device", "issuer", "hardware_error") and ("device", "issuer", "online") in changes
    page = s.get("/console/kiosks/FZ-GL-0001?lang=en").text
    assert "Hardware error (Card jam)" in page and "verified · #42" in page and "0.1.0" in page
    assert s.get("/console/kiosks/FZ-NONE-1").status_code == 404


def test_silence_and_its_end_are_on_the_timeline(central: ServerHandle, clock: Clock, session: Session) -> None:
    beat(central, "FZ-GL-0001")
    clock.advance(minutes=7)
    s = session("vera")
    assert s.get("/console/api/kiosks/FZ-GL-0001").json()["state"] == "silent"
    beat(central, "FZ-GL-0001", seq=2, link_online=False)
    d = s.get("/console/api/kiosks/FZ-GL-0001").json()
    assert d["state"] == "degraded"
    assert ("heartbeat", "resumed", "420") in [(h["kind"], h["value"], h["detail"]) for h in d["history"]]
    assert ("link", "offline") in [(h["kind"], h["value"]) for h in d["history"]]


def test_map_colours_each_site_by_its_worst_kiosk(central: ServerHandle, clock: Clock, session: Session) -> None:
    populate(central, clock)
    s = session("vera")
    sites = {(r["district"], r["branch"]): r for r in s.get("/console/api/map").json()["sites"]}
    assert sites[("GL", "鼓楼区社保中心")]["kiosks"] == 2 and sites[("GL", "鼓楼区社保中心")]["worst"] == 3
    assert sites[("MW", "")]["worst"] == 4 and sites[("MW", "")]["silent"] == 1
    svg = s.get("/console/map").text
    assert svg.count("<polygon") == 13 and svg.count('class="site"') == len(sites)
    assert 'data-severity="4"' in svg and "马尾区" in svg


def test_labels_cover_every_code_the_kiosk_reports() -> None:
    from hal.status import DeviceState, Supply
    from kiosk.devices import DeviceSet

    labels = json.loads((Path(__file__).resolve().parents[2] / "assets/labels/fleet_labels.json").read_text("utf-8"))
    for kind, codes in (("device_state", [s.value for s in DeviceState]),
                        ("supply_level", [s.value for s in Supply]),
                        ("device", [f for f in DeviceSet.__dataclass_fields__]),
                        ("mode", ["in_service", "out_of_service", "maintenance", "starting"])):
        for code in codes:
            entry = labels[kind].get(code)
            assert entry and entry["zh"] and entry["en"], f"{kind}.{code} has no label"
    # the alarm codes the kiosk raises by name
    root = Path(__file__).resolve().parents[2]
    raised = set()
    for path in (root / "kiosk").rglob("*.py"):
        raised |= set(re.findall(r'\.alarm\(\s*"([a-z_]+)"', path.read_text("utf-8")))
    assert raised and not raised - set(labels["alarm"]), raised - set(labels["alarm"])
    # the kiosk's own device names (assets/strings) say the same as the shared table
    zh = json.loads((root / "assets/strings/zh.json").read_text("utf-8"))
    en = json.loads((root / "assets/strings/en.json").read_text("utf-8"))
    for device, entry in labels["device"].items():
        if f"device.{device}" in zh:
            assert zh[f"device.{device}"] == entry["zh"] and en[f"device.{device}"] == entry["en"], device


def test_old_timeline_entries_are_pruned_and_the_operator_log_kept(central: ServerHandle, clock: Clock,
                                                                   session: Session) -> None:
    beat(central, "FZ-GL-0001")
    operator = session("otto")
    token = operator.get("/console/api/session").json()["csrf"]
    assert operator.post("/console/api/kiosks/FZ-GL-0001/actions", headers={"X-CSRF-Token": token},
                         json={"action": "self_tests", "reason": "monthly check", "confirm": True}).status_code == 201
    assert operator.get("/console/api/kiosks/FZ-GL-0001").json()["history"]
    clock.advance(days=91)
    beat(central, "FZ-GL-0001", seq=2, issuer="hardware_error")
    d = operator.get("/console/api/kiosks/FZ-GL-0001").json()
    assert sorted((h["kind"], h["value"]) for h in d["history"]) == [("device", "hardware_error"),
                                                                      ("heartbeat", "resumed")]
    assert [e["action"] for e in d["audit_log"]] == ["self_tests"]
