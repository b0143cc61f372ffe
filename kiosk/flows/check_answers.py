"""Check your answers before a committing step (issue 19): the one flow step every service shows
before it sends something to the central or writes the card.

The citizen sees what will be done as a summary list (the service, whose card, masked ID and card
numbers, the fee if any) and what happens next, then confirms or leaves with nothing changed
(cancel), or goes back to the previous choice where the flow offers one. The screen draws the rows
from ``params["summary"]`` (screens/check_panel.py), so no service draws its own copy.

Where a service already confirms in its own form, that confirmation is reused instead: the details
forms' check-your-answers (kiosk/flows/details.py, apply / replace / contact change, also by proxy and
after an e-card sign-in) and the fee statement before a payment (kiosk/flows/payment.py).
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Protocol

from kiosk.domain.masking import mask_card_no, mask_id, mask_name
from kiosk.flows.base import Flow, FlowContext

SUMMARY_PARAM = "summary"  # the rows, JSON: [[label key, value, value is a string key], ...]
NEXT_PARAM = "next"  # the string key of what happens next


@dataclass(frozen=True)
class Row:
    """One line of the summary: ``label`` is a string key; ``value`` is shown as given (already
    masked), or, with ``is_key``, is itself a string key (a service's name)."""

    label: str
    value: str
    is_key: bool = False


class Holder(Protocol):
    @property
    def name(self) -> str: ...
    @property
    def id_number(self) -> str: ...


def holder_rows(flow: Flow, who: Holder, card_no: str = "") -> tuple[Row, ...]:
    """The rows most services start with: the service, whose it is (masked) and the card, if one."""
    rows = (Row("result.row.service", f"service.{flow.service.value}", is_key=True),
            Row("check.row.name", mask_name(who.name)), Row("check.row.id", mask_id(who.id_number)))
    return (*rows, Row("result.row.card_no", mask_card_no(card_no))) if card_no else rows


def summary_params(rows: Sequence[Row], next_key: str) -> dict[str, str]:
    return {SUMMARY_PARAM: json.dumps([[r.label, r.value, r.is_key] for r in rows], ensure_ascii=False),
            NEXT_PARAM: next_key}


def summary_rows(params: Mapping[str, str]) -> list[Row]:
    """The rows a summary view carries (none for any other view)."""
    raw = params.get(SUMMARY_PARAM, "")
    if not raw:
        return []
    return [Row(str(label), str(value), bool(is_key)) for label, value, is_key in json.loads(raw)]


def confirm_summary(ctx: FlowContext, flow: Flow, screen: str, step: int, message: str, rows: Sequence[Row],
                    next_key: str, *, params: Mapping[str, str] | None = None, back: bool = False) -> bool:
    """Show the summary and wait: True on confirm, False on back (only offered with ``back``);
    cancel ends the service before anything is committed (ctx.ask raises Cancelled)."""
    actions = ("confirm", "back", "cancel") if back else ("confirm", "cancel")
    got = ctx.ask(flow.view(screen, step, message, params={**(params or {}), **summary_params(rows, next_key)},
                            actions=actions))
    return got.action == "confirm"
