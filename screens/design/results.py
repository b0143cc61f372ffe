"""What a result page says, from the end View alone (the flow decided everything already):

- success: ✓, what was done, the masked card number and transaction number, the next step,
  a receipt reminder, and a QR code of the transaction number for the counter;
- pending (accepted offline, queued): what "pending" means and when it completes;
- refusal: each reason in plain words, with what to do;
- fault, cancelled, timed out, card removed: what happened and where to get help.
"""

from __future__ import annotations

from kiosk.flows.base import View
from screens.design.components import ResultPanel
from screens.design.outcome import pending_note, result_kind
from screens.i18n import table
from screens.ports import AppPort
from screens.widgets import theme


def _has(app: AppPort, key: str) -> bool:
    return key in table("zh")


def next_steps(app: AppPort, view: View, kind: str) -> list[str]:
    params = {**dict(view.params), "hotline": app.cfg.kiosk.hotline}
    out: list[str] = []
    suffix = view.message.rpartition(".")[2]
    if kind in ("success", "attention"):
        key = f"result.next.{suffix}"
        if suffix == "issued":
            key = "result.next.card_active" if view.params.get("activated") == "1" else "result.next.card_inactive"
        if _has(app, key):
            out.append(app.t(key, **params))
    elif kind == "pending":
        out.append(app.t(pending_note(view), **params))
    elif kind == "refused":
        for reason in view.reasons:
            todo = f"todo.{reason}"
            if _has(app, todo):
                out.append(app.t(todo, **params))
        out.append(app.t("result.refused.help", **params))
    elif kind == "fault":
        out.append(app.t("result.fault.help", **params))
    receipt = view.params.get("receipt")
    if receipt == "ok":
        out.append(app.t("result.receipt", **params))
    elif receipt == "failed":
        out.append(app.t("result.receipt_failed", **params))
    return out


def summary(app: AppPort, view: View) -> list[tuple[str, str, str]]:
    rows: list[tuple[str, str, str]] = []
    if not theme().elderly:  # elderly mode: the header already names the service; rows are 1.5x tall
        rows.append(("service", app.t("result.row.service"), app.t(view.title)))
    if view.params.get("card_no"):
        rows.append(("card_no", app.t("result.row.card_no"), view.params["card_no"]))
    if view.params.get("txn"):
        rows.append(("txn", app.t("result.row.txn"), view.params["txn"]))
    return rows


def result_panel(app: AppPort, view: View) -> ResultPanel:
    kind = result_kind(view)
    params = dict(view.params)
    reasons = [app.t(r, **params) for r in view.reasons]
    txn = view.params.get("txn", "")
    # "暂不能办理" is the headline already; a message that says more (a fault's) stays
    detail = "" if view.message == "end.refused" else app.t(view.message, **params)
    panel = ResultPanel(kind, app.t(f"result.headline.{kind}"), detail,
                        summary(app, view) if kind in ("success", "pending", "attention") else [],
                        next_steps(app, view, kind), qr_text=txn, qr_caption=app.t("result.qr_caption"),
                        reasons=reasons, background=app.background, register=app.register)
    return panel
