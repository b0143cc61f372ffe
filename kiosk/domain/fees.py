"""The card fee (工本费) the citizen is told before committing and finds on the receipt (arts. 33, 50).

Art. 50: the cooperating bank waives the fee of a first application (换发 included); any other fee is
told to the citizen plainly. Art. 33: a card with a quality defect is replaced free within one
month of collection (kiosk.domain.eligibility refuses a quality replacement after that month).
Every other replacement (lost, damaged, key information or photo changed, a child turned 2) pays
the tariff. The central keeps the same rule and refuses an order of another amount.
"""

from __future__ import annotations

from dataclasses import dataclass

REPLACEMENT_FEE_FEN = 2000  # ¥20.00, the city's tariff for a replacement card
FREE_REPLACEMENT_REASONS = ("quality_defect",)


@dataclass(frozen=True)
class Fee:
    amount_fen: int
    free_because: str = ""  # why it is free: "first_application" / "quality_defect"; "" when due

    @property
    def due(self) -> bool:
        return self.amount_fen > 0

    @property
    def yuan(self) -> str:
        """The amount on the screen and in speech: 20 (whole yuan), 20.50 otherwise."""
        whole, fen = divmod(self.amount_fen, 100)
        return f"{whole}" if fen == 0 else f"{whole}.{fen:02d}"

    @property
    def printed(self) -> str:
        """The amount on the receipt: 20.00."""
        whole, fen = divmod(self.amount_fen, 100)
        return f"{whole}.{fen:02d}"


def fee_for(kind: str, reason: str | None = None) -> Fee:
    """The fee of an application: ``kind`` new/replacement, a replacement's ``reason``."""
    if kind == "new":
        return Fee(0, "first_application")
    if reason in FREE_REPLACEMENT_REASONS:
        return Fee(0, "quality_defect")
    return Fee(REPLACEMENT_FEE_FEN)
