"""Simulated card printer: hopper, contact station (wired to a simulated encoder), reject box, bezel.

With ``state_path`` the printer's physical state (hopper, ribbon and reject counts, where the card
is, a jam) survives a process kill the way real hardware does: it is written atomically on every
change and read back at construction. ``motion_s`` is the time a card takes to move *after* the
state changed (the call returns later), so a test can kill the kiosk with the card already moved
but the move not yet acknowledged. No card face (personal data) is ever written.
"""

from __future__ import annotations

import json
import logging
import time
from collections import deque
from enum import StrEnum
from pathlib import Path

from hal.atomic_file import write_atomic
from hal.sim.base import SimDevice
from hal.sim.card_reader import SimCardReader, blank_chip
from hal.status import Action, DeviceError, Media, Supply
from hal.types import CardFace

log = logging.getLogger("hal.sim.issuer")
KEEP_FACES = 20  # the last printed faces (with photos), for tests and the demo


class CardPosition(StrEnum):
    NONE = "none"
    CONTACT = "contact"
    PRINT = "print"
    BEZEL = "bezel"
    RETAINED = "retained"  # not taken: retracted into the retain bin


class SimCardIssuer(SimDevice):
    def __init__(
        self,
        encoder: SimCardReader,
        name: str = "issuer",
        latency_s: float = 0.0,
        blanks: int = 100,
        ribbon: int = 500,
        reject_capacity: int = 50,
        retain_capacity: int = 20,
        state_path: Path | None = None,
        motion_s: float = 0.0,
    ) -> None:
        super().__init__(name, latency_s)
        self.state_path = state_path
        self.motion_s = motion_s
        self._persist_warned = False
        self.encoder = encoder
        self.blanks = blanks
        self.ribbon = ribbon
        self.ribbon_capacity = ribbon
        self.rejected = 0
        self.reject_capacity = reject_capacity
        self.retained = 0  # cards in the retain bin
        self.retain_capacity = retain_capacity
        self.position = CardPosition.NONE
        self.jammed = False
        self.printed_faces: deque[CardFace] = deque(maxlen=KEEP_FACES)  # bounded: a soak runs for months
        self._load()
        if self.position is CardPosition.CONTACT:
            encoder.insert(blank_chip())  # a card left at the contact station is seen by the encoder

    # -- persistence (the hardware keeps its state through a power cut) ---------
    def _load(self) -> None:
        if self.state_path is None or not self.state_path.exists():
            return
        try:
            st = json.loads(self.state_path.read_text("utf-8"))
            self.blanks, self.ribbon, self.rejected = int(st["blanks"]), int(st["ribbon"]), int(st["rejected"])
            self.position = CardPosition(st["position"])
            self.retained = int(st.get("retained", 0))
            self.jammed = bool(st.get("jammed", False))
            self._counters.update({str(k): int(v) for k, v in dict(st.get("counters", {})).items()})
        except (OSError, ValueError, KeyError, TypeError):
            pass  # a damaged file: start from the constructor's values (a technician recounts)

    def state(self) -> dict[str, object]:
        """What the printer physically holds (no personal data)."""
        with self._lock:
            return {"blanks": self.blanks, "ribbon": self.ribbon, "rejected": self.rejected,
                    "retained": self.retained, "position": self.position.value, "jammed": self.jammed,
                    "counters": dict(self._counters)}

    def _persist(self) -> None:
        if self.state_path is None:
            return
        try:
            self._write_state(self.state_path)
        except OSError as exc:  # a simulator must not take the kiosk down; say so once
            if not self._persist_warned:
                self._persist_warned = True
                log.warning("sim issuer state not saved", extra={"error": type(exc).__name__})

    def _write_state(self, path: Path) -> None:
        write_atomic(path, json.dumps(self.state(), sort_keys=True))  # a reader or a kill sees old or new

    def _moved_only(self) -> None:
        """After a (persisted) state change: the mechanism takes a while to finish moving."""
        if self.motion_s:
            time.sleep(self.motion_s)

    def _media(self) -> Media:
        if self.jammed:
            return Media.JAMMED
        if self.position is CardPosition.RETAINED:
            return Media.RETAINED
        return Media.NOT_PRESENT if self.position is CardPosition.NONE else Media.PRESENT

    def _supplies(self) -> dict[str, Supply]:
        def level(n: int, low: int) -> Supply:
            return Supply.OUT if n <= 0 else Supply.LOW if n <= low else Supply.OK

        box = self.reject_capacity - self.rejected
        return {
            "blank_cards": level(self.blanks, 10),
            "ribbon": level(self.ribbon, self.ribbon_capacity // 10),
            "reject_box": level(box, 5),
            "retain_bin": level(self.retain_capacity - self.retained, max(1, self.retain_capacity // 5)),
        }

    def _jam_check(self, op: str) -> None:
        try:
            self._operation(op)
        except DeviceError as exc:
            if exc.code == "jam":
                with self._lock:
                    self.jammed = True
                    self._persist()
                exc.action = Action.MAINTENANCE
            raise

    def feed_to_contact(self) -> None:
        self._jam_check("feed")
        with self._lock:
            if self.jammed:
                raise DeviceError("jam", "card jammed", Action.MAINTENANCE)
            if self.position not in (CardPosition.NONE, CardPosition.RETAINED):
                raise DeviceError("card_in_transport", "a card is already in the printer", Action.RESET)
            if self.blanks <= 0:
                raise DeviceError("feeder_empty", "no blank cards in the hopper", Action.CLEAR)
            self.blanks -= 1
            self._count("fed")
            self.position = CardPosition.CONTACT
            self._persist()
        self.encoder.insert(blank_chip())
        self._moved_only()

    def print_face(self, face: CardFace) -> None:
        self._jam_check("print")
        with self._lock:
            if self.position in (CardPosition.NONE, CardPosition.RETAINED):
                raise DeviceError("no_card", "no card to print on", Action.RESET)
            if self.ribbon <= 0:
                raise DeviceError("ribbon_out", "the ribbon is used up", Action.CLEAR)
            self.ribbon -= 1
            self.position = CardPosition.PRINT
            self.printed_faces.append(face)
            self._count("printed")
            self._persist()
        self._moved_only()

    def eject_to_bezel(self) -> None:
        self._jam_check("eject")
        with self._lock:
            if self.position in (CardPosition.NONE, CardPosition.RETAINED):
                raise DeviceError("no_card", "no card to eject", Action.RESET)
            self.position = CardPosition.BEZEL
            self._count("ejected")
            self._persist()
        self.encoder.remove()
        self._moved_only()

    def eject_to_reject(self) -> None:
        self._jam_check("reject")
        with self._lock:
            if self.rejected >= self.reject_capacity:
                raise DeviceError("reject_box_full", "the reject box is full", Action.CLEAR)
            self.jammed = False
            if self.position not in (CardPosition.NONE, CardPosition.RETAINED):
                self.rejected += 1
                self._count("rejected")
            self.position = CardPosition.NONE
            self._persist()
        self.encoder.remove()
        self._moved_only()

    def retain_bin_emptied(self) -> None:
        with self._lock:
            self.retained = 0
            self._persist()

    def retract(self) -> None:
        """A card not taken: back in from the bezel, into the retain bin."""
        self._jam_check("retract")
        with self._lock:
            if self.position is not CardPosition.BEZEL:
                raise DeviceError("no_card_inside", "no card in the bezel to retract", Action.RESET)
            if self.retained >= self.retain_capacity:
                raise DeviceError("retain_bin_full", "the retain bin is full", Action.CLEAR)
            self.retained += 1
            self._count("retained")
            self.position = CardPosition.RETAINED
            self._persist()
        self._moved_only()

    def card_taken(self) -> bool:
        return self.position not in (CardPosition.BEZEL, CardPosition.RETAINED)

    def take_card(self) -> None:
        with self._lock:
            if self.position is CardPosition.BEZEL:
                self.position = CardPosition.NONE
                self._persist()

    def _steer(self, action: str, params: dict[str, object]) -> str:
        if action == "take":
            self.take_card()
            return "taken"
        if action == "hopper":
            with self._lock:
                self.blanks = int(str(params.get("count", 0)))
                self._persist()
            return f"blanks={self.blanks}"
        if action == "ribbon":
            with self._lock:
                self.ribbon = int(str(params.get("count", 0)))
                self._persist()
            return f"ribbon={self.ribbon}"
        if action == "jam":
            self._fail_next[str(params.get("op", "*"))] = "jam"
            return "jam armed"
        if action == "empty_retain_bin":
            n = self.retained
            self.retain_bin_emptied()
            return f"emptied {n}"
        if action == "empty_reject_box":
            with self._lock:
                n, self.rejected = self.rejected, 0
                self._persist()
            return f"emptied {n}"
        return super()._steer(action, params)
