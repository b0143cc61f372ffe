"""Property tests of the kiosk's heartbeat and event models: any JSON the central answers is a
reply or a typed error, any command is a Command or a ValidationError, any event object is kept
and sent in order; the audit head a heartbeat carries, whatever the disk holds, is one the
central accepts (else a damaged audit log would make the kiosk look offline)."""

from __future__ import annotations

import json
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pydantic import ValidationError

from central_sim.audit_anchor import parse_anchor
from central_sim.central import Central
from kiosk.alarms import KioskEvent
from kiosk.audit import read_head
from kiosk.central.client import CentralClient
from kiosk.central.events import MAX_BATCH, EventUploader, masked
from kiosk.central.heartbeat import COMMAND_TYPES, HeartbeatSender
from kiosk.central.models import AuditHead, Command, EventsAccepted, HeartbeatReply

PROPS = settings(max_examples=300, deadline=None, database=None,
                 suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
KIOSK = "FZ-PROP-0001"

json_leaf = st.one_of(st.none(), st.booleans(), st.integers(), st.floats(allow_nan=False, allow_infinity=False),
                      st.text(max_size=30))
json_value = st.recursive(json_leaf, lambda inner: st.one_of(
    st.lists(inner, max_size=4),
    st.dictionaries(st.one_of(st.sampled_from(["id", "type", "mode", "message", "commands", "server_time",
                                               "accepted", "seq", "head", "anchors", "problem"]),
                              st.text(max_size=6)), inner, max_size=6)), max_leaves=25)
command_like = st.one_of(json_value, st.fixed_dictionaries(
    {"id": st.one_of(st.text(max_size=10), json_leaf), "type": st.one_of(st.sampled_from(COMMAND_TYPES), json_leaf)},
    optional={"mode": st.one_of(st.sampled_from(["in_service", "maintenance", "starting", "x"]), json_leaf),
              "message": json_value}))
reply_like = st.one_of(json_value, st.fixed_dictionaries(
    {"server_time": st.one_of(st.text(max_size=25), json_leaf), "commands": st.one_of(st.lists(command_like,
                                                                                              max_size=5), json_leaf)}))


class Box:
    status = 200
    body = b"{}"


@pytest.fixture(scope="module")
def box() -> Box:
    return Box()


@pytest.fixture(scope="module")
def client(box: Box) -> Iterator[CentralClient]:
    def answer(_request: httpx.Request) -> httpx.Response:
        return httpx.Response(box.status, content=box.body, headers={"Content-Type": "application/json"})

    c = CentralClient("http://127.0.0.1:9", KIOSK, transport=httpx.MockTransport(answer))
    yield c
    c.close()


@PROPS
@given(status=st.sampled_from([200, 200, 200, 400, 401, 409, 500, 503]), reply=reply_like)
def test_any_heartbeat_reply_is_taken_or_refused_as_a_typed_error(client: CentralClient, box: Box, status: int,
                                                                 reply: Any) -> None:
    box.status, box.body = status, json.dumps(reply).encode()
    reports: list[dict[str, Any]] = []
    events = EventUploader(lambda batch, _key: reports.extend(batch))
    with tempfile.TemporaryDirectory() as d:
        hb = HeartbeatSender(client, lambda: {"mode": "in_service"}, Path(d) / "hb.seq", events=events)
        hb.audit_head = lambda: {"seq": 3, "head": "ab" * 32}
        sent = hb.send_now()
    assert isinstance(sent, bool)
    if not sent:
        assert status != 200 or not isinstance(reply, dict) or hb.last_error is not None
        return
    commands = reply["commands"]
    assert status == 200 and isinstance(commands, list)
    events.flush()
    malformed = [r for r in reports if r["type"] == "command_result" and r["severity"] == "warning"]
    distinct_valid = {c.id for c in hb.pending}
    assert all(isinstance(c, Command) for c in hb.pending)
    assert len(hb.pending) == len(distinct_valid) and len(malformed) + len(hb.pending) <= len(commands)
    assert all(json.dumps(r, ensure_ascii=False) for r in reports)  # reports are JSON (they go to the central)


@PROPS
@given(raw=command_like)
def test_any_command_json_is_a_command_or_a_validation_error(raw: Any) -> None:
    try:
        cmd = Command.model_validate(raw)
    except ValidationError:
        return
    assert cmd.type in COMMAND_TYPES and isinstance(cmd.id, str)


@PROPS
@given(raw=json_value)
def test_any_reply_json_is_a_model_or_a_validation_error(raw: Any) -> None:
    for model in (HeartbeatReply, EventsAccepted, AuditHead):
        try:
            got = model.model_validate(raw)
        except ValidationError:
            continue
        assert isinstance(got, model)


@PROPS
@given(events=st.lists(st.dictionaries(st.text(max_size=8), json_value, max_size=5), max_size=250),
       failures=st.integers(0, 3))
def test_any_event_objects_are_kept_and_sent_in_order(events: list[dict[str, Any]], failures: int) -> None:
    sent: list[list[dict[str, Any]]] = []
    left = [failures]

    def send(batch: list[dict[str, Any]], _key: str) -> None:
        if left[0]:
            left[0] -= 1
            raise ConnectionError("not now")
        sent.append(list(batch))

    up = EventUploader(send)
    for e in events:
        up.submit(e)
    for _ in range(failures + 1):
        up.flush()
    assert [e for b in sent for e in b] == [masked(e) for e in events] and all(len(b) <= MAX_BATCH for b in sent)
    assert up.backlog == 0


@PROPS
@given(audit=json_value, code=st.text(max_size=20))
def test_an_event_with_any_audit_value_is_json(audit: Any, code: str) -> None:
    ev = json.loads(json.dumps(KioskEvent("technician_action", code, "info", "m", audit=audit).to_json()))
    assert ev.get("audit") == audit and ev["code"] == code


@PROPS
@given(tail=st.one_of(st.binary(max_size=300), st.builds(
    lambda seq, head, extra: json.dumps({"seq": seq, "hash": head, **extra}).encode(),
    st.one_of(st.integers(), json_leaf), st.one_of(st.text(alphabet="0123456789abcdefABCDEF", min_size=63,
                                                           max_size=65), json_leaf),
    st.dictionaries(st.text(max_size=5), json_leaf, max_size=3))))
def test_the_heartbeats_audit_head_is_always_one_the_central_accepts(tail: bytes) -> None:
    with tempfile.TemporaryDirectory() as d:
        log = Path(d) / "audit.log"
        log.write_bytes(b'{"seq":1,"hash":"' + b"a" * 64 + b'"}\n' + tail)
        head = read_head(log)
    assert parse_anchor(head) is not None


@pytest.fixture(scope="module")
def central() -> Iterator[Central]:
    with tempfile.TemporaryDirectory() as d:
        c = Central(str(Path(d) / "central.sqlite"), seed=False)
        yield c
        c.close()


@PROPS
@given(audit=st.one_of(json_value, st.fixed_dictionaries({"seq": st.one_of(st.integers(), json_leaf),
                                                          "head": st.one_of(st.text(max_size=70), json_leaf)})))
def test_the_central_takes_or_refuses_any_audit_object(central: Central, audit: Any) -> None:
    body = {"kiosk_id": KIOSK, "seq": 1, "mode": "in_service", "audit": audit}
    out = central.dispatch("POST", f"/v1/kiosks/{KIOSK}/heartbeat", KIOSK, "", body)
    assert out.status == (200 if audit is None or parse_anchor(audit) is not None else 422)
    central.heartbeats.flush()  # the anchor is stored with the buffered heartbeat
    assert central.dispatch("GET", f"/v1/kiosks/{KIOSK}/audit-head", KIOSK, "", None).status == 200


# A hash is hex: it may hold digit runs that look like an ID, a mobile or an account number. The
# kiosk's PII scrubbing must never touch it — a masked head is refused by the central (the kiosk
# would look offline) or anchors a hash that is not in the log.
LOOKS_PERSONAL = ["350102199003071234", "13812345678", "6222021234567890123", "110101800101001"]
hex_head = st.builds(lambda left, run, right: (left + run + right)[:64].ljust(64, "a"),
                     st.text(alphabet="abcdef0123456789", max_size=40), st.sampled_from(LOOKS_PERSONAL),
                     st.text(alphabet="abcdef", min_size=1, max_size=64))


@PROPS
@given(head=hex_head, seq=st.integers(0, 2**63 - 1))
def test_an_audit_head_that_looks_like_a_number_leaves_the_kiosk_unchanged(
    client: CentralClient, head: str, seq: int
) -> None:
    assert parse_anchor({"seq": seq, "head": head}) is not None
    with tempfile.TemporaryDirectory() as d:
        hb = HeartbeatSender(client, lambda: {"mode": "in_service"}, Path(d) / "hb.seq")
        hb.audit_head = lambda: {"seq": seq, "head": head}
        assert hb.body()["audit"] == {"seq": seq, "head": head}
    sent: list[dict[str, Any]] = []
    up = EventUploader(lambda batch, _key: sent.extend(batch))
    up.observe(KioskEvent("technician_action", "login", "info", "T1: ok", audit={"seq": seq, "head": head}))
    up.flush()
    assert sent[0]["audit"] == {"seq": seq, "head": head}
