"""Alerting: the Prometheus rules (promtool unit tests), the Alertmanager routes (amtool), the runbooks, and
the central's live /metrics: it passes `promtool check metrics` and carries every series the rules read."""

from __future__ import annotations

import base64
import datetime as dt
import re
import shutil
import socket
import ssl
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import yaml

from central_sim.pki import make_dev_pki
from central_sim.seed import citizen
from central_sim.server import ServerHandle, run_in_thread
from kiosk.central.client import CentralClient
from tests.fleet.fixtures import heartbeat_state

ROOT = Path(__file__).resolve().parents[2]
RULES = ROOT / "deploy/prometheus/rules.yml"
ALERTMANAGER = ROOT / "deploy/alertmanager/alertmanager.yml"
CST = dt.timezone(dt.timedelta(hours=8))
JPEG = base64.b64encode((ROOT / "tests/data/faces/obama_portrait.jpg").read_bytes()).decode()


def tool(name: str) -> str:
    path = shutil.which(name)
    assert path, f"{name} is missing: make setup installs it (apt prometheus / prometheus-alertmanager)"
    return path


def run(*args: str, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(list(args), input=stdin, capture_output=True, text=True, timeout=120, check=False)


def alert_rules() -> list[dict[str, Any]]:
    doc = yaml.safe_load(RULES.read_text(encoding="utf-8"))
    return [r for g in doc["groups"] for r in g["rules"] if "alert" in r]


def test_prometheus_config_and_rules_are_valid() -> None:
    out = run(tool("promtool"), "check", "config", str(ROOT / "deploy/prometheus/prometheus.yml"))
    assert out.returncode == 0, out.stdout + out.stderr
    assert "SUCCESS: 23 rules found" in out.stdout


def test_rule_unit_tests_pass() -> None:
    files = sorted(str(p) for p in (ROOT / "deploy/prometheus/tests").glob("*.yml"))
    assert len(files) >= 2
    out = run(tool("promtool"), "test", "rules", *files)
    assert out.returncode == 0, out.stdout + out.stderr
    assert out.stdout.count("SUCCESS") == len(files)


def test_every_alert_is_labelled_and_has_a_complete_runbook() -> None:
    names = set()
    for rule in alert_rules():
        names.add(rule["alert"])
        labels, notes = rule["labels"], rule["annotations"]
        assert labels["severity"] in ("critical", "warning"), rule["alert"]
        assert labels["team"] in ("field", "operations", "platform", "security"), rule["alert"]
        assert labels["scope"] in ("kiosk", "silent", "central", "audit"), rule["alert"]
        assert notes["summary"] and notes["description"]
        runbook = ROOT / notes["runbook_url"]
        assert notes["runbook_url"].startswith("docs/runbooks/") and runbook.is_file(), rule["alert"]
        text = runbook.read_text(encoding="utf-8")
        for section in ("**Symptom.**", "**Impact.**", "**What to check.**", "**What to do.**"):
            assert section in text, f"{runbook.name} lacks {section}"
    assert {"KioskSilent", "KioskQueueBacklogGrowing", "KioskQueueItemOld", "KioskDeadLetters", "KioskSupplyLow",
            "KioskSupplyOut", "KioskSpoiledCardRateHigh", "IssuanceOverTimeLimit", "IssuanceOpenOverTimeLimit",
            "CertificateExpiresSoon", "AuditChainBroken"} <= names


def test_alertmanager_config_is_valid() -> None:
    out = run(tool("amtool"), "check-config", str(ALERTMANAGER))
    assert out.returncode == 0, out.stdout + out.stderr
    assert "4 inhibit rules" in out.stdout


@pytest.mark.parametrize(("labels", "receiver"), [
    ({"alertname": "KioskSilent", "team": "field", "severity": "critical", "kiosk": "FZ-GL-0001"}, "field-pager"),
    ({"alertname": "KioskSupplyLow", "team": "field", "severity": "warning"}, "field-tickets"),
    ({"alertname": "KioskDeadLetters", "team": "operations", "severity": "warning"}, "ops-tickets"),
    ({"alertname": "IssuanceOpenOverTimeLimit", "team": "operations", "severity": "critical"}, "operations-pager"),
    ({"alertname": "SscardCentralDown", "team": "platform", "severity": "critical"}, "platform-pager"),
    ({"alertname": "CertificateExpiresSoon", "team": "platform", "severity": "warning"}, "platform-tickets"),
    ({"alertname": "AuditChainBroken", "team": "security", "severity": "critical"}, "security-pager"),
    ({"alertname": "Unexpected"}, "ops-tickets"),
])
def test_alerts_route_to_the_right_people(labels: dict[str, str], receiver: str) -> None:
    out = run(tool("amtool"), "config", "routes", "test", f"--config.file={ALERTMANAGER}",
              *(f"{k}={v}" for k, v in labels.items()))
    assert out.returncode == 0, out.stdout + out.stderr
    assert out.stdout.split() == [receiver]


def test_per_kiosk_alerts_are_inhibited_while_the_kiosk_is_silent() -> None:
    config = yaml.safe_load(ALERTMANAGER.read_text(encoding="utf-8"))
    silent = [r for r in config["inhibit_rules"] if r["source_matchers"] == ['alertname="KioskSilent"']]
    assert silent and silent[0]["target_matchers"] == ['scope="kiosk"'] and silent[0]["equal"] == ["kiosk"]
    per_kiosk = {r["alert"] for r in alert_rules() if r["labels"]["scope"] == "kiosk"}
    assert {"KioskSupplyLow", "KioskSupplyOut", "KioskDeviceFault", "KioskDeadLetters",
            "KioskQueueItemOld"} <= per_kiosk
    # the silence itself and the audit chain are never inhibited by a silence
    scopes = {r["alert"]: r["labels"]["scope"] for r in alert_rules()}
    assert scopes["KioskSilent"] == "silent" and scopes["AuditChainBroken"] == "audit"


# --- the live central's /metrics -----------------------------------------------------------------------


class Clock:
    def __init__(self) -> None:
        self.now = dt.datetime.now(CST).replace(microsecond=0)

    def __call__(self) -> dt.datetime:
        return self.now


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def central(tmp_path: Path, clock: Clock) -> Iterator[ServerHandle]:
    handle = run_in_thread(str(tmp_path / "central.sqlite"), clock=clock)
    yield handle
    handle.stop()


def _apply(client: CentralClient, key: str) -> tuple[str, str]:
    p = citizen(key)
    fields = ("name", "sex", "ethnicity", "birth_date", "id_type", "id_number", "id_valid_from", "id_valid_until",
              "nationality", "occupation", "mobile", "phone", "household_address", "residence_address",
              "postal_code", "medical_insurance")
    applicant = {f: p[f] for f in fields}
    applicant["mobile"] = applicant["mobile"] or "13900000000"
    created = client.apply({"kind": "new", "applicant": applicant, "photo_jpeg_b64": JPEG, "bank_code": "FZB",
                            "delivery": "instant", "mobile_unverified": True})  # no SMS step here (issue 21 §2)
    return created.application_id, created.card_no


def _populate(central: ServerHandle, clock: Clock) -> None:
    """Two kiosks report; one makes a card 25 minutes late (art. 21), spoils one, and leaves one open."""
    with CentralClient(central.url, "FZ-GL-0001") as gl, CentralClient(central.url, "FZ-TJ-0002") as tj:
        gl.heartbeat({**heartbeat_state(dead_letters=2, ribbon="low", audit_seq=42), "kiosk_id": "FZ-GL-0001",
                      "seq": 1})
        tj.heartbeat({**heartbeat_state(paper="out", audit_seq=42), "kiosk_id": "FZ-TJ-0002", "seq": 1})
        central.central.heartbeats.flush()  # heartbeats 30 s apart reach storage one by one
        tj.heartbeat({**heartbeat_state(paper="out", audit_seq=7), "kiosk_id": "FZ-TJ-0002", "seq": 2})  # rewound
        app_id, card_no = _apply(gl, "adult_never_applied")
        gl.report_production_result(app_id, {"result": "failed", "card_no": card_no, "failure_reason": "chip_write",
                                              "produced_at": clock.now.isoformat()})
        late = (clock.now + dt.timedelta(minutes=25)).isoformat()
        gl.report_production_result(app_id, {"result": "success", "card_no": card_no, "chip_atr": "3B8980",
                                             "card_id_code": "350100D1560000", "produced_at": late})
        _apply(tj, "rare_char_yan")  # never produced
    clock.now += dt.timedelta(minutes=21)


def test_live_metrics_carry_what_the_rules_need(central: ServerHandle, clock: Clock, tmp_path: Path) -> None:
    _populate(central, clock)
    text = httpx.get(central.url + "/metrics", timeout=10).text
    assert 'sscard_kiosk_queue_dead_letters{kiosk="FZ-GL-0001"} 2' in text
    assert 'sscard_kiosk_supply_level{kiosk="FZ-GL-0001",device="issuer",supply="ribbon"} 1' in text
    assert 'sscard_kiosk_supply_level{kiosk="FZ-TJ-0002",device="receipt_printer",supply="paper"} 2' in text
    assert 'sscard_kiosk_audit_chain_ok{kiosk="FZ-GL-0001"} 1' in text
    assert 'sscard_kiosk_audit_chain_ok{kiosk="FZ-TJ-0002"} 0' in text
    assert 'sscard_cards_produced_total{kiosk="FZ-GL-0001"} 1' in text
    assert 'sscard_cards_spoiled_total{kiosk="FZ-GL-0001"} 1' in text
    assert 'sscard_issuance_over_limit_total{kiosk="FZ-GL-0001"} 1' in text
    assert 'sscard_issuance_open_over_limit{kiosk="FZ-TJ-0002"} 1' in text
    assert 'sscard_issuance_open_over_limit{kiosk="FZ-GL-0001"}' not in text  # produced, no longer open
    # every sscard_* series an alert or recording rule reads is exposed (catches renames on either side)
    used = set(re.findall(r"\bsscard_[a-z_]+\b", RULES.read_text(encoding="utf-8")))
    exposed = set(re.findall(r"^# TYPE (sscard_[a-z_]+) ", text, re.MULTILINE))
    missing = used - exposed - {"sscard_tls_certificate_expiry_timestamp_seconds"}  # TLS-only, next test
    assert not missing, missing
    out = run(tool("promtool"), "check", "metrics", stdin=text)
    assert out.returncode == 0, out.stdout + out.stderr


def test_server_certificate_expiry_is_exposed_over_tls(tmp_path: Path) -> None:
    pki = make_dev_pki(tmp_path / "pki", [], server_name="127.0.0.1")
    handle = run_in_thread(str(tmp_path / "tls.sqlite"), ssl_certfile=pki["server"].cert_file,
                           ssl_keyfile=pki["server"].key_file)
    try:
        trust = ssl.create_default_context(cafile=pki["ca"].cert_file)
        text = httpx.get(handle.url + "/metrics", verify=trust, timeout=10).text
    finally:
        handle.stop()
    found = re.search(r'^sscard_tls_certificate_expiry_timestamp_seconds\{cert="server"\} (\d+)$', text, re.M)
    assert found, text[-500:]
    days_left = (int(found.group(1)) - dt.datetime.now(dt.UTC).timestamp()) / 86400
    assert 1 < days_left < 3700


# --- inhibition, in a real Alertmanager ---------------------------------------------------------------


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture
def alertmanager(tmp_path: Path) -> Iterator[str]:
    port = _free_port()
    proc = subprocess.Popen(
        [tool("prometheus-alertmanager"), f"--config.file={ALERTMANAGER}", f"--storage.path={tmp_path / 'am'}",
         f"--web.listen-address=127.0.0.1:{port}", "--cluster.listen-address="],
        stdout=subprocess.DEVNULL, stderr=open(tmp_path / "alertmanager.log", "w"))  # noqa: SIM115
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 20
        while True:
            try:
                if httpx.get(url + "/-/ready", timeout=1).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            assert time.monotonic() < deadline and proc.poll() is None, (tmp_path / "alertmanager.log").read_text()
            time.sleep(0.1)
        yield url
    finally:
        proc.terminate()
        proc.wait(10)


def _alert(name: str, **labels: str) -> dict[str, Any]:
    return {"labels": {"alertname": name, **labels}, "annotations": {"summary": name}}


def test_a_silent_kiosk_holds_back_its_own_alerts_only(alertmanager: str) -> None:
    alerts = [
        _alert("KioskSilent", kiosk="FZ-GL-0001", severity="critical", team="field", scope="silent"),
        _alert("KioskSupplyOut", kiosk="FZ-GL-0001", device="issuer", supply="ribbon", severity="critical",
               team="field", scope="kiosk"),
        _alert("KioskDeadLetters", kiosk="FZ-GL-0001", severity="warning", team="operations", scope="kiosk"),
        _alert("AuditChainBroken", kiosk="FZ-GL-0001", severity="critical", team="security", scope="audit"),
        _alert("KioskSupplyOut", kiosk="FZ-TJ-0002", device="issuer", supply="ribbon", severity="critical",
               team="field", scope="kiosk"),
        _alert("KioskSupplyLow", kiosk="FZ-TJ-0002", device="issuer", supply="ribbon", severity="warning",
               team="field", scope="kiosk"),
        _alert("KioskSupplyLow", kiosk="FZ-TJ-0002", device="receipt_printer", supply="paper",
               severity="warning", team="field", scope="kiosk"),
    ]
    assert httpx.post(alertmanager + "/api/v2/alerts", json=alerts, timeout=5).status_code == 200
    deadline = time.monotonic() + 10
    while True:
        got = httpx.get(alertmanager + "/api/v2/alerts", timeout=5).json()
        held = {(a["labels"]["alertname"], a["labels"]["kiosk"], a["labels"].get("supply", ""))
                for a in got if a["status"]["inhibitedBy"]}
        if (len(got) == len(alerts) and len(held) >= 3) or time.monotonic() > deadline:
            break
        time.sleep(0.2)
    assert held == {("KioskSupplyOut", "FZ-GL-0001", "ribbon"), ("KioskDeadLetters", "FZ-GL-0001", ""),
                    ("KioskSupplyLow", "FZ-TJ-0002", "ribbon")}  # paper low stays: nothing is out there
