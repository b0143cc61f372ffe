"""Simulated ID card reader: a tester places or removes an ID card."""

from __future__ import annotations

import time

from hal.sim.base import SimDevice
from hal.status import Media
from hal.types import IdCardData


class SimIdCardReader(SimDevice):
    def __init__(self, name: str = "id_reader", latency_s: float = 0.0) -> None:
        super().__init__(name, latency_s)
        self._card: IdCardData | None = None

    def _media(self) -> Media:
        return Media.PRESENT if self._card else Media.NOT_PRESENT

    def place(self, card: IdCardData) -> None:
        with self._lock:
            self._card = card
            self._changed.notify_all()

    def remove(self) -> None:
        with self._lock:
            self._card = None
            self._changed.notify_all()

    def card_present(self) -> bool:
        with self._lock:
            return self._card is not None

    def read_card(self, timeout_s: float) -> IdCardData | None:
        self._operation("read")
        deadline = time.monotonic() + timeout_s
        with self._lock:
            while self._card is None:
                left = deadline - time.monotonic()
                if left <= 0:
                    return None
                self._changed.wait(min(left, 0.2))
            self._count("reads")
            return self._card

    def _steer(self, action: str, params: dict[str, object]) -> str:
        if action == "remove":
            self.remove()
            return "removed"
        if action == "place":
            card = params.get("card")
            if not isinstance(card, IdCardData):
                raise ValueError("place needs card=IdCardData")
            self.place(card)
            return "placed"
        return super()._steer(action, params)
