"""Elderly mode: a checklist longer than a page (the counter guide's, arts. 35 and 51) one item
at a time.

At 1.5x type on a 1280x800 screen a guide's intro, its items and its two buttons do not fit: the
list ran under 打印须知 / 不用打印. So the first page is the intro, then one item a page with its
number; 下一项 holds the action row until the last item, where the view's own buttons come back;
返回 turns back a page before it means what the flow says.
"""

from __future__ import annotations

from typing import Any

from screens.design.components import action_button
from screens.ports import AppPort
from screens.widgets import ACCENT, INK, BigButton, Text, colour, target_px


class ChecklistPages:
    def __init__(self, app: AppPort) -> None:
        self.app = app
        self.intro = ""
        self.items: tuple[str, ...] = ()
        self.key: tuple[str, ...] = ()  # which list: the view's screen and its reasons' string keys
        self.page = 0
        self.text = Text(size_hint_y=None, height=0, halign="left")
        self.text.kiosk_id = "flow.checklist"
        # no room taken on every other screen (an empty label still has a line's height)
        self.text.bind(texture_size=lambda w, ts: setattr(w, "height", ts[1] if self.items else 0))
        app.register(self.text)

    @property
    def active(self) -> bool:
        return bool(self.items)

    @property
    def turned(self) -> bool:
        """Past the intro: 返回 turns back a page before it means what the flow says."""
        return self.active and self.page > 0

    @property
    def pages(self) -> int:
        return 1 + len(self.items)

    @property
    def on_last(self) -> bool:
        return self.page >= self.pages - 1

    def show(self, key: tuple[str, ...], intro: str, items: tuple[str, ...]) -> None:
        """A new list starts at its intro; the same list again (a live update, a language switch)
        keeps the page the citizen turned to."""
        if key != self.key:
            self.key, self.page = key, 0
        self.intro, self.items = intro, items
        self._draw()

    def clear(self) -> None:
        self.intro, self.items, self.key, self.page = "", (), (), 0
        self.text.set("")
        self.text.height = 0

    def turn(self, delta: int) -> None:
        self.page = max(0, min(self.pages - 1, self.page + delta))
        self._draw()

    def _draw(self) -> None:
        if not self.items:
            return
        if self.page == 0:
            self.text.set(self.intro)
            self.text.color = colour(INK)
        else:
            number = self.app.t("checklist.item_of", n=self.page, total=len(self.items))
            self.text.set(f"{number}\n{self.items[self.page - 1]}")
            self.text.color = colour(ACCENT)

    def make_next_button(self, on_next: Any) -> BigButton:
        b = action_button(self.app.t("checklist.next", n=self.page + 1, total=len(self.items)), "next",
                          "checklist.next", primary=True, size_hint_y=None, height=target_px() * 1.35)
        b.bind(on_release=lambda _b: on_next())
        self.app.register(b)
        return b
