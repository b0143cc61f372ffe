"""The 户口簿 review (arts. 16, 51): a child without an ID card applies by the household register's
number, and a reviewer at the centre matches the captured page with the register before the card is
made. Until then the application is kept from production (applications.review_pending).

A decision is one of:
- approve: the timeline gets ``reviewed`` and the application goes on to the bank account and the card;
- refuse, with one of REFUSALS: the timeline gets ``review_refused``, the application is ``refused``
  and its card number is cancelled; the guardian applies again at a counter.
Either way the captured pages are marked (``accepted`` / ``rejected``), the decision is audited, and the
guardian is texted it (central_sim.notices; the kiosk's page said "We'll text you the result").
The console's review desk (console/app.py) is the only caller.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from central_sim import notices
from central_sim.applications import REVIEW_PENDING, REVIEW_REFUSED, REVIEWED, review_pending
from central_sim.cards import set_status
from central_sim.clock import rfc3339
from central_sim.idnumber import mask
from central_sim.persons import add_timeline
from central_sim.refusals import add_reasons
from central_sim.storage import Row, Tx

# A refusal's reason, told to the guardian through the progress query (zh, en).
REFUSALS: dict[str, tuple[str, str]] = {
    "page_unreadable": ("户口簿页不清晰，无法核对", "The register page cannot be read"),
    "page_mismatch": ("户口簿页与户籍登记不一致", "The register page does not match the register"),
    "guardian_not_shown": ("户口簿页未能证明监护关系", "The page does not show the guardian"),
}
_PAGES = "purpose = 'guardian' AND kind = 'household_register'"


class ReviewError(Exception):
    def __init__(self, status: int, code: str, message: str) -> None:
        super().__init__(message)
        self.status, self.code, self.message = status, code, message


def pending(tx: Tx) -> list[dict[str, Any]]:
    """Applications waiting for a reviewer, oldest first, with masked numbers (the list is shown to anyone
    with the review duty; the case page shows the page itself)."""
    rows = tx.all("SELECT DISTINCT a.application_id, a.id_number, a.kiosk_id, a.created_at, a.delivery"
                  " FROM applications a JOIN application_timeline t ON t.application_id = a.application_id"
                  f" WHERE t.status = '{REVIEW_PENDING}' ORDER BY a.created_at, a.application_id")
    out = []
    for r in rows:
        if not review_pending(tx, r["application_id"]):
            continue
        pages = tx.scalar(f"SELECT COUNT(*) FROM documents WHERE subject_id_number = ? AND {_PAGES}",
                          (r["id_number"],))
        out.append({"application_id": r["application_id"], "id_masked": mask(r["id_number"]),
                    "kiosk_id": r["kiosk_id"], "created_at": r["created_at"], "delivery": r["delivery"],
                    "pages": int(pages or 0)})
    return out


def case(tx: Tx, application_id: str) -> dict[str, Any]:
    """What the reviewer compares: the register's entry for the child and the guardian, and the pages."""
    app = _application(tx, application_id)
    child = tx.one("SELECT name, sex, birth_date FROM persons WHERE id_number = ?", (app["id_number"],)) or {}
    docs = tx.all("SELECT document_id, presenter_id_number, captured_at, received_at, jpeg_b64, review_status"
                  f" FROM documents WHERE subject_id_number = ? AND {_PAGES} ORDER BY received_at",
                  (app["id_number"],))
    guardians = []
    for presenter in dict.fromkeys(str(d["presenter_id_number"]) for d in docs):
        g = tx.one("SELECT name FROM persons WHERE id_number = ?", (presenter,))
        guardians.append({"id_masked": mask(presenter), "name": g["name"] if g else ""})
    return {
        "application_id": application_id, "id_masked": mask(app["id_number"]), "kiosk_id": app["kiosk_id"],
        "created_at": app["created_at"], "delivery": app["delivery"], "status": app["status"],
        "child": {k: child.get(k, "") for k in ("name", "sex", "birth_date")},
        "guardians": guardians,
        "pages": [{"document_id": d["document_id"], "captured_at": d["captured_at"], "jpeg_b64": d["jpeg_b64"],
                   "review_status": d["review_status"]} for d in docs],
        "pending": review_pending(tx, application_id),
    }


def decide(tx: Tx, application_id: str, decision: str, refusal: str, now: dt.datetime) -> Row:
    """Record the decision (who decided is the console's audit); returns the application. A decision
    that is not allowed raises ReviewError and changes nothing."""
    app = _application(tx, application_id)
    if not review_pending(tx, application_id):
        raise ReviewError(409, "not_pending", "该申请不在待审核状态 This application is not waiting for review")
    at = rfc3339(now)
    if decision == "approve":
        add_timeline(tx, application_id, REVIEWED, at, "户口簿页与户籍登记一致")
        _mark_pages(tx, app["id_number"], "accepted")
        notices.tell(tx, app["id_number"], "application", application_id, submitted_at=None, at=now)
        return app
    if decision != "refuse":
        raise ReviewError(400, "unknown_decision", "未知的审核结论 Unknown decision")
    if refusal not in REFUSALS:
        raise ReviewError(400, "refusal_reason_required", "请选择不通过的原因 Choose why it is refused")
    add_timeline(tx, application_id, REVIEW_REFUSED, at, REFUSALS[refusal][0])
    # told to the guardian by the progress query, as an offline application's refusal is
    reasons = [{"code": "register_review_refused", "message": REFUSALS[refusal][0]}]
    add_reasons(tx, application_id, reasons)
    tx.execute("UPDATE applications SET status = 'refused' WHERE application_id = ?", (application_id,))
    set_status(tx, app["card_no"], "cancelled", at)  # never made: the number is not used again
    _mark_pages(tx, app["id_number"], "rejected")
    notices.tell(tx, app["id_number"], "application", application_id, submitted_at=None, at=now, refused=reasons)
    return app


def _application(tx: Tx, application_id: str) -> Row:
    app = tx.one("SELECT * FROM applications WHERE application_id = ?", (application_id[:64],))
    if app is None:
        raise ReviewError(404, "unknown_application", "无此申请 No such application")
    return app


def _mark_pages(tx: Tx, id_number: str, status: str) -> None:
    tx.execute(f"UPDATE documents SET review_status = ? WHERE subject_id_number = ? AND {_PAGES}"
               " AND review_status = 'pending_review'", (status, id_number))
