"""The e-card scan screen's content (screens.panels.EcardQrPanel holds it): the kiosk's own QR
code, which the citizen's e-card app scans first (binding its sign-in code to this kiosk), with a
caption. The scanner picture beside it (screens.pictures, kind "scanner") shows the second step."""

from __future__ import annotations

from typing import Any

import numpy as np
import qrcode
from kivy.graphics.texture import Texture
from kivy.uix.boxlayout import BoxLayout
from kivy.uix.image import Image

from screens.ports import AppPort
from screens.widgets import Text, body_px


def qr_texture(text: str) -> Texture:
    """The code as a texture, one texel per module (scaled up without smoothing)."""
    qr = qrcode.QRCode(border=2, error_correction=qrcode.constants.ERROR_CORRECT_M)
    qr.add_data(text)
    qr.make(fit=True)
    dark = np.array(qr.get_matrix(), dtype=bool)
    pixels = np.where(dark, 0, 255).astype(np.uint8)
    n = pixels.shape[0]
    texture = Texture.create(size=(n, n), colorfmt="luminance")
    texture.flip_vertical()  # numpy rows run top-down, GL bottom-up
    texture.blit_buffer(np.ascontiguousarray(pixels).tobytes(), colorfmt="luminance", bufferfmt="ubyte")
    texture.mag_filter = "nearest"
    texture.min_filter = "nearest"
    return texture


class KioskQr(BoxLayout):
    def __init__(self, app: AppPort, code: str, **kw: Any) -> None:
        kw.setdefault("orientation", "vertical")
        super().__init__(**kw)
        self.code = code
        self.image = Image(texture=qr_texture(code), fit_mode="contain")
        self.image.kiosk_id = "ecard.kiosk_qr"
        self.caption = Text(app.t("ecard.kiosk_qr_caption"), size_hint_y=None, height=body_px() * 1.8)
        self.caption.kiosk_id = "ecard.kiosk_qr_caption"
        self.add_widget(self.image)
        self.add_widget(self.caption)
        app.register(self.image)
        app.register(self.caption)
