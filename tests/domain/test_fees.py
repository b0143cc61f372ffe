"""The fee rule (arts. 33, 50; kiosk/domain/fees.py): first applications and quality replacements are
free and say why; every other replacement pays the tariff, the same as the central charges."""

from __future__ import annotations

import pytest

from central_sim.payments import TARIFF_FEN, fee_fen
from kiosk.domain.eligibility import REPLACEMENT_REASONS
from kiosk.domain.fees import REPLACEMENT_FEE_FEN, Fee, fee_for


def test_first_applications_and_quality_replacements_are_free_and_say_why() -> None:
    assert fee_for("new") == Fee(0, "first_application")
    assert fee_for("replacement", "quality_defect") == Fee(0, "quality_defect")
    assert not fee_for("new").due and not fee_for("replacement", "quality_defect").due


@pytest.mark.parametrize("reason", [r for r in REPLACEMENT_REASONS if r != "quality_defect"])
def test_other_replacements_pay_the_tariff(reason: str) -> None:
    fee = fee_for("replacement", reason)
    assert fee.due and fee.amount_fen == REPLACEMENT_FEE_FEN == 2000 and fee.free_because == ""
    assert (fee.yuan, fee.printed) == ("20", "20.00")


@pytest.mark.parametrize(("kind", "reason"), [("new", None), *(("replacement", r) for r in REPLACEMENT_REASONS)])
def test_the_kiosk_states_what_the_central_charges(kind: str, reason: str | None) -> None:
    assert fee_for(kind, reason).amount_fen == fee_fen(kind, reason)
    assert REPLACEMENT_FEE_FEN == TARIFF_FEN


def test_amounts_are_shown_in_yuan_and_printed_with_fen() -> None:
    assert (Fee(2050).yuan, Fee(2050).printed, Fee(5).printed) == ("20.50", "20.50", "0.05")


def test_any_amount_above_zero_is_due() -> None:
    """One fen is still a fee to pay (a tariff change must never make a small fee silently free)."""
    assert Fee(1).due and not Fee(0).due
