"""Simulated ID card reader: a tester places or removes an ID card."""

from __future__ import annotations

import dataclasses
import time

from hal.sim.base import SimDevice
from hal.status import Media
from hal.types import IdCardData


class SimIdCardReader(SimDevice):
    def __init__(self, name: str = "id_reader", latency_s: float = 0.0, *, decodes_photos: bool = True) -> None:
        super().__init__(name, latency_s)
        self._card: IdCardData | None = None
        # as with a WLT decoder plug-in; False: like a reader without one, the photo stays undecoded
        self.decodes_photos = decodes_photos

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

    def placed(self) -> IdCardData | None:
        """The card lying on the reader, as placed (a tester's peek; not a read)."""
        with self._lock:
            return self._card

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
            if not self.decodes_photos and self._card.photo_bmp is not None:
                return dataclasses.replace(self._card, photo_bmp=None)
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
