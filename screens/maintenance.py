"""The hidden way to the maintenance screen: five taps in the top-left corner of the attract
screen within 3 s, then a technician ID and password on a masked keypad. The UI only asks;
the app checks it in the background (``AppPort.submit_maintenance_login``)."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from kivy.uix.boxlayout import BoxLayout
from kivy.uix.floatlayout import FloatLayout

from screens.keypad import NumericKeypad
from screens.ports import AppPort
from screens.widgets import ACCENT, BRAND, WHITE, BigButton, Text, gap_px, paint, target_px

TAPS = 5
WINDOW_S = 3.0
CORNER = 0.09  # fraction of the screen height: the invisible square at the top left


class CornerTaps:
    """Counts taps in the corner; ``tap`` returns True on the fifth within the window."""

    def __init__(self, taps: int = TAPS, window_s: float = WINDOW_S,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.taps, self.window_s, self.clock = taps, window_s, clock
        self.times: list[float] = []

    def tap(self) -> bool:
        now = self.clock()
        self.times = [t for t in self.times if now - t <= self.window_s] + [now]
        if len(self.times) >= self.taps:
            self.times = []
            return True
        return False


class MaintenanceLogin(FloatLayout):
    """Technician ID, then password, both on keypads that show dots; never echoed in clear."""

    def __init__(self, app: AppPort, **kw: Any) -> None:
        super().__init__(**kw)
        self.app = app
        paint(self, (0, 0, 0, 0.6))
        self.box = BoxLayout(orientation="vertical", size_hint=(0.6, 0.92),
                             pos_hint={"center_x": 0.5, "center_y": 0.5}, padding=gap_px(), spacing=gap_px() / 2)
        paint(self.box, WHITE, radius=16)
        self.add_widget(self.box)
        self.technician = ""
        self.checking = False  # the app checks the password in the background: one check at a time
        self._stage("technician")

    def on_touch_down(self, touch: Any) -> bool:
        super().on_touch_down(touch)
        return True  # modal

    def on_touch_up(self, touch: Any) -> bool:
        super().on_touch_up(touch)
        return True

    def _stage(self, stage: str, error: str = "") -> None:
        self.stage = stage
        self.box.clear_widgets()
        t = self.app.t
        self.box.add_widget(Text(t(f"maint.{stage}"), bold=True, color=BRAND, size_hint_y=None, height=target_px()))
        if error:
            self.box.add_widget(Text(t(error), color=ACCENT, size_hint_y=None, height=target_px() * 0.6))
        self.pad = NumericKeypad(self.app.register, 16, mask=True, label=t)
        self.box.add_widget(self.pad)
        row = BoxLayout(spacing=gap_px(), size_hint_y=None, height=target_px())
        cancel = BigButton(t("button.cancel"), "maint.cancel", danger=True)
        cancel.bind(on_release=lambda _b: self.app.close_maintenance_login())
        ok = BigButton(t("button.confirm"), "maint.ok", primary=True)
        ok.bind(on_release=lambda _b: self._ok())
        for b in (cancel, ok):
            self.app.register(b)
            row.add_widget(b)
        self.box.add_widget(row)

    def _ok(self) -> None:
        if self.checking:
            return
        if self.stage == "technician":
            self.technician = self.pad.value
            self._stage("password")
            return
        password, technician = self.pad.value, self.technician
        self.pad.value = self.technician = ""
        self.checking = True
        self.app.submit_maintenance_login(technician, password)

    def failed(self) -> None:
        self.checking = False
        self._stage("technician", "maint.failed")
