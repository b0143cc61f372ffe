"""The names of each service's steps, for the stepper (GOV.UK's step-by-step: say what each
step is, not only its number). Keys are string-table keys ``stepname.<name>``; a service whose
step count differs from its row here (a flow that gained a step) shows the count only."""

from __future__ import annotations

from kiosk.domain.services import ServiceId

ISSUANCE = ("read_id", "check_record", "photo", "details", "submit", "make_card", "set_pin", "done")

STEPS: dict[ServiceId, tuple[str, ...]] = {
    ServiceId.APPLY: ISSUANCE,
    ServiceId.REPLACE: ISSUANCE,
    ServiceId.LOSS_REPORT: ("read_id", "confirm_card", "submit", "receipt"),
    ServiceId.LOSS_CANCEL: ("read_id", "insert_card", "check_record", "submit", "receipt"),
    ServiceId.ACTIVATE: ("read_id", "insert_card", "confirm", "done"),
    ServiceId.PIN_CHANGE: ("insert_card", "old_pin", "new_pin", "done"),
    ServiceId.PIN_RESET: ("read_id", "insert_card", "face", "new_pin", "submit", "done"),
    ServiceId.CONTACT_CHANGE: ("read_id", "details", "done"),
    ServiceId.PROGRESS_QUERY: ("read_id", "choose_application", "timeline"),
}


def step_keys(service: ServiceId, total: int) -> tuple[str, ...]:
    names = STEPS.get(service, ())
    return tuple(f"stepname.{n}" for n in names) if len(names) == total else ()
