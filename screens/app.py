"""The kiosk's Kivy application: attract, flow and out-of-service screens.

Screens render what the runtime and the flows say and forward taps; nothing here decides
a business rule or touches a device or the network. Every flow state arrives on the main
thread through ``Clock.schedule_once``; device and network work stays on the runtime's worker,
and the maintenance screens' reads run on this app's background worker (:meth:`KioskApp.background`).
The screens reach this app only through ``screens.ports.AppPort``.
"""

from __future__ import annotations

import gc
import logging
import threading
import time
from collections.abc import Callable, Mapping
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any, TypeVar

from kivy.app import App
from kivy.clock import Clock
from kivy.core.window import Window
from kivy.uix.floatlayout import FloatLayout
from kivy.uix.screenmanager import NoTransition, ScreenManager
from kivy.uix.widget import Widget

from kiosk.config import Config
from kiosk.domain.device_layout import where_params
from kiosk.domain.services import Availability, ServiceId
from kiosk.flows.base import FlowChannel, FlowResult, UserInput, View, elderly_timeout_factor
from kiosk.maintenance.service import MaintenanceService
from kiosk.runtime import Runtime
from kiosk.ui_feeds import UiFeeds
from kiosk.voice.narrator import Narrator
from screens.design.components import action_button, relabel
from screens.flow_screen import FlowScreen
from screens.gc_pacing import FullCollectionPacer
from screens.header import LANG_BUTTON_WIDTH
from screens.home import AttractScreen, OutOfServiceScreen
from screens.i18n import t
from screens.maintenance import CORNER, CornerTaps, MaintenanceLogin
from screens.ports import FrameSource
from screens.widgets import PAPER, BigButton, colour, paint, target_px, use_theme

log = logging.getLogger("screens.app")
T = TypeVar("T")

KEY_ESCAPE = 27
ELDERLY_ATTRACT_IDLE_S = 60.0
KEY_F4 = 285
# After a session ends, the held full GC pass waits this long: the attract screen is up by then.
BETWEEN_SESSIONS_S = 0.5


class KioskRoot(FloatLayout):
    """The window's root. One finger at a time: a second simultaneous touch (pinch, swipe with
    two fingers, a palm) is dropped before any widget sees it; so is the hidden corner tap."""

    def __init__(self, app: KioskApp, **kw: Any) -> None:
        super().__init__(**kw)
        self.app = app
        self.active: Any = None
        self.dropped_touches = 0

    def on_touch_down(self, touch: Any) -> bool:
        if self.active is not None and self.active is not touch:
            self.dropped_touches += 1
            return True
        if getattr(touch, "is_mouse_scrolling", False):
            return True  # a wheel is not a tap
        self.active = touch
        self.app.last_touch = time.monotonic()
        if self.app.corner_tap(touch.x, touch.y):
            return True
        return bool(super().on_touch_down(touch))

    def on_touch_move(self, touch: Any) -> bool:
        if touch is not self.active:
            return True
        return bool(super().on_touch_move(touch))

    def on_touch_up(self, touch: Any) -> bool:
        if touch is not self.active:
            return True
        self.active = None
        return bool(super().on_touch_up(touch))


class KioskApp(App):
    """The app (``screens.ports.AppPort`` for every screen). ``feeds``: the camera preview and the
    on-screen PIN keys, built by the composition root (kiosk.ui_feeds.ui_feeds)."""

    def __init__(self, runtime: Runtime, feeds: UiFeeds, **kw: Any) -> None:
        super().__init__(**kw)
        self.runtime = runtime
        self.feeds = feeds
        # Files, SQLite and device reads a screen needs (the maintenance screens) run here, one at a time.
        self._background = ThreadPoolExecutor(max_workers=1, thread_name_prefix="ui-background")
        self.lang = runtime.cfg.kiosk.language
        # Elderly mode (适老化): chosen on the attract screen for one session; off again when the
        # session ends, and when the attract screen sits untouched this long (a walk-away).
        self.elderly = False
        self.elderly_idle_s = ELDERLY_ATTRACT_IDLE_S
        self.last_touch = time.monotonic()
        self.theme_switch_s = 0.0  # how long the last switch of the look took (main thread)
        self.widgets: dict[str, Widget] = {}
        self.channel: FlowChannel | None = None
        self.screens_seen: list[str] = []
        self.views_seen: list[View] = []
        self.ends_seen: list[FlowResult] = []
        # Frame-time instrumentation: the longest gap between two frames while measuring.
        self.max_frame_gap_s = 0.0
        self.max_frame_cpu_s = 0.0  # the main thread's own CPU time between two frames
        self._last_cpu = 0.0
        self.frames = 0
        self.measuring = False
        self.stalls: list[tuple[float, float, str]] = []
        self._last_frame = 0.0
        self.corner = CornerTaps()
        self.login: MaintenanceLogin | None = None
        self.maintenance_requests = 0
        self.title = "sscard-kiosk"
        self.prewarmed = threading.Event()
        self.collections = FullCollectionPacer()  # full GC passes run between citizens

    def t(self, key: str, **params: object) -> str:
        # {where_<device>}: this cabinet's device places, for texts shown outside a flow's view too
        return t(self.lang, key, **{**where_params(self.cfg.layout), **params})

    # ---- what the screens read (screens.ports.AppPort) --------------------------------------
    @property
    def cfg(self) -> Config:
        return self.runtime.cfg

    @property
    def speech(self) -> Narrator:
        return self.runtime.narrator

    @property
    def preview_frames(self) -> FrameSource | None:
        return self.feeds.preview_frames

    @property
    def pin_key(self) -> Callable[[str], None] | None:
        return self.feeds.pin_key

    @property
    def maintenance(self) -> MaintenanceService:
        return self.runtime.maintenance

    def availability(self) -> Mapping[ServiceId, tuple[Availability, frozenset[Any]]]:
        return self.runtime.availability()

    def counter_message(self) -> str:
        return self.runtime.mode_message or self.runtime.cfg.kiosk.counter_message

    def background(self, work: Callable[[], T], done: Callable[[T], None]) -> None:
        def finished(future: Future[T]) -> None:
            try:
                result = future.result()
            except Exception:  # work turns its expected failures into results; this is a bug
                log.exception("background work failed")
                return
            Clock.schedule_once(lambda _dt: done(result), 0)

        self._background.submit(work).add_done_callback(finished)

    def on_stop(self) -> None:
        self._background.shutdown(wait=False, cancel_futures=True)

    # ---- building -----------------------------------------------------------------------------
    def build(self) -> Widget:
        Window.clearcolor = colour(PAPER)
        Window.bind(on_keyboard=self._on_key, on_key_down=self._on_key_down, on_request_close=self._on_close)
        Window.show_cursor = bool(self.runtime.cfg.ui.show_cursor)
        self.root_layout = KioskRoot(self)
        self.backdrop = paint(self.root_layout, PAPER)  # one background for every screen (and screenshots)
        self.sm = ScreenManager(transition=NoTransition())
        self.attract = AttractScreen(self)
        self.flow = FlowScreen(self)
        self.oos = OutOfServiceScreen(self)
        for s in (self.attract, self.flow, self.oos):
            self.sm.add_widget(s)
        self._maintenance_screen: Any = None  # built on first use: it costs cold start otherwise
        self.root_layout.add_widget(self.sm)
        self.lang_button = action_button(self.t("app.language_toggle"), "language", "button.language",
                                         size_hint=(None, None), size=(target_px() * LANG_BUTTON_WIDTH, target_px()),
                                         pos_hint={"right": 0.992, "top": 0.988})
        self.lang_button.bind(on_release=lambda _b: self.toggle_language())
        self.register(self.lang_button)
        self.root_layout.add_widget(self.lang_button)
        self.runtime.listeners.append(lambda: Clock.schedule_once(lambda _dt: self.refresh_home(), 0))
        Clock.schedule_interval(self._frame, 0)
        Clock.schedule_interval(self._elderly_watch, 1.0)
        self.go_home()
        Clock.schedule_once(lambda _dt: self._prewarm(), 0.5)  # after the first frames are up
        return self.root_layout

    def _prewarm(self) -> None:
        """Load the face models in the background while the kiosk is idle.

        dlib holds the interpreter lock while it loads its models (~1-2 s); done during the
        first citizen's photo step, that froze the screen. Idle at boot nobody sees it.
        """
        def load() -> None:
            try:
                if self.runtime.devices.camera is not None:
                    from kiosk.photo.detector import get_models

                    get_models()
            except Exception:
                log.exception("prewarm failed")
            finally:
                gc.collect()
                gc.freeze()  # startup objects are permanent: later GC passes stay short
                self.prewarmed.set()

        threading.Thread(target=load, name="ui-prewarm", daemon=True).start()

    def register(self, widget: Widget) -> None:
        kid = getattr(widget, "kiosk_id", None)
        if kid:
            self.widgets[kid] = widget

    def show_overlay(self, widget: Widget) -> None:
        if widget.parent is None:
            self.root_layout.add_widget(widget)  # added last: drawn over the language button

    def hide_overlay(self, widget: Widget) -> None:
        if widget.parent is not None:
            widget.parent.remove_widget(widget)

    # ---- frame-time instrumentation -------------------------------------------------------------
    def _frame(self, _dt: float) -> None:
        now, cpu = time.perf_counter(), time.thread_time()
        if self.measuring and self._last_frame:
            gap, busy = now - self._last_frame, cpu - self._last_cpu
            self.max_frame_gap_s = max(self.max_frame_gap_s, gap)
            self.max_frame_cpu_s = max(self.max_frame_cpu_s, busy)
            if gap > 0.1:  # where a stall happened and how much of it the main thread computed
                view = self.flow.view
                self.stalls.append((round(gap, 3), round(busy, 3),
                                    view.screen if view is not None else self.sm.current))
        self._last_frame, self._last_cpu = now, cpu
        self.frames += 1

    def start_measuring(self) -> None:
        """Measure from the next frame on (not the startup frames, not a test's own pauses)."""
        self.max_frame_gap_s = self.max_frame_cpu_s = 0.0
        self.stalls.clear()
        self._last_frame = 0.0
        self.measuring = True

    def pause_measuring(self) -> None:
        self.measuring = False
        self._last_frame = 0.0

    def resume_measuring(self) -> None:
        self._last_frame = 0.0
        self.measuring = True

    # ---- lockdown ------------------------------------------------------------------------------
    def _on_key(self, _window: Any, key: int, *_args: Any) -> bool:
        return key == KEY_ESCAPE  # swallowed: Escape must never close the kiosk

    def _on_key_down(self, _window: Any, key: int, _scancode: int, _text: Any, modifiers: Any) -> bool:
        # Alt+F4 and Escape do nothing; no other key has a meaning on a touch kiosk either.
        return key in (KEY_ESCAPE, KEY_F4) or "alt" in (modifiers or ())

    def _on_close(self, *_args: Any, **_kw: Any) -> bool:
        return True  # the window manager's close (Alt+F4) is refused; only systemd stops the kiosk

    # ---- hidden maintenance entry ----------------------------------------------------------------
    def corner_tap(self, x: float, y: float) -> bool:
        size = Window.height * CORNER
        in_corner = x <= size and y >= Window.height - size
        if not in_corner or self.sm.current not in ("attract", "out_of_service") or self.login is not None:
            return False
        if self.corner.tap():
            self.open_maintenance_login()
        return True

    def open_maintenance_login(self) -> None:
        self.set_elderly(False)  # the technician's screens have the normal look
        self.login = MaintenanceLogin(self)
        self.root_layout.add_widget(self.login)

    def close_maintenance_login(self) -> None:
        if self.login is not None:
            self.root_layout.remove_widget(self.login)
            self.login = None

    def submit_maintenance_login(self, technician: str, password: str) -> None:
        """The check (a key derivation, the technician file, the audit log) runs in the background."""
        self.maintenance_requests += 1
        self.background(lambda: self.runtime.enter_maintenance_requested(technician, password),
                        self._login_checked)

    def _login_checked(self, accepted: bool) -> None:
        if accepted:
            self.close_maintenance_login()
            self.refresh_home()
        elif self.login is not None:
            self.login.failed()

    @property
    def maintenance_screen(self) -> Any:
        if self._maintenance_screen is None:
            from screens.maintenance_ui import MaintenanceScreen  # the technician's screens

            self._maintenance_screen = MaintenanceScreen(self)
            self.sm.add_widget(self._maintenance_screen)
        return self._maintenance_screen

    # ---- navigation ---------------------------------------------------------------------------
    def _show(self, name: str) -> None:
        if self.sm.current != name or not self.screens_seen:
            self.screens_seen.append(name)
        self.sm.current = name
        self._register_repeat()

    def go_home(self) -> None:
        self.channel = None
        self.runtime.narrator.stop()  # the session's last words end with it
        self.refresh_home()

    def refresh_home(self) -> None:
        if self.channel is not None:
            return  # a transaction is on screen; the flow decides what happens
        if self.runtime.maintenance.session is not None:
            _ = self.maintenance_screen
            self._show("maintenance")
            return
        reason = self.runtime.out_of_service_reason()
        if reason:
            self.oos.reason_key = f"oos.reason.{reason}"
            self.oos.refresh()
            shown = self.sm.current == "out_of_service"
            self._show("out_of_service")
            if not shown:
                self.speak_home()  # out of service says so when it comes up
        else:
            self.attract.refresh()
            self._show("attract")

    def toggle_language(self) -> None:
        self.lang = "en" if self.lang == "zh" else "zh"
        relabel(self.lang_button, self.t("app.language_toggle"))
        self.attract.refresh()
        self.oos.refresh()
        self.flow.refresh(rebuild=False)
        self._register_repeat()
        self.repeat_voice(relang=True)  # said again in the language just chosen

    # ---- voice ---------------------------------------------------------------------------------
    def speak_home(self) -> None:
        """The attract or out-of-service screen's words (on demand: a lobby is not talked at)."""
        narrator = self.runtime.narrator
        if self.sm.current == "out_of_service":
            narrator.screen(("oos.title", "oos.message", self.oos.reason_key, "oos.hotline"), self.lang,
                            {"hotline": self.runtime.cfg.kiosk.hotline})
        elif self.elderly:
            narrator.screen(("elderly.on", "app.subtitle"), self.lang)
        else:
            narrator.screen(("app.title", "app.subtitle"), self.lang)

    def repeat_voice(self, relang: bool = False) -> None:
        """The 重听 button: a flow screen's last prompt again; the attract screen's words."""
        view = self.flow.view
        if self.sm.current == "flow" and view is not None:
            if relang:
                self.runtime.narrator.view(view, self.lang)
            else:
                self.runtime.narrator.repeat()
        elif self.sm.current in ("attract", "out_of_service"):
            self.speak_home()

    def _register_repeat(self) -> None:
        """Every citizen screen has a 重听 button; ``button.repeat`` names the one on show."""
        button = getattr(self.sm.current_screen, "repeat_button", None)
        if button is not None:
            self.register(button)

    def start_service(self, service: ServiceId) -> None:
        try:
            self.channel = self.runtime.start_service(
                service,
                emit=lambda v: Clock.schedule_once(lambda _dt: self._on_view(v), 0),
                on_end=lambda r: Clock.schedule_once(lambda _dt: self._on_end(r), 0),
                elderly=self.elderly,
            )
        except RuntimeError:
            log.warning("service start refused: busy")
            return
        self.collections.hold()

    def send(self, user_input: UserInput) -> None:
        if self.channel is not None:
            self.channel.send(user_input)

    def _on_view(self, view: View) -> None:
        if self.channel is None:
            return  # a late view from a flow that already ended
        self.views_seen.append(view)
        self.flow.render(view)
        self._show("flow")

    def _on_end(self, result: FlowResult) -> None:
        self.ends_seen.append(result)
        self.feeds.clear_preview()  # the citizen's face leaves memory with the session
        self.lang = self.runtime.cfg.kiosk.language  # the next citizen starts in Chinese
        relabel(self.lang_button, self.t("app.language_toggle"))
        self.go_home()
        self.set_elderly(False)  # the next citizen starts in the normal look
        Clock.schedule_once(self._between_sessions, BETWEEN_SESSIONS_S)

    def _between_sessions(self, _dt: float) -> None:
        if self.channel is None:  # a new citizen who already tapped keeps the pass held
            self.collections.release()
            log.debug("full GC pass between sessions: %.0f ms", self.collections.last_pass_s * 1000)

    # ---- elderly mode ---------------------------------------------------------------------------
    def timeout_factor(self) -> float:
        """The session's idle-time factor (the flow applies the same one to its timeouts)."""
        return elderly_timeout_factor(self.runtime.cfg) if self.elderly else 1.0

    def toggle_elderly(self) -> None:
        self.set_elderly(not self.elderly)
        if not self.elderly and self.channel is None:
            self.runtime.narrator.screen(("elderly.off",), self.lang)  # the citizen's own tap: say so

    def set_elderly(self, on: bool) -> None:
        """Switch the look: the citizen screens are rebuilt under the other theme (tens of ms)."""
        if on == self.elderly:
            return
        started = time.perf_counter()
        self.elderly = on
        self.last_touch = time.monotonic()
        use_theme(on)
        Window.clearcolor = colour(PAPER)
        self.backdrop.rgba = colour(PAPER)
        old = (self.attract, self.flow, self.oos)
        self.attract, self.flow, self.oos = AttractScreen(self), FlowScreen(self), OutOfServiceScreen(self)
        current = self.sm.current
        for screen in old:
            screen.dispose()
            self.sm.remove_widget(screen)
        for screen in (self.attract, self.flow, self.oos):
            self.sm.add_widget(screen)
        for w in self.root_layout.children:  # the buttons floating above every screen
            if isinstance(w, BigButton):
                w.retheme()
                if w.size_hint == [None, None]:
                    w.size = (w.width * target_px() / w.height, target_px())
        self.refresh_home()
        if self.channel is not None and current == "flow":
            self.sm.current = "flow"
        self.theme_switch_s = time.perf_counter() - started
        if on and self.channel is None:
            self.speak_home()  # elderly mode announces itself (and is spoken from now on)
        log.info("elderly mode %s in %.0f ms", "on" if on else "off", self.theme_switch_s * 1000)

    def _elderly_watch(self, _dt: float) -> None:
        idle = time.monotonic() - self.last_touch
        if self.elderly and self.channel is None and idle > self.elderly_idle_s:
            self.set_elderly(False)

    # ---- test and screenshot helpers -----------------------------------------------------------
    def tap(self, kiosk_id: str) -> None:
        """Press and release a widget by id, as a finger would (tests, screenshots)."""
        w = self.widgets[kiosk_id]
        if getattr(w, "disabled", False):
            raise RuntimeError(f"{kiosk_id} is disabled")
        w.dispatch("on_press")
        w.dispatch("on_release")
