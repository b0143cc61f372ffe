"""The panels of the SMS code and the fee (kiosk.flows.otp, kiosk.flows.payment):

- ``otp``: a 6-digit keypad, 提交验证码, and 重新发送 that is enabled only after the flow's ``resend_in``
  seconds, with the seconds counted down on the button's line;
- ``payment_qr``: the order's QR code (drawn from its payload with ``qrcode``, as the receipt
  emulator does), the amount, and the time left to pay, counted down.
The code typed never leaves the keypad except in the one ``submit_code`` input.
"""

from __future__ import annotations

import time
from functools import partial
from typing import Any

import qrcode
from kivy.clock import Clock
from kivy.graphics import Color, Rectangle
from kivy.graphics.texture import Texture
from kivy.uix.boxlayout import BoxLayout
from kivy.uix.widget import Widget

from kiosk.flows.base import View
from screens.keypad import NumericKeypad
from screens.panels import Panel
from screens.ports import AppPort
from screens.widgets import BRAND, MIN_TARGET_PX, MUTED, Text, gap_px, target_px, text_px

FEE_SCREENS = ("otp", "payment_qr")


def _seconds(view: View, key: str) -> float:
    try:
        return max(0.0, float(view.params.get(key, "0")))
    except ValueError:
        return 0.0


class OtpPanel(Panel):
    full_body_elderly = True  # the code's keys at 1.5x type leave no room for the art. 21 row

    def __init__(self, app: AppPort, view: View, **kw: Any) -> None:
        super().__init__(app, view, **kw)
        length = int(_seconds(view, "code_length") or 6)
        self.resend_at = time.monotonic() + _seconds(view, "resend_in")
        self._shown = -1  # the seconds the resend button shows
        # Side by side (the display and the two buttons left, the keys right): fits 1280x800, elderly too.
        row = BoxLayout(spacing=gap_px())
        # Three rows each side fit under the message, elderly too: a touch target, tall enough for a digit key's label.
        row_h = max(MIN_TARGET_PX, text_px(1.3) * 1.55)
        self.keypad = NumericKeypad(app.register, length, groups=(3, 3), label=self.t, own_display=False,
                                    key_height=row_h, cols=4)
        self.keypad.display.height = row_h
        keys = BoxLayout(orientation="vertical", size_hint_x=0.55)  # the keys at the top, beside the display
        keys.add_widget(self.keypad)
        keys.add_widget(Widget())
        left = BoxLayout(orientation="vertical", spacing=gap_px() / 2, size_hint_x=0.45)
        left.add_widget(self.keypad.display)
        self.submit = self.button(self.t("button.submit_code"), "button.submit_code", self._submit, primary=True,
                                  height=row_h)
        self.resend = self.button(self.t("button.resend"), "button.resend", partial(self.send, "resend"), height=row_h)
        left.add_widget(self.submit)
        left.add_widget(self.resend)
        left.add_widget(Widget())
        row.add_widget(left)
        row.add_widget(keys)
        self.add_widget(row)
        self._tick(0)
        self._ev = Clock.schedule_interval(self._tick, 0.25)

    def _submit(self) -> None:
        code = self.keypad.value
        self.keypad.press("clear")  # the code leaves the keypad once, in this one input
        self.send("submit_code", code)

    def _tick(self, _dt: float) -> None:
        left = max(0, int(self.resend_at - time.monotonic() + 0.999))
        if left != self._shown:  # the central's 1-a-minute rule: the button counts down on its label, then enables
            self._shown = left
            self.resend.disabled = left > 0
            self.resend.set(self.t("otp.resend_in", seconds=left) if left > 0 else self.t("button.resend"))

    def stop(self) -> None:
        self._ev.cancel()


class QrCode(Widget):
    """A QR code drawn from its payload, square, with a quiet zone, crisp at any size."""

    def __init__(self, payload: str, **kw: Any) -> None:
        super().__init__(**kw)
        qr = qrcode.QRCode(border=4, error_correction=qrcode.constants.ERROR_CORRECT_M)
        qr.add_data(payload)
        qr.make(fit=True)
        matrix = qr.get_matrix()
        n = len(matrix)
        # Kivy textures start at the bottom row: flip so the finder patterns sit where scanners expect.
        rows = [bytes(0 if dark else 255 for dark in row for _ in range(3)) for row in reversed(matrix)]
        self.texture = Texture.create(size=(n, n), colorfmt="rgb")
        self.texture.mag_filter = "nearest"
        self.texture.min_filter = "nearest"
        self.texture.blit_buffer(b"".join(rows), colorfmt="rgb", bufferfmt="ubyte")
        with self.canvas:
            Color(1, 1, 1, 1)
            self.rect = Rectangle(texture=self.texture)
        self.bind(pos=self._layout, size=self._layout)

    def _layout(self, *_: Any) -> None:
        side = min(self.width, self.height)
        self.rect.size = (side, side)
        self.rect.pos = (self.center_x - side / 2, self.center_y - side / 2)


class PaymentPanel(Panel):
    def __init__(self, app: AppPort, view: View, **kw: Any) -> None:
        super().__init__(app, view, **kw)
        self.deadline = time.monotonic() + (view.timeout_s or 0.0)
        row = BoxLayout(spacing=gap_px())
        self.qr = QrCode(view.params.get("qr", ""), size_hint_x=0.5)
        self.qr.kiosk_id = "payment.qr"
        app.register(self.qr)
        row.add_widget(self.qr)
        side = BoxLayout(orientation="vertical", spacing=gap_px() / 2, size_hint_x=0.5)
        amount = Text(self.t("payment.amount", yuan=view.params.get("yuan", "")), scale=1.6, bold=True, color=BRAND,
                      size_hint_y=None, height=target_px() * 1.2)
        amount.kiosk_id = "payment.amount"
        app.register(amount)
        side.add_widget(amount)
        self.left = Text("", scale=1.2, color=MUTED, size_hint_y=None, height=target_px())
        self.left.kiosk_id = "payment.time_left"
        app.register(self.left)
        side.add_widget(self.left)
        side.add_widget(Widget())
        row.add_widget(side)
        self.add_widget(row)
        self._tick(0)
        self._ev = Clock.schedule_interval(self._tick, 0.25)

    def _tick(self, _dt: float) -> None:
        left = max(0, int(self.deadline - time.monotonic() + 0.999))
        self.left.set(self.t("payment.time_left", time=f"{left // 60}:{left % 60:02d}"))

    def stop(self) -> None:
        self._ev.cancel()


def fee_panel(app: AppPort, view: View) -> Panel | None:
    """The panel of an SMS-code or payment view (None for any other view)."""
    if view.end is not None or view.screen not in FEE_SCREENS:
        return None
    return OtpPanel(app, view) if view.screen == "otp" else PaymentPanel(app, view)

