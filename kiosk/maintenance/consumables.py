"""Consumables: refill the hopper, replace the ribbon, empty the reject box, change the receipt
paper, empty the retain bin. Every change is recorded (0600 JSON lines); the hopper count the technician entered and the
cards fed since give the kiosk's own blank-card level, and the low/out thresholds below feed the
heartbeat's ``supplies``. Emptying the reject box lists the spoiled cards for destruction (arts. 27, 36);
emptying the retain bin lists the retracted cards to hand to the counter for pickup (art. 27).
"""

from __future__ import annotations

import datetime as dt
import json
import os
import threading
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, ClassVar

from hal.status import DeviceStatus, Supply
from kiosk.clock import CHINA_TZ
from kiosk.devices import DeviceSet
from kiosk.stock_ledger import Kind, LedgerRow, StockLedger

CONSUMABLES_FILE = "consumables.jsonl"
MAX_HOPPER = 500


@dataclass(frozen=True)
class Thresholds:
    blank_cards_low: int = 20
    reject_box_capacity: int = 50
    reject_box_low_left: int = 5  # "low" = this many places left


FED_COUNTERS = ("cards_fed", "fed")
REJECT_COUNTERS = ("cards_rejected", "rejected")


def _counter(st: DeviceStatus | None, names: tuple[str, ...]) -> int:
    if st is None:
        return 0
    return next((int(st.counters[n]) for n in names if n in st.counters), 0)


def _level(left: int, low: int) -> Supply:
    return Supply.OUT if left <= 0 else Supply.LOW if left <= low else Supply.OK


_WORSE = {Supply.UNKNOWN: 0, Supply.OK: 1, Supply.LOW: 2, Supply.OUT: 3}


@dataclass(frozen=True)
class BinList:
    """Cards a technician took out of a bin, against what the stock ledger says went in."""

    counted: int
    emptied_at: str
    cards: tuple[LedgerRow, ...]

    title: ClassVar[str] = ""

    @property
    def mismatch(self) -> bool:
        return self.counted != len(self.cards)

    def lines(self) -> list[str]:
        out = [f"{self.title}, emptied {self.emptied_at}",
               f"counted {self.counted}, ledger {len(self.cards)}" + (" MISMATCH" if self.mismatch else "")]
        out += [f"{r.at} {r.application_id} {r.name} {r.card_no} {r.reason}" for r in self.cards]
        return out


@dataclass(frozen=True)
class DestructionList(BinList):
    """Spoiled cards taken out of the reject box, for the destruction record (art. 36)."""

    title = "废卡销毁清单 spoiled cards for destruction"


@dataclass(frozen=True)
class PickupList(BinList):
    """Retracted cards taken out of the retain bin, for the counter's pickup shelf (art. 27)."""

    title = "回收卡交接清单 retained cards handed to the counter"


class Consumables:
    def __init__(self, path: Path, devices: DeviceSet, ledger: StockLedger | None = None,
                 thresholds: Thresholds | None = None) -> None:
        self.path = path
        self.devices = devices
        self.ledger = ledger
        self.thresholds = thresholds or Thresholds()
        self._lock = threading.Lock()

    # ---- the record -------------------------------------------------------------------------
    def records(self) -> list[dict[str, Any]]:
        try:
            with self.path.open(encoding="utf-8") as fh:
                return [json.loads(line) for line in fh if line.strip()]
        except FileNotFoundError:
            return []

    def _append(self, action: str, actor: str, **fields: Any) -> dict[str, Any]:
        rec = {"at": dt.datetime.now(CHINA_TZ).isoformat(timespec="seconds"), "action": action, "actor": actor,
               **fields}
        with self._lock:
            fd = os.open(self.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
            try:
                os.write(fd, (json.dumps(rec, ensure_ascii=False) + "\n").encode("utf-8"))
                os.fsync(fd)
            finally:
                os.close(fd)
        return rec

    def _last(self, action: str) -> dict[str, Any] | None:
        return next((r for r in reversed(self.records()) if r.get("action") == action), None)

    def _issuer_status(self) -> DeviceStatus | None:
        return self.devices.issuer.status() if self.devices.issuer is not None else None

    def _steer(self, dev: Any, action: str, **params: Any) -> None:
        steer = getattr(dev, "steer", None)  # simulators: the model follows what the technician did
        if callable(steer):
            steer(action, **params)

    # ---- actions ------------------------------------------------------------------------------
    def refill_hopper(self, added: int, actor: str) -> dict[str, Any]:
        if not 1 <= added <= MAX_HOPPER:
            raise ValueError(f"count must be 1..{MAX_HOPPER}")
        left = self.blank_cards_left()
        total = (left or 0) + added
        if total > MAX_HOPPER:
            raise ValueError(f"the hopper holds at most {MAX_HOPPER} cards")
        self._steer(self.devices.issuer, "hopper", count=total)
        return self._append("refill_hopper", actor, added=added, total=total,
                            fed_at=_counter(self._issuer_status(), FED_COUNTERS))

    def replace_ribbon(self, actor: str) -> dict[str, Any]:
        dev: Any = self.devices.issuer
        self._steer(dev, "ribbon", count=int(getattr(dev, "ribbon_capacity", 500)))
        return self._append("replace_ribbon", actor)

    def change_receipt_paper(self, actor: str) -> dict[str, Any]:
        self._steer(self.devices.receipt_printer, "paper", count=500)
        return self._append("change_receipt_paper", actor)

    def empty_reject_box(self, counted: int, actor: str) -> DestructionList:
        if not 0 <= counted <= 1000:
            raise ValueError("count must be 0..1000")
        cards, upto = self._ledger_since("empty_reject_box", Kind.SPOILED)
        self._steer(self.devices.issuer, "empty_reject_box")
        rec = self._append("empty_reject_box", actor, counted=counted, listed=len(cards), upto_row=upto,
                           rejected_at=_counter(self._issuer_status(), REJECT_COUNTERS),
                           cards=[r.application_id for r in cards])
        return DestructionList(counted, str(rec["at"]), tuple(cards))

    def empty_retain_bin(self, counted: int, actor: str) -> PickupList:
        """Retracted cards out of the printer, listed for the counter where their holders collect them."""
        if not 0 <= counted <= 1000:
            raise ValueError("count must be 0..1000")
        cards, upto = self._ledger_since("empty_retain_bin", Kind.RETAINED)
        issuer = self.devices.issuer
        if issuer is not None:
            issuer.retain_bin_emptied()
        rec = self._append("empty_retain_bin", actor, counted=counted, listed=len(cards), upto_row=upto,
                           cards=[r.application_id for r in cards])
        return PickupList(counted, str(rec["at"]), tuple(cards))

    def _ledger_since(self, action: str, kind: Kind) -> tuple[list[LedgerRow], int]:
        """Ledger rows of ``kind`` added since ``action`` was last recorded (at most 31 days back),
        and the ledger's high-water row to record with this action. Rows are told apart by their
        row number, not their time: a card retracted in the same second as the last emptying
        would otherwise be listed twice or never."""
        if self.ledger is None:
            return [], 0
        last = self._last(action)
        since = str(last["at"]) if last else ""
        after = int(last.get("upto_row", 0)) if last else 0
        today = dt.datetime.now(CHINA_TZ).date()
        day = dt.date.fromisoformat(since[:10]) if since else today - dt.timedelta(days=31)
        rows: list[LedgerRow] = []
        while day <= today:
            rows += self.ledger.rows(day)
            day += dt.timedelta(days=1)
        if last is not None and "upto_row" not in last:  # a record written before row marks: by time
            rows = [r for r in rows if r.at[:19] > since[:19]]
        upto = max((r.row_id for r in rows), default=after)
        return [r for r in rows if r.kind is kind and r.row_id > after], max(upto, after)

    # ---- levels -------------------------------------------------------------------------------
    def blank_cards_left(self) -> int | None:
        """The kiosk's own count: entered at the last refill minus cards fed since (None = never refilled)."""
        last = self._last("refill_hopper")
        if last is None:
            return None
        fed = _counter(self._issuer_status(), FED_COUNTERS) - int(last.get("fed_at", 0))
        return max(0, int(last["total"]) - max(0, fed))

    def reject_box_used(self) -> int:
        last = self._last("empty_reject_box")
        base = int(last.get("rejected_at", 0)) if last else 0
        return max(0, _counter(self._issuer_status(), REJECT_COUNTERS) - base)

    def levels(self) -> dict[str, Supply]:
        th = self.thresholds
        out: dict[str, Supply] = {}
        left = self.blank_cards_left()
        if left is not None:
            out["blank_cards"] = _level(left, th.blank_cards_low)
        out["reject_box"] = _level(th.reject_box_capacity - self.reject_box_used(), th.reject_box_low_left)
        return out

    def overlay(self, supplies: Mapping[str, str], device: str) -> dict[str, str]:
        """A device's heartbeat supplies with the kiosk's own levels merged in (the worse one wins)."""
        merged = dict(supplies)
        if device != "issuer":
            return merged
        for name, level in self.levels().items():
            current = Supply(merged.get(name, Supply.UNKNOWN.value))
            if _WORSE[level] > _WORSE[current]:
                merged[name] = level.value
        return merged
