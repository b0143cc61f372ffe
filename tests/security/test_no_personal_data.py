"""No personal data in logs, events, heartbeats, screens or any file the kiosk writes.

Every citizen flow runs (the flows engineer's scenarios in tests/flows, reused as they are, plus
the loss report) with the seeded citizens' known personal data; afterwards every file under the
kiosk's data directory, the captured DEBUG log stream, the events, the heartbeat body and every
view the screen was given are searched for the ID numbers, names (UTF-8 and GBK), mobile numbers
and JPEG data. The queue holds bodies only encrypted, so its SQLite file is searched too.
"""

from __future__ import annotations

import contextlib
import inspect
import io
import json
import logging
import re
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from central_sim.seed import citizens
from kiosk.flows.base import View
from kiosk.logs import setup_logging
from kiosk.runtime import Runtime
from tests.e2e import test_loss_report
from tests.flows import (
    test_apply,
    test_apply_sms,
    test_card_services,
    test_child_without_id,
    test_pin_change,
    test_pin_reset,
    test_replace,
)
from tests.flows.conftest import TYPED_MOBILES, central, face_models, runtime  # noqa: F401  (fixtures)
from tests.flows.test_child_without_id import CHILD_NAME, accepting_runtime  # noqa: F401  (fixture)
from tests.flows.test_pin_reset import reset_runtime  # noqa: F401  (fixture)

FLOWS: list[Callable[..., None]] = [
    test_apply.test_instant_issue_with_photo_on_file,
    test_apply.test_new_photo_and_pin_change_on_the_new_card,
    test_apply.test_spoiled_card_goes_to_reject_box_and_ledger_then_retry,
    test_apply.test_child_under_2_with_guardian_and_no_photo,
    test_apply.test_card_not_taken_is_ledgered_and_alarmed,
    test_apply_sms.test_online_application_confirms_the_mobile_by_sms_first,
    test_replace.test_lost_card_is_reported_first_then_replaced,
    test_card_services.test_loss_cancel_restores_the_card,
    test_card_services.test_activate_offline_is_queued_then_applied,
    test_card_services.test_contact_change_validates_every_field_at_once_then_applies,
    test_card_services.test_contact_change_offline_is_queued,
    test_card_services.test_progress_query_shows_the_timeline,
    test_pin_change.test_pin_changed_and_event_delivered,
    test_pin_change.test_offline_change_is_card_local_and_event_queued,
    test_pin_reset.test_locked_card_reset_after_liveness_and_face_match,
    test_loss_report.test_online_loss_report_freezes_the_card_and_prints_a_receipt,
    test_loss_report.test_offline_loss_report_is_queued_pending_and_delivered_once_the_link_returns,
    # issue 21 §3: a guardian applies for a child without an ID card (the child's number typed, 户口簿 imaged)
    test_child_without_id.test_guardian_applies_with_the_household_register_and_the_card_follows_review,
    test_child_without_id.test_offline_the_application_is_queued_behind_its_documents,
]
TYPED_PHONES = ("13912345678", "13700000000", test_apply_sms.MOBILE)  # what the scenarios type
JPEG_MARKERS = (b"\xff\xd8\xff\xe0\x00\x10JFIF", b"JFIF\x00", b"Exif\x00\x00", b"/9j/4AAQSkZJRg")


def needles() -> dict[str, bytes]:
    out: dict[str, bytes] = {}
    for key, p in citizens().items():
        out[f"{key}.id_number"] = p["id_number"].encode()
        out[f"{key}.name.utf8"] = p["name"].encode("utf-8")
        with contextlib.suppress(UnicodeEncodeError):  # 䶮, 𠮷 are outside GBK: cannot be stored as GBK
            out[f"{key}.name.gbk"] = p["name"].encode("gbk")
        if p.get("mobile"):
            out[f"{key}.mobile"] = p["mobile"].encode()
    out |= {f"typed.{n}": n.encode() for n in (*TYPED_PHONES, *TYPED_MOBILES)}  # and the apply forms
    child = test_child_without_id.child_number(6)  # the register's child the guardian types in
    out |= {"register_child.id_number": child.encode(), "register_child.name.utf8": CHILD_NAME.encode()}
    return out


def leaks(blob: bytes, where: str) -> list[str]:
    found = [f"{where}: {label}" for label, needle in needles().items() if needle in blob]
    found += [f"{where}: JPEG" for m in JPEG_MARKERS if m in blob]
    return found


@pytest.fixture
def log_stream() -> Iterator[io.StringIO]:
    stream = io.StringIO()
    setup_logging("DEBUG", stream)
    yield stream
    root = logging.getLogger()
    for h in [h for h in root.handlers if getattr(h, "_kiosk", False) or getattr(h, "_kiosk_file", False)]:
        root.removeHandler(h)
        h.close()
    root.setLevel(logging.WARNING)


@pytest.fixture
def screen_views(monkeypatch: pytest.MonkeyPatch) -> list[View]:
    """Every view any runtime shows: what the touchscreen (and so a screenshot) can display."""
    seen: list[View] = []
    original = Runtime.start_service

    def recording(self: Runtime, service: Any, emit: Callable[[View], None], on_end: Any = None) -> Any:
        def both(v: View) -> None:
            seen.append(v)
            emit(v)

        return original(self, service, both, on_end)

    monkeypatch.setattr(Runtime, "start_service", recording)
    return seen


def _view_text(v: View) -> str:
    return json.dumps({"screen": v.screen, "message": v.message, "params": v.params, "reasons": v.reasons,
                       "choices": getattr(v, "choices", None)}, ensure_ascii=False, default=str)


@pytest.mark.parametrize("flow", FLOWS, ids=lambda f: f.__name__.removeprefix("test_")[:60])
def test_flow_leaves_no_personal_data(flow: Callable[..., None], request: pytest.FixtureRequest, tmp_path: Path,
                                      log_stream: io.StringIO, screen_views: list[View],
                                      capfd: pytest.CaptureFixture[str]) -> None:
    args = {name: request.getfixturevalue(name) for name in inspect.signature(flow).parameters}
    rt = next(v for v in args.values() if isinstance(v, Runtime))
    flow(**args)  # the scenario's own assertions run too
    rt.wait_idle(10)
    rt.forwarder.flush(timeout=5)
    state = json.dumps(rt.heartbeat_state(), ensure_ascii=False)
    events = json.dumps([e.to_json() for e in rt.events.recent], ensure_ascii=False)
    data_dir = Path(rt.cfg.kiosk.data_dir)
    audit = rt.maintenance.audit.records()
    assert audit and any(r["kind"] == "transaction" for r in audit)  # the outcome was audited …
    found: list[str] = []
    files = [p for p in data_dir.rglob("*") if p.is_file()]
    assert any(p.name.startswith("queue") for p in files) and any(p.suffix == ".log" for p in files)
    for path in files:  # … and nothing the kiosk wrote holds personal data (logs, audit, queue, ledger …)
        found += leaks(path.read_bytes(), str(path.relative_to(data_dir)))
    found += leaks(log_stream.getvalue().encode(), "log stream")
    out, err = capfd.readouterr()
    found += leaks((out + err).encode("utf-8", "surrogatepass"), "stdout/stderr")
    found += leaks(state.encode(), "heartbeat")
    found += leaks(events.encode(), "events")
    for v in screen_views:
        found += leaks(_view_text(v).encode(), f"view {v.screen}")
    assert screen_views, "the scenario showed nothing?"
    assert not found, "personal data found:\n" + "\n".join(sorted(set(found)))


def test_the_search_finds_what_it_looks_for() -> None:
    """The grep above can fail: a planted ID number, GBK name, mobile and JPEG are all found."""
    p = citizens()["adult_active_card"]
    planted = (p["id_number"] + p["name"]).encode() + p["name"].encode("gbk") + p["mobile"].encode()
    import cv2
    import numpy as np

    _ok, jpg = cv2.imencode(".jpg", np.zeros((8, 8, 3), np.uint8))
    found = leaks(planted + jpg.tobytes(), "x")
    assert {f for f in found if re.search(r"adult_active_card\.(id_number|name\.utf8|name\.gbk|mobile)$", f)} and \
        "x: JPEG" in found and len([f for f in found if "adult_active_card" in f]) == 4
