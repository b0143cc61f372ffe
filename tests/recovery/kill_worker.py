"""A kiosk process for the crash-recovery test (the parent kills it; nothing here is mocked).

``python -m tests.recovery.kill_worker issue WORKDIR CENTRAL_URL``
    starts the kiosk runtime on simulators (the printer and encoder slowed down so a kill lands
    inside a step) and runs apply + instant issue as the touchscreen would, then waits to be
    killed. Prints ``ready`` once the flow runs and ``unkilled`` if production ended unkilled.
``python -m tests.recovery.kill_worker recover WORKDIR CENTRAL_URL``
    starts the runtime (which runs crash recovery), delivers the queue and the events, runs
    recovery a second time, and prints one JSON line describing what it found.
"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path
from typing import Any

from hal.sim.card_reader import SimCardReader
from hal.sim.issuer import SimCardIssuer
from kiosk.clock import FixedDateClock
from kiosk.devices import build_devices
from kiosk.domain.services import ServiceId
from kiosk.recovery import recover
from kiosk.runtime import Runtime
from tests.flows.conftest import TODAY, Driver, confirm_mobile, flow_config, fresh_mobile, id_card, person
from tests.flows.faces import holder_before_camera

CITIZEN = "adult_never_applied"
STEP_S = 0.3  # each printer/encoder operation waits this long before acting (and a card moves as long)


def _issue(workdir: Path, url: str) -> None:
    cfg = flow_config(workdir, url)
    devices = build_devices(cfg)
    issuer, encoder = devices.issuer, devices.encoder
    assert isinstance(issuer, SimCardIssuer) and isinstance(encoder, SimCardReader)
    issuer.latency_s = issuer.motion_s = encoder.latency_s = STEP_S
    rt = Runtime(cfg, clock=FixedDateClock(TODAY), devices=devices)
    rt.start()
    holder_before_camera(rt)  # 人证核验 (issue 17)
    d = Driver(rt, ServiceId.APPLY)
    d.wait("read_id")
    d.id_reader.place(id_card(person(CITIZEN)))
    d.answer("photo_choice", "use_on_file")
    d.wait("details")
    mobile = fresh_mobile()  # each worker its own: the central sends a number one code a minute
    for action, value in (("set_mobile", mobile), ("set_address", "350102|示范路1号"),
                          ("set_postal_code", "350001")):
        d.send(action, value)
        d.wait("details")
    d.send("confirm")
    confirm_mobile(d, mobile)  # the SMS code (issue 21 §2)
    print("ready", flush=True)
    d.wait("take_card", timeout=60)
    print("unkilled", flush=True)
    time.sleep(20)


def _recover(workdir: Path, url: str) -> None:
    cfg = flow_config(workdir, url)
    rt = Runtime(cfg, clock=FixedDateClock(TODAY))
    rt.start()  # crash recovery runs here
    try:
        first = rt.recovery
        assert first is not None
        if rt.heartbeat is not None:
            rt.heartbeat.events.flush()
        delivered = rt.forwarder.flush(timeout=15)
        second = recover(rt)
        issuer = rt.devices.issuer
        assert isinstance(issuer, SimCardIssuer)
        out: dict[str, Any] = {
            "first": first.to_json(), "second": second.to_json(), "delivered": delivered,
            "unfinished": len(rt.journal.unfinished()),
            "outcomes": [rt.journal.outcome(r.issue_id) for r in first.issuances],
            "ledger": [{"kind": r.kind.value, "reason": r.reason, "application_id": r.application_id,
                        "card_no": r.card_no} for r in rt.stock_ledger.rows(rt.clock.today())],
            "issuer": issuer.state(),
            "alarms": [{"code": e.code, "severity": e.severity, "message": e.message}
                       for e in rt.events.recent if e.type == "device_alarm"],
            "contexts": rt.recovery_store.application_ids(),
        }
    finally:
        rt.stop()
    print(json.dumps(out, ensure_ascii=False), flush=True)


if __name__ == "__main__":
    mode, workdir, url = sys.argv[1], Path(sys.argv[2]), sys.argv[3]
    {"issue": _issue, "recover": _recover}[mode](workdir, url)
