"""The screen base class and the header: the persistent frame (emblem, service name, place,
help line, date and time) over the service title and the stepper with step names. The language
button floats above every screen at the top right; both rows leave it room."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from kivy.core.window import Window
from kivy.uix.boxlayout import BoxLayout
from kivy.uix.screenmanager import Screen
from kivy.uix.widget import Widget

from screens.design.components import Frame, Stepper
from screens.ports import AppPort
from screens.widgets import BRAND, Text, shrink_to_fit, target_px, text_px, theme

LANG_BUTTON_WIDTH = 2.2  # x target_px
WIDE_FRAME_PX = 1600  # narrower: the frame shows the emblem without the service name


class KioskScreen(Screen):
    def __init__(self, app: AppPort, **kw: Any) -> None:
        super().__init__(**kw)
        self.app = app  # no background of its own: the window's clear colour is it (less fill)

    def refresh(self) -> None:
        """Re-render from the app's state (language switch, availability change)."""

    def dispose(self) -> None:
        """The screen is replaced (elderly mode switched): stop its timers."""


def make_frame(app: AppPort) -> Frame:
    elderly = theme().elderly
    frame = Frame(lambda: app.lang, target_px() * LANG_BUTTON_WIDTH, facts=not elderly,
                  brand_text=Window.width >= WIDE_FRAME_PX and not elderly)
    for w in frame.widgets():
        app.register(w)
    return frame


def fill_frame(app: AppPort, frame: Frame) -> None:
    cfg = app.cfg.kiosk
    frame.set(app.t("app.title"), cfg.outlet_name, app.t("frame.help", hotline=cfg.hotline))


class Header(BoxLayout):
    """The frame, then the service's title and where the citizen is in it. Elderly mode (1.5x
    type on 800 px) keeps only the title row: every pixel of the body is needed there."""

    def __init__(self, app: AppPort, **kw: Any) -> None:
        self.app = app
        elderly = theme().elderly
        self.frame = None if elderly else make_frame(app)
        frame_h = 0.0 if self.frame is None else self.frame.height
        row_h = target_px() - frame_h * 0.35
        super().__init__(orientation="vertical", size_hint_y=None, height=frame_h + row_h, **kw)
        row = BoxLayout(size_hint_y=None, height=row_h, spacing=target_px() * 0.2)
        self.title = Text(scale=1.3, bold=True, color=BRAND, halign="left", size_hint_x=2.2 if elderly else 0.8)
        if elderly:  # a long English service name: smaller, still 1.5x body text, one line
            shrink_to_fit(self.title, text_px(1.0))
        self.step = Stepper(halign="right")
        self.title.kiosk_id = "header.title"
        app.register(self.title)
        app.register(self.step)
        row.add_widget(self.title)
        row.add_widget(self.step)
        # The language button overlaps the frame and this row's top: this row keeps it room.
        row.add_widget(Widget(size_hint_x=None, width=target_px() * LANG_BUTTON_WIDTH))
        if self.frame is not None:
            self.add_widget(self.frame)
        self.add_widget(row)

    def set(self, title: str, step: str, names: Sequence[str] = (), current: int = 0) -> None:
        if self.frame is not None:
            fill_frame(self.app, self.frame)
        self.title.set(title)
        self.step.show(step, names, current)

    def stop(self) -> None:
        if self.frame is not None:
            self.frame.stop()
