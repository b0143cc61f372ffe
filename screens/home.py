"""The attract screen (every service, disabled ones with their reason) and the
out-of-service screen (hotline 12333 and the counter message)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from kivy.uix.boxlayout import BoxLayout
from kivy.uix.gridlayout import GridLayout
from kivy.uix.widget import Widget

from kiosk.domain.services import Availability, ServiceId
from screens.header import LANG_BUTTON_WIDTH, KioskScreen
from screens.widgets import ACCENT, BRAND, INK, MIN_BODY_PX, MUTED, BigButton, Text, gap_px, markup, target_px

if TYPE_CHECKING:
    from screens.app import KioskApp

SERVICE_ORDER = (
    ServiceId.APPLY, ServiceId.REPLACE, ServiceId.LOSS_REPORT,
    ServiceId.LOSS_CANCEL, ServiceId.ACTIVATE, ServiceId.PIN_CHANGE,
    ServiceId.PIN_RESET, ServiceId.CONTACT_CHANGE, ServiceId.PROGRESS_QUERY,
)
USABLE = (Availability.AVAILABLE, Availability.AVAILABLE_OFFLINE)


class AttractScreen(KioskScreen):
    def __init__(self, app: KioskApp) -> None:
        super().__init__(app, name="attract")
        pad = gap_px()
        self.box = BoxLayout(orientation="vertical", padding=pad, spacing=pad)
        top = BoxLayout(size_hint_y=None, height=target_px() * 1.2)
        top.add_widget(Widget(size_hint_x=None, width=target_px() * LANG_BUTTON_WIDTH))
        self.title = Text(scale=1.6, bold=True, color=BRAND)
        self.title.kiosk_id = "attract.title"
        top.add_widget(self.title)
        top.add_widget(Widget(size_hint_x=None, width=target_px() * LANG_BUTTON_WIDTH))
        self.subtitle = Text(size_hint_y=None, height=target_px() * 0.7)
        self.grid = GridLayout(cols=3, spacing=pad)
        self.footer = Text(scale=0.9, color=MUTED, size_hint_y=None, height=target_px() * 0.6)
        for w in (top, self.subtitle, self.grid, self.footer):
            self.box.add_widget(w)
        self.add_widget(self.box)
        app.register(self.title)

    def refresh(self) -> None:
        t = self.app.t
        self.title.set(t("app.title"))
        self.subtitle.set(t("app.subtitle"))
        cfg = self.app.runtime.cfg
        self.footer.set(t("app.footer", outlet=cfg.kiosk.outlet_name, hotline=cfg.kiosk.hotline))
        self.grid.clear_widgets()
        avail = self.app.runtime.availability()
        for sid in SERVICE_ORDER:
            state, missing = avail[sid]
            usable = state in USABLE
            label = t(f"service.{sid.value}")
            note = t(f"availability.{state.value}")
            if state is Availability.DEVICE_DOWN and missing:
                note = t("availability.device_down_named",
                         devices="、".join(t(f"device.{d}") for d in sorted(missing)))
            text = f"[b]{markup(label)}[/b]"
            if note:
                text += f"\n[size={int(MIN_BODY_PX)}]{markup(note)}[/size]"
            btn = BigButton(text, f"service.{sid.value}", primary=usable, raw=True, scale=1.1)
            btn.disabled = not usable
            btn.bind(on_release=lambda _b, s=sid: self.app.start_service(s))
            self.app.register(btn)
            self.grid.add_widget(btn)


class OutOfServiceScreen(KioskScreen):
    def __init__(self, app: KioskApp) -> None:
        super().__init__(app, name="out_of_service")
        box = BoxLayout(orientation="vertical", padding=target_px(), spacing=gap_px())
        self.title = Text(scale=1.8, bold=True, color=ACCENT)
        self.message = Text(scale=1.1)
        self.reason = Text(color=INK)
        self.counter = Text(color=BRAND)
        self.hotline = Text(scale=1.5, bold=True, color=BRAND)
        for kid, w in (("oos.title", self.title), ("oos.message", self.message), ("oos.reason", self.reason),
                       ("oos.counter", self.counter), ("oos.hotline", self.hotline)):
            w.kiosk_id = kid
            app.register(w)
            box.add_widget(w)
        self.add_widget(box)
        self.reason_key = "oos.reason.devices"

    def refresh(self) -> None:
        t, cfg, rt = self.app.t, self.app.runtime.cfg, self.app.runtime
        self.title.set(t("oos.title"))
        self.message.set(t("oos.message"))
        # The nearest-counter message: from the remote command that set the mode, else configuration.
        self.reason.set(t(self.reason_key))
        self.counter.set(rt.mode_message or cfg.kiosk.counter_message)
        self.hotline.set(t("oos.hotline", hotline=cfg.kiosk.hotline))
