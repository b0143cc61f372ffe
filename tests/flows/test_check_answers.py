"""Check your answers before every committing step (issue 19): each service that sends something to
the central or writes the card first shows one shared summary step (kiosk/flows/check_answers.py):
the service, whose card (masked), what happens next; confirm goes on, cancel leaves with nothing sent."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from central_sim.server import ServerHandle
from kiosk.domain.masking import mask_card_no
from kiosk.domain.services import ServiceId
from kiosk.flows.base import End, View
from kiosk.flows.check_answers import NEXT_PARAM, summary_rows
from kiosk.runtime import Runtime
from kiosk.strings import t
from tests.flows.conftest import Driver, central_count, chip, id_card, person
from tests.flows.test_face_check import STARTS


def _activate(rt: Runtime) -> Driver:
    d = Driver(rt, ServiceId.ACTIVATE, face_consent=None)
    d.wait("read_id")
    d.id_reader.place(id_card(person("recent_card_quality")))
    d.wait("insert_card")
    d.card_reader.insert(chip(person("recent_card_quality")))
    return d


def _loss_report(rt: Runtime) -> Driver:
    d = Driver(rt, ServiceId.LOSS_REPORT, face_consent=None)
    d.wait("read_id")
    d.id_reader.place(id_card(person("adult_active_card")))
    return d


def _start(name: str) -> Callable[[Runtime], Driver]:
    return lambda rt: STARTS[name][0](rt, "agree")


# service: (start, the summary's screen, whose card, the screen that commits right after the confirm)
SERVICES: dict[str, tuple[Callable[[Runtime], Driver], str, str, str]] = {
    "activate": (_activate, "confirm", "recent_card_quality", "submitting"),
    "loss_report": (_loss_report, "confirm_card", "adult_active_card", "submitting"),
    "loss_cancel": (_start("loss_cancel"), "confirm", "card_lost", "submitting"),
    "pin_reset": (_start("pin_reset"), "confirm", "adult_active_card", "new_pin"),
}


def _summary(view: View, key: str, service: str) -> None:
    rows = summary_rows(view.params)
    p = person(key)
    labels = [r.label for r in rows]
    assert labels[0] == "result.row.service" and rows[0].value == f"service.{service}" and rows[0].is_key
    assert "check.row.id" in labels and "result.row.card_no" in labels
    card = p["cards"][0]["card_no"] if p.get("cards") else ""
    shown = " ".join(t("zh", r.value, **view.params) if r.is_key else r.value for r in rows)  # as the screen shows it
    assert p["id_number"] not in str(view.params) and p["name"] not in str(view.params)  # masked only
    if card:
        assert card not in str(view.params) and mask_card_no(card) in shown
    assert view.params[NEXT_PARAM] == f"check.next.{service}"
    assert set(view.actions) >= {"confirm", "cancel"}


@pytest.mark.parametrize("service", list(SERVICES))
def test_the_summary_comes_before_the_commit_and_confirm_goes_on(runtime: Runtime, service: str) -> None:
    start, screen, key, after = SERVICES[service]
    d = start(runtime)
    view = d.confirm_check(screen)
    _summary(view, key, service)
    d.wait(after, timeout=20)
    assert d.screens.index(screen) < d.screens.index(after)
    d.send("cancel")
    d.end(timeout=20)


@pytest.mark.parametrize("service", list(SERVICES))
def test_cancel_on_the_summary_sends_nothing(runtime: Runtime, central: ServerHandle, service: str) -> None:
    start, screen, _key, after = SERVICES[service]
    d = start(runtime)
    d.wait(screen, timeout=20)
    d.send("cancel")
    _view, result = d.end(timeout=20)
    assert result.end is End.CANCELLED and after not in d.screens, d.screens
    assert central_count(central, "pin_authorizations") == 0
    assert runtime.forwarder.flush(timeout=10)  # nothing queued to go later either
    assert central_count(central, "pin_events") == 0


def test_a_proxy_checks_the_documents_before_they_are_sent(runtime: Runtime, central: ServerHandle) -> None:
    from tests.flows.test_documents import capture, proxy_start

    d = proxy_start(runtime, "progress_query")
    for kind in ("authorisation_letter", "id_card", "id_card"):
        capture(d, kind)
    view = d.wait("confirm_documents")
    rows = {r.label: r for r in summary_rows(view.params)}
    assert rows["result.row.service"].value == "service.progress_query"
    assert rows["check.row.documents"].value == "3"
    principal, proxy = person("replacement_in_progress"), person("adult_never_applied")
    assert principal["id_number"] not in str(view.params) and proxy["id_number"] not in str(view.params)
    assert central_count(central, "documents") == 0
    d.send("cancel")
    _view, result = d.end(timeout=20)
    assert result.end is End.CANCELLED and central_count(central, "documents") == 0
