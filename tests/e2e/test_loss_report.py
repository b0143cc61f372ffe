"""Service 3 (挂失, art. 33) end to end on simulators against the real reference central."""

from __future__ import annotations

import io
import logging
import queue
import threading
from pathlib import Path

from central_sim.faults import FaultRule
from central_sim.server import ServerHandle
from kiosk.demo import citizen, id_card_for
from kiosk.domain.services import ServiceId
from kiosk.flows.base import End, UserInput, View
from kiosk.flows.common import RESULT_BY_SMS
from kiosk.logs import setup_logging
from kiosk.runtime import Runtime
from tests.e2e.conftest import central_rows


class Screen:
    """Collects the views a flow shows, as the touchscreen would."""

    def __init__(self) -> None:
        self.views: queue.Queue[View] = queue.Queue()
        self.seen: list[str] = []

    def emit(self, view: View) -> None:
        self.seen.append(view.screen)
        self.views.put(view)

    def wait(self, screen: str, timeout: float = 10.0) -> View:
        while True:
            view = self.views.get(timeout=timeout)
            if view.screen == screen:
                return view


def card_status(central: ServerHandle, tmp_path: Path, card_no: str) -> str:
    rows = central_rows(tmp_path / "central.sqlite", "SELECT status FROM cards WHERE card_no = ?", card_no)
    return str(rows[0][0])


def test_online_loss_report_freezes_the_card_and_prints_a_receipt(
    runtime: Runtime, central: ServerHandle, tmp_path: Path
) -> None:
    person = citizen("adult_active_card")
    card_no = person["cards"][0]["card_no"]
    assert card_status(central, tmp_path, card_no) == "normal"
    screen = Screen()
    channel = runtime.start_service(ServiceId.LOSS_REPORT, screen.emit)
    screen.wait("read_id")
    runtime.devices.id_reader.place(id_card_for(person))  # type: ignore[union-attr]
    confirm = screen.wait("confirm_card")
    assert person["name"] not in str(confirm.params) and person["id_number"] not in str(confirm.params)
    channel.send(UserInput("confirm"))
    done = screen.wait("done")
    assert done.message == "prompt.loss_done"
    channel.send(UserInput("home"))
    runtime.devices.id_reader.remove()  # type: ignore[union-attr]  # the citizen takes the ID card
    result = runtime.wait_idle(10)
    assert result is not None and result.end is End.DONE and result.code == "applied"
    assert card_status(central, tmp_path, card_no) == "loss_reported"
    receipt = runtime.devices.receipt_printer.printed[-1]  # type: ignore[union-attr]
    text = " ".join(line.text for line in receipt.lines)
    assert "已挂失" in text and person["id_number"] not in text and person["name"] not in text
    assert RESULT_BY_SMS.text not in text  # done on the spot: nothing to wait for
    assert screen.seen[:2] == ["read_id", "lookup"]


def test_offline_loss_report_is_queued_pending_and_delivered_once_the_link_returns(
    runtime: Runtime, central: ServerHandle, tmp_path: Path
) -> None:
    person = citizen("adult_active_card")
    card_no = person["cards"][0]["card_no"]
    for _ in range(runtime.cfg.offline.link_down_after_failures):
        runtime.link.report_failure()
    central_url = central.url
    central.faults.add(FaultRule.from_dict({"path": "*", "down_for_s": 3600}))
    screen = Screen()
    channel = runtime.start_service(ServiceId.LOSS_REPORT, screen.emit)
    screen.wait("read_id")
    runtime.devices.id_reader.place(id_card_for(person))  # type: ignore[union-attr]
    confirm = screen.wait("confirm_offline")
    assert confirm.params["hotline"] == "12333"
    channel.send(UserInput("confirm"))
    done = screen.wait("done")
    assert done.message == "prompt.loss_pending"
    channel.send(UserInput("home"))
    runtime.devices.id_reader.remove()  # type: ignore[union-attr]  # the citizen takes the ID card
    result = runtime.wait_idle(10)
    assert result is not None and result.code == "pending"
    receipt = runtime.devices.receipt_printer.printed[-1]  # type: ignore[union-attr]
    assert "待生效" in " ".join(line.text for line in receipt.lines)
    assert any("12333" in f for f in receipt.footer)
    waiting = [i for i in runtime.outbox.list_items() if i.path == "/v1/cards/loss-report"]
    assert len(waiting) == 1 and waiting[0].state in ("pending", "in_flight") and waiting[0].priority == 0
    assert card_status(central, tmp_path, card_no) == "normal"
    central.faults.clear()
    assert central.url == central_url
    assert runtime.forwarder.flush(timeout=10)
    assert card_status(central, tmp_path, card_no) == "loss_reported"
    reports = central_rows(tmp_path / "central.sqlite",
                           "SELECT COUNT(*) FROM loss_reports WHERE card_no = ?", card_no)
    assert reports[0][0] == 1  # delivered exactly once


def test_expired_id_card_is_refused_with_its_reason(runtime: Runtime) -> None:
    screen = Screen()
    runtime.start_service(ServiceId.LOSS_REPORT, screen.emit)
    screen.wait("read_id")
    runtime.devices.id_reader.place(id_card_for(citizen("expired_id")))  # type: ignore[union-attr]
    end = screen.wait("end")
    assert end.end is End.REFUSED and "reason.id_expired" in end.reasons


def test_idle_timeout_wipes_the_session_and_ends(runtime: Runtime) -> None:
    screen = Screen()
    runtime.start_service(ServiceId.LOSS_REPORT, screen.emit)
    screen.wait("read_id")
    end = screen.wait("end", timeout=15)
    assert end.end is End.TIMED_OUT


def test_no_log_line_holds_the_full_id_number(runtime: Runtime) -> None:
    sink = io.StringIO()
    setup_logging("DEBUG", stream=sink)
    logging.getLogger("kiosk.test").info("probe %s", "35010219900307001X")  # the sink masks stray numbers too
    person = citizen("adult_active_card")
    screen = Screen()
    channel = runtime.start_service(ServiceId.LOSS_REPORT, screen.emit)
    screen.wait("read_id")
    runtime.devices.id_reader.place(id_card_for(person))  # type: ignore[union-attr]
    screen.wait("confirm_card")
    channel.send(UserInput("confirm"))
    screen.wait("done")
    channel.send(UserInput("home"))
    runtime.devices.id_reader.remove()  # type: ignore[union-attr]  # the citizen takes the ID card
    runtime.wait_idle(10)
    output = sink.getvalue()
    assert "flow ended" in output  # the flow did log
    for secret in (person["id_number"], person["name"], "35010219900307001X"):
        assert secret not in output
    assert threading.active_count() < 50


def test_lifting_the_id_card_mid_flow_ends_the_session(runtime: Runtime) -> None:
    screen = Screen()
    runtime.start_service(ServiceId.LOSS_REPORT, screen.emit)
    screen.wait("read_id")
    runtime.devices.id_reader.place(id_card_for(citizen("adult_active_card")))  # type: ignore[union-attr]
    screen.wait("confirm_card")
    runtime.devices.id_reader.remove()  # type: ignore[union-attr]
    end = screen.wait("end", timeout=5)
    assert end.end is End.CARD_REMOVED and end.params["code"] == "id_card_removed"
