"""Animated pictures of the next physical action, drawn with canvas instructions.

Elderly citizens follow a moving picture better than a sentence: the ID card glides onto
the reader, the social security card slides into its slot, the new card comes out, the
PIN pad's keys light up. Each picture is a few rectangles and ellipses redrawn at 12 fps;
no image files, so they scale to any resolution.

Each picture follows the cabinet ([layout] in the config, kiosk.domain.device_layout): a picture of
a movement (a card onto the reader, into or out of a slot, a face up to the camera) is turned so
the device lies where it is on this kiosk and the card moves that way; a front view of a device
(the PIN pad, the receipt printer) stays upright, smaller, with an arrow pointing to where it is.
"""

from __future__ import annotations

import math
from typing import Any

from kivy.clock import Clock
from kivy.graphics import Color, Ellipse, PopMatrix, PushMatrix, Rectangle, Rotate, RoundedRectangle, Scale, Triangle
from kivy.uix.widget import Widget

from kiosk.domain.device_layout import angle
from screens.widgets import BRAND, INK, OK_GREEN, SOFT

KINDS = ("id_card", "take_id_card", "insert_card", "take_card", "camera", "pin_pad", "receipt", "wait", "card_made",
         "scanner")

CARD_BLUE = (0.16, 0.45, 0.78, 1)
ID_TEAL = (0.55, 0.78, 0.85, 1)
DEVICE = (0.25, 0.27, 0.3, 1)
SLOT = (0.05, 0.05, 0.06, 1)
ARROW = (0.85, 0.45, 0.05, 1)

# Where each drawing puts its device before turning: a movement's picture is drawn with the device
# below (the camera's above), and turned by the configured position's angle from there.
DRAWN_AT = {"id_card": "below", "take_id_card": "below", "insert_card": "below", "take_card": "below",
            "scanner": "below", "camera": "above"}
POINTED = frozenset({"pin_pad", "receipt"})  # front views: upright, with an arrow towards the device


class ActionPicture(Widget):
    """``kind`` names the action; ``phase`` runs 0→1 in a loop."""

    def __init__(self, kind: str = "wait", position: str | None = None, **kw: Any) -> None:
        super().__init__(**kw)
        self.kind = kind
        self.position = position  # where the picture's device is (device_layout.POSITIONS); None: as drawn
        self.phase = 0.0
        self._ev = Clock.schedule_interval(self._tick, 1 / 12)  # smooth enough; each frame redraws the screen
        self.bind(pos=lambda *_: self.redraw(), size=lambda *_: self.redraw())

    def set_kind(self, kind: str, position: str | None = None) -> None:
        if kind != self.kind or position != self.position:
            self.kind = kind
            self.position = position
            self.phase = 0.0
            self.redraw()

    def turn(self) -> float:
        """Degrees (counter-clockwise) the drawing is turned so its device lies at ``position``."""
        drawn = DRAWN_AT.get(self.kind)
        if drawn is None or self.position is None:
            return 0.0
        return (angle(self.position) - angle(drawn) + 180.0) % 360.0 - 180.0

    def stop(self) -> None:
        self._ev.cancel()

    def _tick(self, dt: float) -> None:
        if self.parent is None or self.get_root_window() is None:
            return  # off screen: no redraws
        self.phase = (self.phase + dt / 2.0) % 1.0
        self.redraw()

    # ---- drawing helpers (coordinates in a 100x100 box centred in the widget) ------------------
    def _box(self) -> tuple[float, float, float]:
        s = min(self.width, self.height) / 100.0
        ox = self.x + (self.width - 100 * s) / 2
        oy = self.y + (self.height - 100 * s) / 2
        return ox, oy, s

    def _rect(self, x: float, y: float, w: float, h: float, rgba: tuple[float, ...], r: float = 0) -> None:
        ox, oy, s = self._box()
        Color(*rgba)
        if r:
            RoundedRectangle(pos=(ox + x * s, oy + y * s), size=(w * s, h * s), radius=[r * s])
        else:
            Rectangle(pos=(ox + x * s, oy + y * s), size=(w * s, h * s))

    def _ellipse(self, x: float, y: float, w: float, h: float, rgba: tuple[float, ...]) -> None:
        ox, oy, s = self._box()
        Color(*rgba)
        Ellipse(pos=(ox + x * s, oy + y * s), size=(w * s, h * s))

    def _arrow(self, x: float, y: float, down: bool, rgba: tuple[float, ...] = ARROW) -> None:
        """A fat arrow 12 wide, 14 long, its tip at (x, y)."""
        ox, oy, s = self._box()
        d = 1 if down else -1  # the arrow's body lies above a down arrow's tip
        Color(*rgba)
        Rectangle(pos=(ox + (x - 2.5) * s, oy + (y + (6 if down else -14)) * s), size=(5 * s, 8 * s))
        Triangle(points=[ox + (x - 6) * s, oy + (y + d * 6) * s, ox + (x + 6) * s, oy + (y + d * 6) * s,
                         ox + x * s, oy + y * s])

    # ---- pictures ------------------------------------------------------------------------------
    def redraw(self) -> None:
        self.canvas.clear()
        draw = getattr(self, f"_draw_{self.kind}", self._draw_wait)
        turn = self.turn()
        pointed = self.kind in POINTED and self.position is not None
        with self.canvas:
            if not (turn or pointed):
                draw(self.phase)
                return
            PushMatrix()
            if turn:
                Rotate(angle=turn, origin=self.center)
                if turn % 90:  # a diagonal: the turned square's corners must stay inside the widget
                    Scale(0.72, 0.72, 1, origin=self.center)
            else:
                Scale(0.72, 0.72, 1, origin=self.center)  # room round the device for the arrow
            draw(self.phase)
            PopMatrix()
            if pointed and self.position is not None:
                self._pointer(self.position)

    def _pointer(self, position: str) -> None:
        """An arrow at the picture's edge pointing the way to the device."""
        bob = math.sin(self.phase * 2 * math.pi) * 2
        PushMatrix()
        Rotate(angle=angle(position) - angle("below"), origin=self.center)
        self._arrow(50, 2 - bob, down=True)
        PopMatrix()

    def _draw_id_card(self, p: float) -> None:
        # The reader pad, and the ID card coming down onto it.
        self._rect(10, 8, 80, 26, DEVICE, r=4)
        self._rect(18, 16, 64, 12, (0.4, 0.75, 0.45, 1) if p > 0.6 else (0.45, 0.47, 0.5, 1), r=2)
        drop = min(1.0, p / 0.6)
        y = 70 - 46 * drop
        self._rect(24, y, 52, 32, ID_TEAL, r=3)
        self._rect(28, y + 6, 14, 18, (0.9, 0.9, 0.9, 1))
        self._rect(46, y + 20, 26, 3, INK)
        self._rect(46, y + 13, 22, 3, INK)
        self._rect(46, y + 6, 18, 3, INK)
        if p < 0.6:
            self._arrow(85, 40 + 20 * (1 - drop), down=True)

    def _draw_take_id_card(self, p: float) -> None:
        # The ID card lifts off the reader pad and goes back to the citizen (green: done with it).
        self._rect(10, 8, 80, 26, DEVICE, r=4)
        self._rect(18, 16, 64, 12, (0.45, 0.47, 0.5, 1), r=2)
        rise = min(1.0, p / 0.6)
        y = 24 + 46 * rise
        self._rect(24, y, 52, 32, ID_TEAL, r=3)
        self._rect(28, y + 6, 14, 18, (0.9, 0.9, 0.9, 1))
        self._rect(46, y + 20, 26, 3, INK)
        self._rect(46, y + 13, 22, 3, INK)
        self._rect(46, y + 6, 18, 3, INK)
        bob = math.sin(p * 4 * math.pi) * 3
        self._arrow(85, 80 + bob, down=False, rgba=OK_GREEN)

    def _draw_insert_card(self, p: float) -> None:
        # A slot in the kiosk front; the card slides in, chip first.
        travel = min(1.0, p / 0.7)
        y = 52 - 30 * travel
        self._rect(30, y, 40, 45, CARD_BLUE, r=2)
        self._rect(36, y + 4, 10, 8, (0.85, 0.72, 0.3, 1), r=1)  # the chip
        self._rect(5, 0, 90, 34, DEVICE, r=4)  # the front hides the part already inside
        self._rect(25, 30, 50, 4, SLOT)
        if p < 0.7:
            self._arrow(82, 50 + 10 * (1 - travel), down=True)

    def _draw_take_card(self, p: float) -> None:
        # The new card comes out of the bezel; an arrow says "take it".
        out = min(1.0, p / 0.5)
        self._rect(30, 10 + 30 * out, 40, 45, CARD_BLUE, r=2)
        self._rect(5, 0, 90, 34, DEVICE, r=4)
        self._rect(25, 30, 50, 4, SLOT)
        if p > 0.5:
            bob = math.sin((p - 0.5) * 4 * math.pi) * 3
            self._arrow(50, 92 + bob, down=False, rgba=OK_GREEN)

    def _draw_card_made(self, p: float) -> None:
        self._rect(20, 30, 60, 38, CARD_BLUE, r=3)
        self._rect(27, 40, 12, 10, (0.85, 0.72, 0.3, 1), r=1)
        glow = 0.5 + 0.5 * math.sin(p * 2 * math.pi)
        self._ellipse(70, 60, 16, 16, (*OK_GREEN[:3], 0.5 + 0.5 * glow))

    def _draw_camera(self, p: float) -> None:
        # A camera above a face; the face's eyes look up at it.
        self._rect(35, 80, 30, 14, DEVICE, r=3)
        self._ellipse(44, 82, 12, 10, SLOT)
        self._ellipse(47, 85, 5, 4, (0.5, 0.7, 1, 1))
        self._ellipse(28, 12, 44, 56, (0.96, 0.82, 0.68, 1))
        blink = 1.0 if abs(p - 0.5) > 0.05 else 0.2
        self._ellipse(38, 44, 8, 6 * blink, INK)
        self._ellipse(54, 44, 8, 6 * blink, INK)
        self._rect(43, 24, 14, 3, (0.7, 0.3, 0.3, 1), r=1)
        self._arrow(50, 78, down=False)

    def _draw_pin_pad(self, p: float) -> None:
        # The hardware PIN pad; its keys light up one after another.
        self._rect(15, 5, 70, 90, DEVICE, r=5)
        self._rect(22, 75, 56, 13, (0.75, 0.85, 0.75, 1), r=2)
        lit = int(p * 6)
        for i in range(6):
            self._ellipse(25 + i * 9, 79, 5, 5, INK if i < lit else (0.6, 0.65, 0.6, 1))
        key = int(p * 12) % 12
        for row in range(4):
            for col in range(3):
                idx = row * 3 + col
                colour = (1, 0.75, 0.2, 1) if idx == key else SOFT
                self._rect(23 + col * 19, 10 + (3 - row) * 15, 15, 12, colour, r=2)
        self._rect(23, 10, 15, 12, (0.8, 0.25, 0.2, 1), r=2)  # cancel
        self._rect(61, 10, 15, 12, OK_GREEN, r=2)  # enter

    def _draw_receipt(self, p: float) -> None:
        self._rect(10, 50, 80, 30, DEVICE, r=4)
        self._rect(25, 52, 50, 3, SLOT)
        out = min(1.0, p / 0.6)
        self._rect(30, 52 - 40 * out, 40, 40 * out, (1, 1, 1, 1))
        for i in range(int(5 * out)):
            self._rect(34, 48 - i * 7, 30 - (i % 2) * 10, 2, INK)

    def _draw_scanner(self, p: float) -> None:
        # The scanner window under a phone that comes down showing its QR code; the window
        # glows red while it reads.
        self._rect(10, 4, 80, 22, DEVICE, r=4)
        reading = p > 0.6
        self._rect(22, 18, 56, 6, (0.9, 0.2, 0.2, 1) if reading else SLOT, r=2)
        drop = min(1.0, p / 0.6)
        y = 78 - 44 * drop
        self._rect(32, y, 36, 58 * 0.6, (0.15, 0.15, 0.18, 1), r=3)  # the phone
        self._rect(35, y + 3, 30, 29, (1, 1, 1, 1))  # its screen
        for cx, cy in ((37, 22), (53, 22), (37, 6)):  # finder patterns
            self._rect(cx, y + cy, 9, 9, INK)
            self._rect(cx + 2, y + cy + 2, 5, 5, (1, 1, 1, 1))
            self._rect(cx + 3, y + cy + 3, 3, 3, INK)
        for k in range(6):  # data modules
            self._rect(49 + (k % 3) * 5, y + 6 + (k // 3) * 5, 3, 3, INK)
        if not reading:
            self._arrow(85, 40 + 20 * (1 - drop), down=True)

    def _draw_wait(self, p: float) -> None:
        for i in range(8):
            a = 2 * math.pi * i / 8 - p * 2 * math.pi
            alpha = 0.25 + 0.75 * ((i / 8 + p) % 1.0)
            self._ellipse(44 + 30 * math.cos(a), 44 + 30 * math.sin(a), 12, 12, (*BRAND[:3], alpha))
