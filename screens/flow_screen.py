"""The one screen every flow state is rendered on: header (frame, service, stepper with step
names), body (message, reasons, panel, picture of the next physical action, or the result page),
footer (countdown, 返回, 取消, the primary action). Idle countdown and the "need more time?"
dialog live here. Built from the parts in screens.design."""

from __future__ import annotations

import time
from typing import Any

from kivy.clock import Clock
from kivy.uix.boxlayout import BoxLayout
from kivy.uix.floatlayout import FloatLayout
from kivy.uix.progressbar import ProgressBar
from kivy.uix.widget import Widget

from kiosk.domain.device_layout import picture_position
from kiosk.flows.base import End, UserInput, View
from screens.check_panel import CheckPanel, check_panel
from screens.checklist_pages import ChecklistPages
from screens.design.components import Countdown, Modal, ResultPanel, action_button, dialog, relabel
from screens.design.outcome import shows_result
from screens.design.results import result_panel
from screens.design.steps import step_keys
from screens.fee_panels import fee_panel
from screens.header import Header, KioskScreen
from screens.panels import FormPanel, Panel, PinPanel, card_in_slot, paged_checklist, panel_for, picture_for
from screens.pictures import ActionPicture
from screens.ports import AppPort
from screens.widgets import (
    ACCENT,
    BRAND,
    INK,
    MUTED,
    OK_GREEN,
    BigButton,
    Text,
    colour,
    gap_px,
    target_px,
    text_px,
    theme,
)

__all__ = ["FlowScreen", "Modal", "message_colour"]

SPOKEN_COUNTDOWN_S = (10, 5)  # elderly mode: seconds left that are said aloud



def message_colour(end: End | None) -> tuple[float, float, float, float]:
    if end is None:
        return colour(INK)
    if end is End.DONE:
        return colour(OK_GREEN)
    if end in (End.REFUSED, End.FAULT, End.CARD_REMOVED):
        return colour(ACCENT)
    return colour(MUTED)


class FlowScreen(KioskScreen):
    def __init__(self, app: AppPort) -> None:
        super().__init__(app, name="flow")
        pad = gap_px()
        root = BoxLayout(orientation="vertical", padding=pad, spacing=pad)
        self.header = Header(app)
        # Progress against the on-the-spot time limit (art. 21), when the flow reports it.
        self.progress = BoxLayout(spacing=pad, size_hint_y=None, height=0, opacity=0)
        self.progress_bar = ProgressBar(max=100, size_hint_x=0.4)
        self.progress_text = Text(scale=0.9, color=MUTED, halign="left")
        self.progress_text.kiosk_id = "flow.progress"
        app.register(self.progress_text)
        self.progress.add_widget(self.progress_text)
        self.progress.add_widget(self.progress_bar)
        body = BoxLayout(spacing=pad)
        self.left = BoxLayout(orientation="vertical", spacing=pad / 2)
        self.message = Text(scale=1.15, bold=False, size_hint_y=None)
        self.message.kiosk_id = "flow.message"
        # Elderly mode: the message takes only its lines' height; the body needs every pixel.
        self.elderly = theme().elderly
        self.message_min = 0.0 if self.elderly else target_px()
        self.message_hidden = False  # elderly mode: a field editor has the body to itself
        self.result_shown = False  # a result page says the message itself
        self.checklist = ChecklistPages(app)  # elderly: a long checklist one item a page
        self.message.bind(texture_size=lambda w, ts: setattr(
            w, "height", 0 if self.message_hidden or self.result_shown or self.checklist.active
            else max(ts[1], self.message_min)))
        self.reasons = Text(color=ACCENT, size_hint_y=None, halign="left")
        self.reasons.kiosk_id = "flow.reasons"
        # A result page lists the reasons itself: a late texture must not give this copy its height back.
        self.reasons.bind(texture_size=lambda w, ts: setattr(w, "height", 0 if self.result_shown else ts[1]))
        self.slot = BoxLayout(orientation="vertical")
        for w in (self.message, self.reasons, self.slot):
            self.left.add_widget(w)
        self.picture = ActionPicture("wait", size_hint_x=0.34)
        self.picture.kiosk_id = "flow.picture"
        body.add_widget(self.left)
        self.body = body
        foot = BoxLayout(spacing=pad, size_hint_y=None, height=target_px())
        self.countdown = Countdown(size_hint_x=0.34)
        self.buttons = BoxLayout(spacing=pad)
        foot.add_widget(self.countdown)
        foot.add_widget(self.buttons)
        for w in (self.header, self.progress, body, foot):
            root.add_widget(w)
        self.layer = FloatLayout()
        self.layer.add_widget(root)
        self.add_widget(self.layer)
        self.result: ResultPanel | None = None
        for w in (self.message, self.reasons, self.countdown, self.picture):
            app.register(w)
        self.panel: Panel | None = None
        self.prompt: Widget | None = None
        self.counted: set[int] = set()  # countdown marks already spoken while the prompt is up
        self.repeat_button: BigButton | None = None
        self.view: View | None = None
        self.deadline: float | None = None
        self._tick_ev = Clock.schedule_interval(self._tick, 0.25)

    def dispose(self) -> None:
        """The screen is replaced (elderly mode switched): stop its timers."""
        self._tick_ev.cancel()
        self.header.stop()
        self.picture.stop()
        self._hide_prompt()
        if self.panel is not None:
            self.panel.stop()

    # ---- rendering ---------------------------------------------------------------------------
    def render(self, view: View) -> None:
        previous, self.view = self.view, view
        self.app.speech.view(view, self.app.lang)  # silent when a live update says the same
        self.deadline = time.monotonic() + view.timeout_s if view.timeout_s and not view.busy else None
        same = (previous is not None and previous.screen == view.screen and previous.service == view.service
                and previous.actions == view.actions and previous.end == view.end)
        if same and self.panel is not None and self.panel.update(view):
            # A live update (camera feedback, PIN digit count): keep the widgets, change the text.
            self._texts(view)
            return
        self._hide_prompt()
        self.refresh(rebuild=True)
        self._tick(0)  # the countdown shows this view's time at once, not the last view's
        if view.end is End.TIMED_OUT:
            # The session is already wiped; go straight back to the attract screen.
            Clock.schedule_once(lambda _dt: self.app.send(UserInput("home")), 0)

    def _texts(self, view: View) -> None:
        names = [self.app.t(k) for k in step_keys(view.service, view.total)] if view.end is None else []
        self.header.set(self.app.t(view.title),
                        self.app.t("step.indicator", step=view.step, total=view.total) if view.end is None else "",
                        names, view.step)
        message = self.app.t(view.message, **dict(view.params))
        self.message.set(message)
        items = [self.app.t(r, **dict(view.params)) for r in view.reasons]
        bullets = [f"• {i}" for i in items]
        if self.elderly and paged_checklist(view):
            self.checklist.show((view.screen, view.message, *view.reasons), message, tuple(items))
            self.message.opacity, self.message.height, bullets = 0, 0, []
            if self.checklist.text.parent is None:  # in the column only while shown: a spacing costs 8 px
                self.left.add_widget(self.checklist.text, index=self.left.children.index(self.slot) + 1)
        elif self.checklist.active:
            self.checklist.clear()
            self.left.remove_widget(self.checklist.text)
        self.reasons.set("\n".join(bullets))
        if not bullets:
            self.reasons.height = 0
        pct = view.params.get("percent")
        gives_way = self.elderly and self.panel is not None and self.panel.full_body_elderly
        if pct is not None and view.end is None and not self.message_hidden and not gives_way:
            self.progress.opacity = 1
            self.progress.height = text_px(0.9) * 1.5  # one line of its text (a line is ~1.46x the size)
            self.progress_bar.value = float(pct or 0)
            minutes = int(float(view.params.get("limit_s", "1200") or 1200) // 60)
            key = "elderly.progress" if self.elderly else "progress.remaining"
            self.progress_text.set(self.app.t(key, limit=minutes, remaining=view.params.get("remaining_min", "")))
        else:
            self.progress.opacity = 0
            self.progress.height = 0

    def refresh(self, rebuild: bool = True) -> None:
        view = self.view
        if view is None:
            return
        self._texts(view)
        self.message.color = message_colour(view.end)
        if self.prompt is not None and not rebuild:  # a language switch: the open prompt's texts too
            for kid, key in (("prompt.question", "idle.more_time_prompt"), ("button.more_time", "button.more_time"),
                             ("prompt.cancel", "button.cancel")):
                w = self.app.widgets.get(kid)
                if isinstance(w, BigButton):
                    relabel(w, self.app.t(key))
                elif w is not None:
                    w.set(self.app.t(key))
        editing = self.panel.editing if isinstance(self.panel, FormPanel) and not rebuild else None
        reviewing = isinstance(self.panel, FormPanel) and self.panel.reviewing and not rebuild
        if self.panel is not None:
            self.panel.stop()
        self.slot.clear_widgets()
        self._show_result(view)
        self.panel = (fee_panel(self.app, view) or check_panel(self.app, view)  # otp, payment QR; check answers
                      or panel_for(self.app, view, self._editor_shown))
        if self.panel is not None:
            self.slot.add_widget(self.panel)
            if editing and isinstance(self.panel, FormPanel):
                self.panel.edit(editing)
        elif self.result is None:
            self.slot.add_widget(Widget())
        kind = picture_for(view)
        if self.elderly and isinstance(self.panel, PinPanel) and self.panel.onscreen:
            kind = None  # the keys are on the screen: a hardware pad's picture would mislead
        # The picture of the next physical action: large and centred under the instruction when it
        # is all the step shows; beside the panel when the step also has buttons or keys.
        where = self.slot if self.panel is None and self.result is None else self.body
        if self.picture.parent is not None and (not kind or self.picture.parent is not where):
            self.picture.parent.remove_widget(self.picture)
        if kind and self.picture.parent is None:
            if where is self.slot:
                self.slot.clear_widgets()  # the empty filler gives way to the picture
            self.picture.size_hint_x = 1 if where is self.slot else (0.34 if self.elderly else 0.42)
            where.add_widget(self.picture)
        if kind:
            self.picture.set_kind(kind, picture_position(self.app.cfg.layout, kind, view.screen))
        self._footer(view)
        self._checklist_slot()
        if reviewing:  # a language switch keeps the answers' check on screen
            self._confirm()
        if isinstance(self.panel, FormPanel) and self.panel.editing:
            self.on_editor_opened()
        else:
            self.on_editor_closed()  # 返回 closes the editor that was open before the language switch

    def _show_result(self, view: View) -> None:
        """A result page replaces the one-line message: mark, headline, summary, next steps, QR."""
        if self.result is not None:
            self.result.stop()
            if self.result.parent is not None:
                self.result.parent.remove_widget(self.result)
        self.result = result_panel(self.app, view) if shows_result(view) else None
        shown = self.result_shown = self.result is not None
        self.message.opacity = 0 if shown else 1
        self.message_min = 0.0 if (self.elderly or shown) else target_px()
        self.message.height = 0 if shown else max(self.message.texture_size[1], self.message_min)
        self.message.kiosk_id = "flow.message.line" if shown else "flow.message"
        self.reasons.opacity = 0 if shown else 1
        if shown:
            self.reasons.height = 0
            self.slot.add_widget(self.result)
        else:
            self.app.register(self.message)

    def _footer(self, view: View) -> None:
        self.buttons.clear_widgets()
        self.repeat_button = self._button("repeat", "voice.repeat", local=self.app.repeat_voice)
        if view.end is not None:
            self._button("home", "button.home", primary=True)
            return
        self._button("back", "button.back", enabled="back" in view.actions or self.checklist.turned,
                     local=self._back)
        if "home" in view.actions:
            self._button("home", "button.home")
        elif not card_in_slot(view):  # 取消 while the card is being made would only strand it
            self._button("cancel", "button.cancel", danger=True)
        if "confirm" in view.actions:
            self._button("confirm", "button.confirm", primary=True, local=self._confirm)

    def _confirm(self) -> None:
        """A details form is checked before it is sent: the first 确认 shows every answer with a
        修改 link (check your answers); 确认提交 there sends it."""
        if isinstance(self.panel, FormPanel) and not self.panel.reviewing:
            self.panel.review()
            self._hide_message(True)
            b = self.app.widgets.get("button.confirm")
            if isinstance(b, BigButton):
                relabel(b, self.app.t("review.submit"))
            self._footer_enable_back()
            back = self.app.widgets.get("button.back")
            if back is not None:
                back.disabled = False  # 返回 goes back to the form
            return
        self.app.send(UserInput("confirm"))

    def _checklist_slot(self) -> None:
        """A paged checklist: 下一项 in the action row until its last item, then the view's own buttons."""
        if not self.checklist.active:
            return
        self.slot.clear_widgets()
        if self.checklist.on_last:
            if self.panel is not None:
                self.slot.add_widget(self.panel)
        else:
            self.slot.add_widget(self.checklist.make_next_button(lambda: self._turn_checklist(1)))
            self.slot.add_widget(Widget())
        self._footer_enable_back()

    def _turn_checklist(self, delta: int) -> None:
        self.checklist.turn(delta)
        self._checklist_slot()

    def _back(self) -> None:
        """返回 turns a paged checklist back, closes an open field editor or the answers' check first;
        otherwise the flow decides what back means."""
        if self.checklist.turned:
            self._turn_checklist(-1)
            return
        if isinstance(self.panel, FormPanel) and (self.panel.editing or self.panel.reviewing):
            self.panel.show_form()
            self._footer_enable_back()
            b = self.app.widgets.get("button.confirm")
            if isinstance(b, BigButton):
                relabel(b, self.app.t("button.confirm"))
            return
        self.app.send(UserInput("back"))

    def _footer_enable_back(self) -> None:
        b = self.app.widgets.get("button.back")
        if b is not None and self.view is not None:
            b.disabled = "back" not in self.view.actions and not self.checklist.turned

    def _button(self, action: str, key: str, primary: bool = False, enabled: bool = True, danger: bool = False,
                local: Any = None) -> BigButton:
        b = action_button(self.app.t(key), action, f"button.{action}", primary=primary, danger=danger)
        b.disabled = not enabled
        b.bind(on_release=lambda _b: local() if local else self.app.send(UserInput(action)))
        self.app.register(b)
        self.buttons.add_widget(b)
        return b

    def _editor_shown(self, shown: bool) -> None:
        b = self.app.widgets.get("button.confirm")
        if isinstance(b, BigButton) and isinstance(self.panel, FormPanel) and not self.panel.reviewing:
            relabel(b, self.app.t("button.confirm"))  # back from the answers' check to the form
        if shown:
            self.on_editor_opened()
        else:
            self.on_editor_closed()

    def on_editor_opened(self) -> None:
        b = self.app.widgets.get("button.back")
        if b is not None:
            b.disabled = False  # 返回 closes the editor
        # The editor's own prompt says what to do; its keys need the room (English at 1280x800 too).
        self._hide_message(True)

    def on_editor_closed(self) -> None:
        # The answers' check has its own title: the form's instruction would only push its rows down.
        # In elderly mode a summary's rows and what happens next say what the message says, larger.
        self._hide_message((isinstance(self.panel, FormPanel) and self.panel.reviewing)
                           or (self.elderly and isinstance(self.panel, CheckPanel)))

    def _hide_message(self, hidden: bool) -> None:
        self.message_hidden = hidden
        self.message.opacity = 0 if hidden or self.result_shown else 1
        self.message.height = 0 if hidden or self.result_shown else max(self.message.texture_size[1], self.message_min)
        if self.view is not None:
            self._texts(self.view)  # the time-limit row too

    # ---- idle countdown ----------------------------------------------------------------------
    def seconds_left(self) -> int | None:
        if self.deadline is None:
            return None
        return max(0, int(self.deadline - time.monotonic() + 0.99))

    def _tick(self, _dt: float) -> None:
        left = self.seconds_left()
        if left is None or self.view is None or self.manager is None or self.manager.current != "flow":
            self.countdown.show("")
            return
        warn = self.app.cfg.timeouts.idle_warning_s * self.app.timeout_factor()
        self.countdown.show(self.app.t("elderly.countdown" if self.elderly else "idle.countdown", seconds=left),
                            urgent=left <= min(10.0, warn))
        # Only views that wait for a tap can be extended ("more_time" restarts the flow's timer).
        asks = self.view.end is None and any(a != "cancel" for a in self.view.actions)
        if asks and left <= warn and self.prompt is None:
            self._show_prompt()
        if self.prompt is not None and self.app.elderly:
            self._speak_countdown(left)

    def _speak_countdown(self, left: int) -> None:
        """Elderly mode: the time left is said aloud while "need more time?" is up (at 10 s, 5 s)."""
        due = [mark for mark in SPOKEN_COUNTDOWN_S if left <= mark and mark not in self.counted]
        if due and left > 0:
            self.counted.update(due)
            self.app.speech.countdown(left, self.app.lang)

    def _show_prompt(self) -> None:
        """"Need more time?" as a modal dialog over the whole window: the language button floats
        above the screens, so a dialog inside this screen was drawn under it."""
        q = Text(self.app.t("idle.more_time_prompt"), scale=1.3, bold=True, color=BRAND)
        q.kiosk_id = "prompt.question"
        more = action_button(self.app.t("button.more_time"), "more_time", "button.more_time", primary=True)
        more.bind(on_release=lambda _b: self._more_time())
        end = action_button(self.app.t("button.cancel"), "cancel", "prompt.cancel", danger=True)
        end.bind(on_release=lambda _b: self.app.send(UserInput("cancel")))
        for w in (q, end, more):
            self.app.register(w)
        modal = dialog(q, (end, more))
        self.prompt = modal
        self.app.show_overlay(modal)
        self.app.speech.notice(("idle.more_time_prompt",), self.app.lang)

    def _more_time(self) -> None:
        self._hide_prompt()
        self.app.send(UserInput("more_time"))

    def _hide_prompt(self) -> None:
        self.counted.clear()
        if self.prompt is not None:
            self.app.hide_overlay(self.prompt)
            self.prompt = None
