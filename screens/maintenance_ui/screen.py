"""The maintenance screen: a section list on the left, the section's text and actions on the right.

Nothing here reads a file, SQLite or a device on the Kivy thread: a section's lines (queue
pages, log tails, ledgers, device states) are built on the app's background worker
(``AppPort.background``) and rendered when they arrive; actions run on a worker thread of their
own (a self-test waits for a card, a flush for the network); the session check and the logout
(audit writes) run in the background too. Results come back through ``Clock.schedule_once``.
The session's idle timeout is checked every few seconds; when it ends, the app goes back to
the citizen screens.
"""

from __future__ import annotations

import logging
import threading
from typing import Any

from kivy.clock import Clock
from kivy.uix.boxlayout import BoxLayout
from kivy.uix.floatlayout import FloatLayout
from kivy.uix.gridlayout import GridLayout
from kivy.uix.screenmanager import Screen
from kivy.uix.scrollview import ScrollView

from kiosk.maintenance.roles import PermissionDenied
from kiosk.maintenance.service import NoSession
from screens.keypad import NumericKeypad
from screens.maintenance_ui.sections import SECTIONS, TITLES, Action, Section, build
from screens.ports import AppPort
from screens.widgets import ACCENT, BRAND, PAPER, WHITE, BigButton, Text, gap_px, paint, target_px

log = logging.getLogger("screens.maintenance")
TICK_S = 2.0


class MaintenanceScreen(Screen):
    def __init__(self, app: AppPort, **kw: Any) -> None:
        super().__init__(name="maintenance", **kw)
        self.app = app
        self.svc = app.maintenance
        self.loading = False  # a section's lines are being read in the background
        self._loads = 0  # reads asked for: only the newest one is rendered
        self.note = ""  # a multi-line action result shown above the section's lines
        self.section = "devices"
        self.state: dict[str, Any] = {}
        self.busy = False
        self.last_message = ""
        self.results: list[str] = []  # every action's outcome, for tests and the screen
        paint(self, PAPER)
        root = BoxLayout(orientation="vertical", padding=gap_px() / 2, spacing=gap_px() / 2)
        top = BoxLayout(size_hint_y=None, height=target_px(), spacing=gap_px())
        self.title = Text("", bold=True, color=BRAND, halign="left")
        logout = BigButton("退出维护 log out", "maint.logout", danger=True, size_hint_x=None, width=target_px() * 4)
        logout.bind(on_release=lambda _b: self.logout())
        app.register(logout)
        top.add_widget(logout)  # left: the language button sits at the top right of every screen
        top.add_widget(self.title)
        root.add_widget(top)
        body = BoxLayout(spacing=gap_px() / 2)
        nav = GridLayout(cols=1, spacing=gap_px() / 4, size_hint_x=0.22)
        for name in SECTIONS:
            b = BigButton(TITLES[name], f"maint.section.{name}", scale=0.9)
            b.bind(on_release=lambda _b, n=name: self.show(n))
            app.register(b)
            nav.add_widget(b)
        body.add_widget(nav)
        right = BoxLayout(orientation="vertical", spacing=gap_px() / 2)
        self.message = Text("", color=ACCENT, size_hint_y=None, height=target_px() * 0.8, halign="left")
        self.message.kiosk_id = "maint.message"
        app.register(self.message)
        right.add_widget(self.message)
        scroll = ScrollView(do_scroll_x=False)
        self.text = Text("", halign="left", valign="top", size_hint_y=None, scale=0.9)
        self.text.kiosk_id = "maint.text"
        app.register(self.text)
        self.text.bind(texture_size=lambda w, s: setattr(w, "height", max(s[1], 10)))
        self.text.bind(width=lambda w, v: setattr(w, "text_size", (v, None)))
        scroll.add_widget(self.text)
        right.add_widget(scroll)
        self.actions = GridLayout(cols=3, spacing=gap_px() / 4, size_hint_y=None)
        right.add_widget(self.actions)
        body.add_widget(right)
        root.add_widget(body)
        self.add_widget(root)
        self.overlay: FloatLayout | None = None
        self._tick: Any = None

    # ---- lifecycle ----------------------------------------------------------------------------
    def on_enter(self, *_a: Any) -> None:
        if self._tick is None:
            self._tick = Clock.schedule_interval(lambda _dt: self.check_session(), TICK_S)
        self.show(self.section)

    def on_leave(self, *_a: Any) -> None:
        if self._tick is not None:
            self._tick.cancel()
            self._tick = None
        self.close_overlay()

    def check_session(self) -> None:
        self.app.background(self.svc.tick, lambda active: None if active else self.app.refresh_home())

    def logout(self) -> None:
        self.app.background(self.svc.logout, lambda _none: self.app.refresh_home())

    # ---- sections -----------------------------------------------------------------------------
    def show(self, name: str) -> None:
        self.section = name
        s = self.svc.session
        self.title.set(f"维护模式 maintenance — {s.tech_id} ({s.role.value})" if s else "维护模式 maintenance")
        self.loading = True
        self._loads += 1
        svc, state, load = self.svc, self.state, self._loads
        self.app.background(lambda: _load(name, svc, state), lambda got: self._render(load, got))

    def _render(self, load: int, got: Section | Exception) -> None:
        if load != self._loads:
            return  # a newer read was asked for (another section, or after an action); it follows
        self.loading = False
        note, self.note = self.note, ""
        if isinstance(got, NoSession):
            self.app.refresh_home()
            return
        if isinstance(got, Exception):  # PermissionDenied, or a read that failed: said, not raised
            self._say(str(got) if isinstance(got, PermissionDenied) else f"{type(got).__name__}: {got}")
            self.text.set("")
            self.actions.clear_widgets()
            return
        section = got
        self.text.set("\n\n".join(filter(None, (note, "\n".join(section.lines)))))
        self.actions.clear_widgets()
        for act in section.actions:
            b = BigButton(act.label, act.kiosk_id, danger=act.danger, scale=0.8, size_hint_y=None, height=target_px())
            b.bind(on_release=lambda _b, a=act: self.press(a))
            self.app.register(b)
            self.actions.add_widget(b)
        rows = (len(section.actions) + 2) // 3
        self.actions.height = rows * target_px() + max(0, rows - 1) * gap_px() / 4

    def press(self, act: Action) -> None:
        if self.busy:
            return
        if act.ask_number is not None:
            ask = act.ask_number
            self.ask_number(act.label, lambda n: self.run(act.label, lambda: ask(n)))
        elif act.run is not None:
            self.run(act.label, act.run)

    def run(self, label: str, fn: Any) -> None:
        self.busy = True
        self._say(f"{label} …")

        def work() -> None:
            try:
                result = fn()
                text = result if isinstance(result, str) else _describe(result)
            except NoSession:
                text = "__no_session__"
            except Exception as exc:  # shown to the technician, never raised into the UI loop
                text = f"{type(exc).__name__}: {exc}"
            Clock.schedule_once(lambda _dt: self._done(label, text), 0)

        threading.Thread(target=work, name="maintenance-action", daemon=True).start()

    def _done(self, label: str, text: str) -> None:
        self.busy = False
        if text == "__no_session__" or self.svc.session is None:
            self.app.refresh_home()
            return
        self.results.append(f"{label}: {text}")
        self._say(f"{label}: {text.splitlines()[0] if text else 'ok'}")
        if "\n" in text:
            self.note = text  # shown above the section's lines once they are read again
        self.show(self.section)

    def _say(self, text: str) -> None:
        self.last_message = text
        self.message.set(text[:160])

    # ---- number entry -------------------------------------------------------------------------
    def ask_number(self, title: str, then: Any) -> None:
        self.close_overlay()
        overlay = FloatLayout()
        paint(overlay, (0, 0, 0, 0.6))
        box = BoxLayout(orientation="vertical", size_hint=(0.5, 0.95), pos_hint={"center_x": 0.5, "center_y": 0.5},
                        padding=gap_px(), spacing=gap_px() / 2)
        paint(box, WHITE, radius=16)
        box.add_widget(Text(title, bold=True, color=BRAND, size_hint_y=None, height=target_px()))
        pad = NumericKeypad(self.app.register, 5, label=self.app.t)
        box.add_widget(pad)
        row = BoxLayout(spacing=gap_px(), size_hint_y=None, height=target_px())
        cancel = BigButton("取消 cancel", "maint.number.cancel", danger=True)
        cancel.bind(on_release=lambda _b: self.close_overlay())
        ok = BigButton("确定 OK", "maint.number.ok", primary=True)

        def confirm(_b: Any) -> None:
            value = pad.value
            self.close_overlay()
            if value.isdigit():
                then(int(value))

        ok.bind(on_release=confirm)
        for b in (cancel, ok):
            self.app.register(b)
            row.add_widget(b)
        box.add_widget(row)
        overlay.add_widget(box)
        self.overlay = overlay
        self.add_widget(overlay)

    def close_overlay(self) -> None:
        if self.overlay is not None:
            self.remove_widget(self.overlay)
            self.overlay = None


def _load(name: str, svc: Any, state: dict[str, Any]) -> Section | Exception:
    """Runs on the background worker: a section's lines, or why there are none."""
    try:
        return build(name, svc, state)
    except Exception as exc:  # NoSession, PermissionDenied, a failed read: the screen says which
        return exc


def _describe(result: Any) -> str:
    passed = getattr(result, "passed", None)
    if passed is not None:
        return f"{'PASS' if passed else 'FAIL'} {getattr(result, 'detail', '')}"
    return "ok" if result in (None, True) else str(result)
