"""A request the citizen left the kiosk with a "pending" receipt for, and the central refused on delivery,
is told to the citizen: the progress query lists it (kind: the service, status: refused) with its reasons
and what to do next. Offline loss report (art. 33) of a citizen who holds no card: the central finds no
card to freeze; the queue keeps the dead letter for technicians. The link came back an hour later, so
the citizen has gone home: they are texted (central_sim.notices) and learn the rest at any kiosk."""

from __future__ import annotations

from central_sim.server import ServerHandle
from kiosk.domain.services import ServiceId
from kiosk.flows.base import End
from kiosk.flows.common import RESULT_BY_SMS
from kiosk.runtime import Runtime
from tests.flows.conftest import Driver, go_offline, id_card, link_back_later, listed, person, texted
from tests.flows.test_apply_insured_offline import deliver


def test_an_offline_loss_report_refused_on_delivery_is_told_with_its_reason(runtime: Runtime,
                                                                            central: ServerHandle) -> None:
    assert listed(runtime, "adult_never_applied") == []
    go_offline(runtime, central)
    d = Driver(runtime, ServiceId.LOSS_REPORT)
    d.wait("read_id")
    d.id_reader.place(id_card(person("adult_never_applied")))
    d.answer("confirm_offline", "confirm")
    view, result = d.end()
    assert result.end is End.DONE and result.code == "pending", (view, result)
    printed = [line.text for line in d.printer.printed[-1].lines]
    assert "状态: 待生效 Pending (link down)" in printed and RESULT_BY_SMS.text in printed  # how they will hear
    d.id_reader.remove()
    assert runtime.wait_idle(5) is not None

    link_back_later(central)
    deliver(runtime, central)
    [dead] = [i for i in runtime.outbox.list_items(["dead"]) if i.service == "loss_report"]
    assert dead.error_code == "card_not_found"

    [(label, timeline)] = listed(runtime, "adult_never_applied")
    assert label == "app_kind.loss_report"
    assert timeline.message == "prompt.request_refused" and timeline.params["status"] == "refused"
    assert [s.partition("@")[0] for s in timeline.params["steps"].split(";")] == ["submitted", "refused"]
    assert timeline.reasons == ("reason.card_not_found",)
    assert timeline.params["hotline"] == runtime.cfg.kiosk.hotline
    [sms] = texted(central, "adult_never_applied")
    assert "社保卡挂失未能办理：该人员名下无可挂失的社保卡。" in sms
    assert timeline.params["application_id"] in sms  # the number the progress query answers
