"""UI scenario (run by tests/ui/run_scenario.py through tests.ui.scenarios): a guardian applies for a
child without an ID card on the touchscreen (issue 21 §3) — the first screen's action, the guardian's
card and face, the child's number on the keypad with its X key, the 户口簿 page, no birth certificate,
no photo (under 2), details, consent to delivery after review."""

from __future__ import annotations

import datetime as dt
import sqlite3
from typing import Any

from kiosk.clock import CHINA_TZ
from kiosk.demo import citizen, id_card_for
from kiosk.domain.idnumber import make_id_number
from kiosk.domain.services import ServiceId

GUARDIAN = "adult_active_card"


def registered_baby(db: Any) -> str:
    """A baby in the central's register whose number ends in X (the keypad's extra key)."""
    today = dt.datetime.now(CHINA_TZ).date()
    number = next(n for n in (make_id_number("350102", today - dt.timedelta(days=150 + i), 27) for i in range(400))
                  if n.endswith("X"))
    born = f"{number[6:10]}-{number[10:12]}-{number[12:14]}"
    with sqlite3.connect(db) as conn:
        conn.execute("INSERT INTO persons (id_number, name, sex, birth_date, insured, medical_insurance, updated_at)"
                     " VALUES (?,?,?,?,?,?,?)", (number, "林𠮷宝", "1", born, 1, "resident", "2026-01-01"))
    return number


def child_without_id(s: Any) -> dict[str, Any]:
    """``s``: tests.ui.scenarios.Setup."""
    from tests.ui.scenarios import fill_details

    h = s.h
    number = registered_baby(s.db)
    s.start(ServiceId.APPLY)
    h.wait_view("read_id")
    h.tap("button.no_id_card")
    h.wait_view("read_guardian_id")
    s.devices.id_reader.place(id_card_for(citizen(GUARDIAN)))
    s.face_check(GUARDIAN)
    h.wait_view("child_register", timeout=20)
    h.tap("form.edit.child_id_number")
    for c in number:
        h.tap("key.token.X" if c == "X" else f"key.{c}")
    h.tap("form.save")
    h.pump_until(lambda: h.view.params.get("child_id_number", "").endswith(number[-4:]), 5, "number set")
    typed_ok = not h.view.reasons
    h.tap("button.confirm")  # check your answers
    h.tap("button.confirm")
    h.wait_view("document_place")
    s.devices.document_camera.steer("document", kind="household_register")
    h.wait_view("document_preview", timeout=20)
    h.tap("button.confirm")
    h.wait_view("more_proof")
    h.tap("button.no_birth_certificate")
    h.wait_view("photo_optional")
    h.tap("button.no_photo")
    fill_details(s, "13800000001", "1")
    h.wait_view("deliver_later", timeout=20)
    h.tap("button.agree")
    h.wait_view("deliver_later_how")
    h.tap("choice.pickup")
    result = s.finish()
    return {**result, "typed_ok": typed_ok,
            "delivery": s.one("SELECT delivery FROM applications WHERE id_number = ?", number),
            "review": s.one("SELECT COUNT(*) FROM application_timeline t JOIN applications a"
                            " ON a.application_id = t.application_id WHERE a.id_number = ?"
                            " AND t.status = 'review_pending'", number),
            "documents": s.one("SELECT COUNT(*) FROM documents WHERE subject_id_number = ?", number)}
