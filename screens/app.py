"""The kiosk's Kivy application: attract, flow and out-of-service screens.

Screens render what the runtime and the flows say and forward taps; nothing here decides
a business rule or touches a device or the network.
"""

from __future__ import annotations

import logging
import time
from typing import Any

from kivy.app import App
from kivy.clock import Clock
from kivy.core.window import Window
from kivy.uix.boxlayout import BoxLayout
from kivy.uix.floatlayout import FloatLayout
from kivy.uix.gridlayout import GridLayout
from kivy.uix.screenmanager import NoTransition, Screen, ScreenManager
from kivy.uix.widget import Widget

from kiosk.domain.services import Availability, ServiceId
from kiosk.flows.base import FlowChannel, FlowResult, UserInput, View
from kiosk.runtime import Runtime
from screens.i18n import t
from screens.widgets import ACCENT, BRAND, MUTED, PAPER, BigButton, Text, body_px, paint, target_px

log = logging.getLogger("screens.app")

SERVICE_ORDER = (
    ServiceId.APPLY, ServiceId.REPLACE, ServiceId.LOSS_REPORT,
    ServiceId.LOSS_CANCEL, ServiceId.ACTIVATE, ServiceId.PIN_CHANGE,
    ServiceId.PIN_RESET, ServiceId.CONTACT_CHANGE, ServiceId.PROGRESS_QUERY,
)


class KioskScreen(Screen):
    def __init__(self, app: KioskApp, **kw: Any) -> None:
        super().__init__(**kw)
        self.app = app
        paint(self, PAPER)

    def refresh(self) -> None:
        """Re-render from the app's state (language switch, availability change)."""


class AttractScreen(KioskScreen):
    def __init__(self, app: KioskApp) -> None:
        super().__init__(app, name="attract")
        pad = Window.height * 0.03
        self.box = BoxLayout(orientation="vertical", padding=pad, spacing=pad)
        self.title = Text(scale=1.6, bold=True, size_hint_y=0.14, color=BRAND)
        self.subtitle = Text(size_hint_y=0.08)
        self.grid = GridLayout(cols=3, spacing=pad, size_hint_y=0.78)
        self.box.add_widget(self.title)
        self.box.add_widget(self.subtitle)
        self.box.add_widget(self.grid)
        self.add_widget(self.box)

    def refresh(self) -> None:
        lang = self.app.lang
        self.title.set(t(lang, "app.title"))
        self.subtitle.set(t(lang, "app.subtitle"))
        self.grid.clear_widgets()
        avail = self.app.runtime.availability()
        for sid in SERVICE_ORDER:
            state, _missing = avail[sid]
            usable = state in (Availability.AVAILABLE, Availability.AVAILABLE_OFFLINE)
            label = t(lang, f"service.{sid.value}")
            note = t(lang, f"availability.{state.value}")
            btn = BigButton(f"{label}\n[size={int(body_px() * 0.6)}]{note}[/size]" if note else label,
                            f"service.{sid.value}", primary=usable, markup=True)
            btn.disabled = not usable
            btn.bind(on_release=lambda _b, s=sid: self.app.start_service(s))
            self.app.register(btn)
            self.grid.add_widget(btn)


class FlowScreen(KioskScreen):
    def __init__(self, app: KioskApp) -> None:
        super().__init__(app, name="flow")
        pad = Window.height * 0.03
        root = BoxLayout(orientation="vertical", padding=pad, spacing=pad)
        head = BoxLayout(size_hint_y=None, height=target_px())
        self.title = Text(scale=1.3, bold=True, color=BRAND, halign="left")
        self.step = Text(scale=0.9, color=MUTED, halign="right")
        head.add_widget(self.title)
        head.add_widget(self.step)
        self.message = Text(scale=1.15, size_hint_y=0.45)
        self.reasons = Text(scale=0.95, color=ACCENT, size_hint_y=0.2)
        self.choices = BoxLayout(orientation="vertical", spacing=pad / 2, size_hint_y=None)
        self.countdown = Text(scale=0.8, color=MUTED, size_hint_y=None, height=body_px() * 1.5)
        self.buttons = BoxLayout(spacing=pad, size_hint_y=None, height=target_px())
        for w in (head, self.message, self.reasons, self.choices, self.countdown, self.buttons):
            root.add_widget(w)
        self.layer = FloatLayout()
        self.layer.add_widget(root)
        self.add_widget(self.layer)
        self.prompt: Widget | None = None
        self.view: View | None = None
        self.deadline: float | None = None
        Clock.schedule_interval(self._tick, 0.5)

    def render(self, view: View) -> None:
        self.view = view
        self.deadline = time.monotonic() + view.timeout_s if view.timeout_s and not view.busy else None
        self._hide_prompt()
        self.refresh()

    def refresh(self) -> None:
        view, lang = self.view, self.app.lang
        if view is None:
            return
        self.title.set(t(lang, view.title))
        self.step.set(t(lang, "step.indicator", step=view.step, total=view.total) if view.end is None else "")
        params = dict(view.params)
        self.message.set(t(lang, view.message, **params))
        self.reasons.set("\n".join(t(lang, r) for r in view.reasons))
        self.choices.clear_widgets()
        if "choose" in view.actions:
            for value, label in view.choices:
                b = BigButton(label, f"choice.{value}", primary=True, size_hint_y=None, height=target_px())
                b.bind(on_release=lambda _b, v=value: self.app.send(UserInput("choose", v)))
                self.app.register(b)
                self.choices.add_widget(b)
        elif view.choices:
            for _value, label in view.choices:
                self.choices.add_widget(Text(label, size_hint_y=None, height=target_px()))
        self.choices.height = len(self.choices.children) * (target_px() + 8)
        self.buttons.clear_widgets()
        if view.end is not None or "home" in view.actions:
            self._button("home", "button.home", primary=True)
            return
        self._button("back", "button.back", enabled="back" in view.actions)
        self._button("cancel", "button.cancel")
        if "confirm" in view.actions:
            self._button("confirm", "button.confirm", primary=True)

    def _button(self, action: str, key: str, primary: bool = False, enabled: bool = True) -> None:
        b = BigButton(t(self.app.lang, key), f"button.{action}", primary=primary)
        b.disabled = not enabled
        b.bind(on_release=lambda _b: self.app.send(UserInput(action)))
        self.app.register(b)
        self.buttons.add_widget(b)

    def _tick(self, _dt: float) -> None:
        if self.deadline is None or self.view is None or self.manager is None or self.manager.current != "flow":
            self.countdown.set("")
            return
        left = max(0, int(self.deadline - time.monotonic() + 0.99))
        self.countdown.set(t(self.app.lang, "idle.countdown", seconds=left))
        warn = self.app.runtime.cfg.timeouts.idle_warning_s
        if self.view.end is None and left <= warn and self.prompt is None:
            self._show_prompt()

    def _show_prompt(self) -> None:
        box = BoxLayout(orientation="vertical", size_hint=(0.6, 0.4), pos_hint={"center_x": 0.5, "center_y": 0.5},
                        padding=body_px(), spacing=body_px())
        paint(box, (1, 1, 1, 1), radius=16)
        box.add_widget(Text(t(self.app.lang, "idle.more_time_prompt"), scale=1.2))
        b = BigButton(t(self.app.lang, "button.more_time"), "button.more_time", primary=True,
                      size_hint_y=None, height=target_px())
        b.bind(on_release=lambda _b: self._more_time())
        self.app.register(b)
        box.add_widget(b)
        self.prompt = box
        self.layer.add_widget(box)

    def _more_time(self) -> None:
        self._hide_prompt()
        self.app.send(UserInput("more_time"))

    def _hide_prompt(self) -> None:
        if self.prompt is not None:
            self.layer.remove_widget(self.prompt)
            self.prompt = None


class OutOfServiceScreen(KioskScreen):
    def __init__(self, app: KioskApp) -> None:
        super().__init__(app, name="out_of_service")
        box = BoxLayout(orientation="vertical", padding=Window.height * 0.08, spacing=body_px())
        self.title = Text(scale=1.8, bold=True, color=ACCENT)
        self.message = Text(scale=1.1)
        self.reason = Text(color=MUTED)
        self.counter = Text()
        self.hotline = Text(scale=1.4, bold=True, color=BRAND)
        for w in (self.title, self.message, self.reason, self.counter, self.hotline):
            box.add_widget(w)
        self.add_widget(box)
        self.reason_key = "oos.reason.devices"

    def refresh(self) -> None:
        lang, cfg = self.app.lang, self.app.runtime.cfg
        self.title.set(t(lang, "oos.title"))
        self.message.set(t(lang, "oos.message"))
        self.reason.set(t(lang, self.reason_key, message=self.app.runtime.mode_message))
        self.counter.set(self.app.runtime.mode_message or cfg.kiosk.counter_message)
        self.hotline.set(t(lang, "oos.hotline", hotline=cfg.kiosk.hotline))


class KioskApp(App):
    def __init__(self, runtime: Runtime, **kw: Any) -> None:
        super().__init__(**kw)
        self.runtime = runtime
        self.lang = runtime.cfg.kiosk.language
        self.widgets: dict[str, Widget] = {}
        self.channel: FlowChannel | None = None
        self.screens_seen: list[str] = []
        self.views_seen: list[View] = []
        self.max_frame_gap_s = 0.0
        self._last_frame = 0.0
        self.title = "sscard-kiosk"

    # ---- building -----------------------------------------------------------------------------
    def build(self) -> Widget:
        Window.clearcolor = PAPER
        Window.bind(on_keyboard=self._on_key, on_request_close=lambda *_: True)
        root = FloatLayout()
        self.sm = ScreenManager(transition=NoTransition())
        self.attract = AttractScreen(self)
        self.flow = FlowScreen(self)
        self.oos = OutOfServiceScreen(self)
        for s in (self.attract, self.flow, self.oos):
            self.sm.add_widget(s)
        root.add_widget(self.sm)
        self.lang_button = BigButton(t(self.lang, "app.language_toggle"), "button.language",
                                     size_hint=(None, None), size=(target_px() * 2.2, target_px()),
                                     pos_hint={"right": 0.99, "top": 0.99})
        self.lang_button.bind(on_release=lambda _b: self.toggle_language())
        self.register(self.lang_button)
        root.add_widget(self.lang_button)
        self.runtime.listeners.append(lambda: Clock.schedule_once(lambda _dt: self.refresh_home(), 0))
        Clock.schedule_interval(self._frame, 0)
        self.go_home()
        return root

    def register(self, widget: Widget) -> None:
        kid = getattr(widget, "kiosk_id", None)
        if kid:
            self.widgets[kid] = widget

    def _frame(self, _dt: float) -> None:
        now = time.perf_counter()
        if self._last_frame:
            self.max_frame_gap_s = max(self.max_frame_gap_s, now - self._last_frame)
        self._last_frame = now

    def _on_key(self, _window: Any, key: int, *_args: Any) -> bool:
        return key == 27  # swallow Escape: it must never close the kiosk

    # ---- navigation ---------------------------------------------------------------------------
    def _show(self, name: str) -> None:
        if self.sm.current != name or not self.screens_seen:
            self.screens_seen.append(name)
        self.sm.current = name

    def go_home(self) -> None:
        self.channel = None
        self.refresh_home()

    def refresh_home(self) -> None:
        if self.channel is not None:
            return  # a transaction is on screen; the flow decides what happens
        reason = self.runtime.out_of_service_reason()
        if reason:
            self.oos.reason_key = f"oos.reason.{reason}"
            self.oos.refresh()
            self._show("out_of_service")
        else:
            self.attract.refresh()
            self._show("attract")

    def toggle_language(self) -> None:
        self.lang = "en" if self.lang == "zh" else "zh"
        self.lang_button.text = t(self.lang, "app.language_toggle")
        for s in (self.attract, self.flow, self.oos):
            s.refresh()

    def start_service(self, service: ServiceId) -> None:
        try:
            self.channel = self.runtime.start_service(
                service,
                emit=lambda v: Clock.schedule_once(lambda _dt: self._on_view(v), 0),
                on_end=lambda r: Clock.schedule_once(lambda _dt: self._on_end(r), 0),
            )
        except RuntimeError:
            log.warning("service start refused: busy")

    def send(self, user_input: UserInput) -> None:
        if self.channel is not None:
            self.channel.send(user_input)

    def _on_view(self, view: View) -> None:
        self.views_seen.append(view)
        self.flow.render(view)
        self._show("flow")

    def _on_end(self, _result: FlowResult) -> None:
        self.go_home()

    # ---- test and screenshot helpers -----------------------------------------------------------
    def tap(self, kiosk_id: str) -> None:
        """Press and release a widget by id, as a finger would (tests, screenshots)."""
        w = self.widgets[kiosk_id]
        if getattr(w, "disabled", False):
            raise RuntimeError(f"{kiosk_id} is disabled")
        w.dispatch("on_press")
        w.dispatch("on_release")
