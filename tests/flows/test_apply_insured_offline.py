"""申领 offline, when the register cannot say whether the applicant is insured (issue 17 §4; art. 3): the
citizen answers a plain question, the queued application carries the answer marked unchecked, and the
reference central checks it on delivery: an uninsured applicant who said so is accepted as voluntary
(not linked to medical insurance); an answer the register contradicts is refused, the reason stays with
the queue's dead letter, and the citizen is told it: the progress query lists the application as refused,
with the reason (the question promised so: 与登记不符的申请不予受理，并告知原因)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from central_sim.server import ServerHandle
from kiosk.domain.services import ServiceId
from kiosk.flows.base import End
from kiosk.runtime import Runtime
from tests.flows.conftest import (
    Driver,
    assert_ended,
    central_count,
    go_offline,
    id_card,
    listed,
    make_runtime,
    person,
)
from tests.flows.test_apply import fill_details
from tests.flows.test_regulation_rules import show_face, timeline


@pytest.fixture
def offline_rt(tmp_path: Path, central: ServerHandle, face_models: None) -> Iterator[Runtime]:
    rt = make_runtime(tmp_path, central, offline={"accept_applications_for_later": True})
    show_face(rt)
    go_offline(rt, central)
    yield rt
    rt.stop()


def apply_offline(rt: Runtime, key: str, answer: str) -> str:
    """Apply with the link down, answering the insurance question; the receipt's text."""
    d = Driver(rt, ServiceId.APPLY)
    d.wait("read_id")
    d.id_reader.place(id_card(person(key)))
    question = d.answer("insured_question", answer)
    assert question.actions == ("declare_insured", "declare_uninsured", "cancel")
    if answer == "declare_uninsured":
        d.answer("voluntary_apply", "agree")  # the same consent as online (art. 3)
    d.answer("photo_confirm", "confirm")
    fill_details(d)
    d.answer("delivery_choice", "choose", "pickup")
    view, result = d.end()
    assert_ended(view, result, End.DONE)
    assert result.code == "accepted_for_later"
    return " ".join(line.text for line in d.printer.printed[-1].lines)


def deliver(rt: Runtime, central: ServerHandle) -> None:
    central.faults.clear()
    rt.link.report_success()
    assert rt.forwarder.flush(timeout=10)


def dead_reasons(rt: Runtime) -> set[str]:
    return {code for item in rt.outbox.list_items(states=("dead",)) for code, _ in item.reasons}


def accepted(central: ServerHandle, rt: Runtime) -> int:
    return central_count(central, "applications", "kiosk_id = ? AND status <> 'refused'", rt.cfg.kiosk.id)


def progress_of(rt: Runtime, key: str) -> list[tuple[str, str, tuple[str, ...]]]:
    """What the citizen sees at the kiosk later, online: each application's (status, steps, reasons)."""
    return [(view.params["status"], view.params["steps"], view.reasons) for _label, view in listed(rt, key)]


def test_uninsured_applicant_who_says_so_is_accepted_as_voluntary(offline_rt: Runtime,
                                                                  central: ServerHandle) -> None:
    receipt = apply_offline(offline_rt, "not_insured", "declare_uninsured")
    assert "本人申报" in receipt and "不关联医保" in receipt
    deliver(offline_rt, central)
    assert accepted(central, offline_rt) == 1
    assert timeline(central, offline_rt.cfg.kiosk.id, "voluntary") == 1
    assert dead_reasons(offline_rt) == set()


def test_an_insured_applicant_who_says_uninsured_is_refused_with_the_reason(offline_rt: Runtime,
                                                                            central: ServerHandle) -> None:
    apply_offline(offline_rt, "adult_never_applied", "declare_uninsured")
    deliver(offline_rt, central)
    assert accepted(central, offline_rt) == 0
    assert "insured_declaration_mismatch" in dead_reasons(offline_rt)
    [(status, steps, reasons)] = progress_of(offline_rt, "adult_never_applied")
    assert status == "refused" and "not_accepted@" in steps
    assert "reason.insured_declaration_mismatch" in reasons


def test_an_uninsured_applicant_who_says_insured_is_refused_with_the_reason(offline_rt: Runtime,
                                                                            central: ServerHandle) -> None:
    receipt = apply_offline(offline_rt, "not_insured", "declare_insured")
    assert "本人申报" in receipt and "已参保" in receipt
    deliver(offline_rt, central)
    assert accepted(central, offline_rt) == 0
    assert dead_reasons(offline_rt) == {"insured_declaration_mismatch"}
    [(status, steps, reasons)] = progress_of(offline_rt, "not_insured")
    assert (status, reasons) == ("refused", ("reason.insured_declaration_mismatch",))
    assert [step.partition("@")[0] for step in steps.split(";")] == ["submitted", "not_accepted"]


def test_an_insured_applicant_who_says_so_is_accepted(offline_rt: Runtime, central: ServerHandle) -> None:
    apply_offline(offline_rt, "adult_never_applied", "declare_insured")
    deliver(offline_rt, central)
    assert accepted(central, offline_rt) == 1
    assert timeline(central, offline_rt.cfg.kiosk.id, "voluntary") == 0
    [(status, _steps, reasons)] = progress_of(offline_rt, "adult_never_applied")
    assert status == "approved" and reasons == ()
