"""Address picker: province → city → district from kiosk.domain.regions, then a short detail
composed on a keypad of digits and a closed set of tokens (路, 号, 栋, 单元, 室 …).

No scrolling (no gestures other than taps): long lists are paged with big 上一页/下一页 buttons.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from kivy.uix.boxlayout import BoxLayout
from kivy.uix.gridlayout import GridLayout

from kiosk.domain import regions
from screens.keypad import NumericKeypad
from screens.widgets import BRAND, BigButton, Text, gap_px, target_px, text_px, theme

PAGE = 6  # 3 columns x 2 rows of big buttons
ELDERLY_PAGE = 4  # elderly mode: 2 columns x 2 rows, larger type
DETAIL_TOKENS = ("路", "街", "号", "栋", "单元", "室", "-")
DETAIL_MAX = 20


class AddressPicker(BoxLayout):
    """Calls ``on_done("<district code>|<detail>")`` — the value kiosk.domain.regions parses."""

    def __init__(self, register: Callable[[Any], None], label: Callable[[str], str],
                 on_done: Callable[[str], None], **kw: Any) -> None:
        kw.setdefault("orientation", "vertical")
        kw.setdefault("spacing", gap_px() / 2)
        super().__init__(**kw)
        self.register = register
        self.label = label
        self.on_done = on_done
        self.province = ""
        self.city = ""
        self.district = ""
        self.page = 0
        self.elderly = theme().elderly
        self.per_page = ELDERLY_PAGE if self.elderly else PAGE
        self.path = Text("", color=BRAND, size_hint_y=None, height=target_px() * (0.68 if self.elderly else 0.8))
        self.path.kiosk_id = "address.path"
        # Elderly mode: the detail level shows the composed text beside the path, not under it.
        self.head = BoxLayout(spacing=gap_px() / 2, size_hint_y=None, height=self.path.height)
        self.head.add_widget(self.path)
        self.add_widget(self.head)
        # The detail level's example, beside the path: one line there (in the keypad's side column
        # it had no room left and was drawn cut from a collapsed box).
        self.hint = Text(self.label("address.detail_hint"), scale=0.9)
        self.hint.kiosk_id = "address.detail_hint"
        self.area = BoxLayout(orientation="vertical", spacing=gap_px() / 2)
        self.add_widget(self.area)
        self.option_buttons: list[BigButton] = []
        self.grid = GridLayout(cols=self.per_page // 2, spacing=gap_px() / 2, size_hint_y=None,
                               height=2 * target_px() + gap_px() / 2)
        for i in range(self.per_page):  # built once; a level or page change only relabels them
            b = BigButton("", f"address.slot.{i}", primary=True, size_hint_y=None, height=target_px())
            b.bind(on_release=lambda btn: self._pick(btn.code) if btn.code else None)
            b.code = ""
            self.option_buttons.append(b)
            self.grid.add_widget(b)
        self.nav = BoxLayout(spacing=gap_px() / 2, size_hint_y=None, height=target_px())
        self.nav_buttons: dict[str, BigButton] = {}
        for kid, key, fn in (("address.up", "address.up", self._up),
                             ("address.prev", "address.prev_page", lambda: self._turn(-1)),
                             ("address.next", "address.next_page", lambda: self._turn(1))):
            b = BigButton(self.label(key), kid, size_hint_y=None, height=target_px())
            b.bind(on_release=lambda _b, f=fn: f())
            self.nav_buttons[kid] = b
            self.nav.add_widget(b)
        self.detail: BoxLayout | None = None
        self.reset()

    def reset(self) -> None:
        """Back to the first level (the editor is reused each time it opens)."""
        provinces = list(regions.PROVINCES)
        self.province = provinces[0] if len(provinces) == 1 else ""  # one province: skip a pointless tap
        self.city = self.district = ""
        self.page = 0
        self._render()

    # ---- levels ------------------------------------------------------------------------------
    def _options(self) -> list[tuple[str, str]]:
        if not self.province:
            return list(regions.PROVINCES.items())
        if not self.city:
            return regions.cities_of(self.province)
        return regions.districts_of(self.city)

    def _pick(self, code: str) -> None:
        if not self.province:
            self.province = code
        elif not self.city:
            self.city = code
        else:
            self.district = code
        self.page = 0
        self._render()

    def _up(self) -> None:
        """One level back (the picker's own 返回; the screen's 返回 leaves the picker)."""
        if self.district:
            self.district = ""
        elif self.city:
            self.city = ""
        elif len(regions.PROVINCES) > 1:
            self.province = ""
        self.page = 0
        self._render()

    def _render(self) -> None:
        names = [regions.PROVINCES.get(self.province, "")]
        if self.city:
            names.append(regions.CITIES[self.city][1])
        if self.district:
            names.append(regions.DISTRICTS[self.district][1])
        self.path.set("".join(names) or self.label("address.choose_province"))
        self.area.clear_widgets()
        if self.detail is not None and self.elderly and self.keypad.display.parent is self.head:
            self.head.remove_widget(self.keypad.display)
        if self.hint.parent is self.head:
            self.head.remove_widget(self.hint)
        if self.district:
            self._render_detail()
            return
        options = self._options()
        per = self.per_page
        pages = max(1, (len(options) + per - 1) // per)
        self.page = min(self.page, pages - 1)
        shown = options[self.page * per:(self.page + 1) * per]
        for i, b in enumerate(self.option_buttons):
            code, name = shown[i] if i < len(shown) else ("", "")
            b.code = code
            b.set(name)
            b.opacity = 1 if code else 0
            b.disabled = not code
            b.kiosk_id = f"address.option.{code}" if code else f"address.slot.{i}"
            self.register(b)
        self.area.add_widget(self.grid)
        enabled = {"address.up": bool(self.city) or (len(regions.PROVINCES) > 1 and bool(self.province)),
                   "address.prev": self.page > 0, "address.next": self.page < pages - 1}
        for kid, b in self.nav_buttons.items():
            b.disabled = not enabled[kid]
            self.register(b)
        self.area.add_widget(self.nav)

    def _turn(self, delta: int) -> None:
        self.page += delta
        self._render()

    def _render_detail(self) -> None:
        if self.detail is None and self.elderly:
            self._build_detail_elderly()
        elif self.detail is None:
            self.detail = BoxLayout(spacing=gap_px() / 2)
            self.keypad = NumericKeypad(self.register, DETAIL_MAX, tokens=DETAIL_TOKENS, label=self.label,
                                        cols=7, size_hint_x=0.66, own_display=False)
            self.detail.add_widget(self.keypad)
            side = BoxLayout(orientation="vertical", spacing=gap_px() / 2, size_hint_x=0.34)
            self.keypad.display.size_hint_y = 1  # the side column's free height
            side.add_widget(self.keypad.display)
            up = BigButton(self.label("address.up"), "address.up", size_hint_y=None, height=target_px())
            up.bind(on_release=lambda _b: self._up())
            self.detail_up = up
            side.add_widget(up)
            ok = BigButton(self.label("address.done"), "address.done", primary=True, size_hint_y=None,
                           height=target_px())
            ok.bind(on_release=lambda _b: self.on_done(f"{self.district}|{self.keypad.value}"))
            self.detail_ok = ok
            side.add_widget(ok)
            self.detail.add_widget(side)
        else:
            self.keypad.press("clear")
            self.keypad.reregister(self.register)
        for w in (self.detail_up, self.detail_ok):
            self.register(w)
        assert self.detail is not None
        if self.elderly:
            self.head.add_widget(self.keypad.display)
        else:
            self.head.add_widget(self.hint)
        self.area.add_widget(self.detail)

    def _build_detail_elderly(self) -> None:
        """The detail keypad full width (digits on one row, tokens on the next) under a row with
        the composed text, 上一级 and 完成: the larger keys and text fit without the side column
        (the detail hint is left out: the keys themselves show what can be typed)."""
        pad = gap_px() / 2
        self.detail = BoxLayout(orientation="vertical", spacing=pad)
        # 7 wide keys a row (tokens like 单元 and "Delete" fit), rows as low as the digits' line allows
        # (a text line is ~1.46x its size): the three rows must fit under the path at 1280x800.
        key_h = max(88.0, target_px() * 0.83, text_px(1.3) * 1.46)
        self.keypad = NumericKeypad(self.register, DETAIL_MAX, tokens=DETAIL_TOKENS, label=self.label,
                                    cols=7, own_display=False, key_height=key_h)
        top = BoxLayout(spacing=pad, size_hint_y=None, height=target_px() * 0.9)  # still above the normal 88 px
        self.keypad.display.size_hint = (0.5, 1)  # beside the path (see _render_detail)
        up = BigButton(self.label("address.up"), "address.up")
        up.bind(on_release=lambda _b: self._up())
        ok = BigButton(self.label("address.done"), "address.done", primary=True)
        ok.bind(on_release=lambda _b: self.on_done(f"{self.district}|{self.keypad.value}"))
        self.detail_up, self.detail_ok = up, ok
        top.add_widget(up)
        top.add_widget(ok)
        self.detail.add_widget(top)
        self.detail.add_widget(self.keypad)
