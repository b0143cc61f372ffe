"""Which views elderly mode pages one item at a time: the counter guide's checklists only. A form's
error summary with three reasons was paged too (the rule keyed on the reasons' count alone), which
would have hidden the form behind 下一项 until its last error."""

from __future__ import annotations

from kiosk.domain.counter_guidance import GUIDES
from kiosk.domain.services import ServiceId
from kiosk.flows.base import End, View
from screens.panels import paged_checklist


def view(screen: str, reasons: tuple[str, ...], end: End | None = None) -> View:
    return View(service=ServiceId.COUNTER_GUIDANCE, screen=screen, step=2, total=3, title="t", message="m",
                reasons=reasons, end=end)


def test_a_guide_longer_than_a_page_is_paged() -> None:
    for guide in GUIDES.values():
        assert paged_checklist(view("guidance", guide.checklist))


def test_short_lists_end_views_and_form_errors_are_not() -> None:
    assert not paged_checklist(view("guidance", ("a", "b")))
    assert not paged_checklist(view("guidance", ("a", "b", "c"), end=End.DONE))
    errors = ("reason.invalid_mobile", "reason.invalid_postal_code", "reason.missing_address")
    assert not paged_checklist(view("details", errors))
    assert not paged_checklist(view("contact_form", errors))
