"""The screen base class and the header row (service title, step indicator, room for the
language button, which floats above every screen at the top right)."""

from __future__ import annotations

from typing import Any

from kivy.uix.boxlayout import BoxLayout
from kivy.uix.screenmanager import Screen
from kivy.uix.widget import Widget

from screens.ports import AppPort
from screens.widgets import BRAND, Text, shrink_to_fit, target_px, text_px, theme

LANG_BUTTON_WIDTH = 2.2  # x target_px


class KioskScreen(Screen):
    def __init__(self, app: AppPort, **kw: Any) -> None:
        super().__init__(**kw)
        self.app = app  # no background of its own: the window's clear colour is it (less fill)

    def refresh(self) -> None:
        """Re-render from the app's state (language switch, availability change)."""


class Header(BoxLayout):
    def __init__(self, app: AppPort, **kw: Any) -> None:
        super().__init__(size_hint_y=None, height=target_px(), spacing=target_px() * 0.2, **kw)
        self.title = Text(scale=1.3, bold=True, color=BRAND, halign="left")
        if theme().elderly:  # a long English service name: smaller, still 1.5x body text, one line
            shrink_to_fit(self.title, text_px(1.0))
        self.step = Text(scale=1.0, bold=True, color=BRAND, halign="right", size_hint_x=0.6)
        self.title.kiosk_id, self.step.kiosk_id = "header.title", "header.step"
        app.register(self.title)
        app.register(self.step)
        self.add_widget(self.title)
        self.add_widget(self.step)
        self.add_widget(Widget(size_hint_x=None, width=target_px() * LANG_BUTTON_WIDTH))

    def set(self, title: str, step: str) -> None:
        self.title.set(title)
        self.step.set(step)
