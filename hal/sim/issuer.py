"""Simulated card printer: hopper, contact station (wired to a simulated encoder), reject box, bezel."""

from __future__ import annotations

from enum import StrEnum

from hal.sim.base import SimDevice
from hal.sim.card_reader import SimCardReader, blank_chip
from hal.status import Action, DeviceError, Media, Supply
from hal.types import CardFace


class CardPosition(StrEnum):
    NONE = "none"
    CONTACT = "contact"
    PRINT = "print"
    BEZEL = "bezel"


class SimCardIssuer(SimDevice):
    def __init__(
        self,
        encoder: SimCardReader,
        name: str = "issuer",
        latency_s: float = 0.0,
        blanks: int = 100,
        ribbon: int = 500,
        reject_capacity: int = 50,
    ) -> None:
        super().__init__(name, latency_s)
        self.encoder = encoder
        self.blanks = blanks
        self.ribbon = ribbon
        self.ribbon_capacity = ribbon
        self.rejected = 0
        self.reject_capacity = reject_capacity
        self.position = CardPosition.NONE
        self.jammed = False
        self.printed_faces: list[CardFace] = []

    def _media(self) -> Media:
        if self.jammed:
            return Media.JAMMED
        return Media.NOT_PRESENT if self.position is CardPosition.NONE else Media.PRESENT

    def _supplies(self) -> dict[str, Supply]:
        def level(n: int, low: int) -> Supply:
            return Supply.OUT if n <= 0 else Supply.LOW if n <= low else Supply.OK

        box = self.reject_capacity - self.rejected
        return {
            "blank_cards": level(self.blanks, 10),
            "ribbon": level(self.ribbon, self.ribbon_capacity // 10),
            "reject_box": level(box, 5),
        }

    def _jam_check(self, op: str) -> None:
        try:
            self._operation(op)
        except DeviceError as exc:
            if exc.code == "jam":
                self.jammed = True
                exc.action = Action.MAINTENANCE
            raise

    def feed_to_contact(self) -> None:
        self._jam_check("feed")
        with self._lock:
            if self.jammed:
                raise DeviceError("jam", "card jammed", Action.MAINTENANCE)
            if self.position is not CardPosition.NONE:
                raise DeviceError("card_in_transport", "a card is already in the printer", Action.RESET)
            if self.blanks <= 0:
                raise DeviceError("feeder_empty", "no blank cards in the hopper", Action.CLEAR)
            self.blanks -= 1
            self._count("fed")
            self.position = CardPosition.CONTACT
        self.encoder.insert(blank_chip())

    def print_face(self, face: CardFace) -> None:
        self._jam_check("print")
        with self._lock:
            if self.position is CardPosition.NONE:
                raise DeviceError("no_card", "no card to print on", Action.RESET)
            if self.ribbon <= 0:
                raise DeviceError("ribbon_out", "the ribbon is used up", Action.CLEAR)
            self.ribbon -= 1
            self.position = CardPosition.PRINT
            self.printed_faces.append(face)
            self._count("printed")

    def eject_to_bezel(self) -> None:
        self._jam_check("eject")
        with self._lock:
            if self.position is CardPosition.NONE:
                raise DeviceError("no_card", "no card to eject", Action.RESET)
            self.position = CardPosition.BEZEL
            self._count("ejected")
        self.encoder.remove()

    def eject_to_reject(self) -> None:
        self._jam_check("reject")
        with self._lock:
            if self.rejected >= self.reject_capacity:
                raise DeviceError("reject_box_full", "the reject box is full", Action.CLEAR)
            self.jammed = False
            if self.position is not CardPosition.NONE:
                self.rejected += 1
                self._count("rejected")
            self.position = CardPosition.NONE
        self.encoder.remove()

    def card_taken(self) -> bool:
        return self.position is not CardPosition.BEZEL

    def take_card(self) -> None:
        with self._lock:
            if self.position is CardPosition.BEZEL:
                self.position = CardPosition.NONE

    def _steer(self, action: str, params: dict[str, object]) -> str:
        if action == "take":
            self.take_card()
            return "taken"
        if action == "hopper":
            self.blanks = int(str(params.get("count", 0)))
            return f"blanks={self.blanks}"
        if action == "ribbon":
            self.ribbon = int(str(params.get("count", 0)))
            return f"ribbon={self.ribbon}"
        if action == "jam":
            self._fail_next[str(params.get("op", "*"))] = "jam"
            return "jam armed"
        if action == "empty_reject_box":
            n, self.rejected = self.rejected, 0
            return f"emptied {n}"
        return super()._steer(action, params)
