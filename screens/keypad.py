"""On-screen numeric keypad: the only way to type on the kiosk (no IME, no free text)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from kivy.uix.boxlayout import BoxLayout
from kivy.uix.gridlayout import GridLayout

from screens.widgets import BRAND, WHITE, BigButton, Text, gap_px, paint, target_px, theme


def group_digits(value: str, groups: Sequence[int]) -> str:
    """'13800000001' with (3, 4, 4) → '138 0000 0001': easier to check by eye."""
    out, i = [], 0
    for g in groups:
        if i >= len(value):
            break
        out.append(value[i:i + g])
        i += g
    if i < len(value):
        out.append(value[i:])
    return " ".join(out)


class NumericKeypad(BoxLayout):
    """A display line and a 3x4 pad (1-9, 清除, 0, 删除), plus optional token keys.

    ``tokens`` are extra keys that append a fixed text (e.g. 号, 栋, 室 for the address
    detail): the citizen composes from a closed set, never types freely.
    """

    def __init__(self, register: Callable[[Any], None], max_len: int, *, groups: Sequence[int] = (),
                 tokens: Sequence[str] = (), mask: bool = False, label: Callable[[str], str] = str,
                 on_change: Callable[[str], None] | None = None, cols: int = 3, own_display: bool = True,
                 key_height: float = 0.0, **kw: Any) -> None:
        """``own_display`` False: the caller places ``self.display`` (e.g. beside the keys);
        ``key_height``: the keys' height (default: the theme's touch target)."""
        kw.setdefault("orientation", "vertical")
        kw.setdefault("spacing", gap_px() / 2)
        super().__init__(**kw)
        self.value = ""
        self.max_len = max_len
        self.groups = tuple(groups)
        self.mask = mask
        self.on_change = on_change
        self.keys: list[BigButton] = []
        # Elderly mode: already 1.5x body text; larger would wrap a 20-character address detail.
        self.display = Text("", scale=1.0 if theme().elderly else 1.4, bold=True, color=BRAND, size_hint_y=None,
                            height=target_px())
        self.display.kiosk_id = "keypad.display"
        register(self.display)
        paint(self.display, WHITE, radius=8)
        if own_display:
            self.add_widget(self.display)
        if tokens:
            keys = [*"1234567890", *tokens, "clear", "back"]
        else:
            keys = ["1", "2", "3", "4", "5", "6", "7", "8", "9", "clear", "0", "back"]
        rows = (len(keys) + cols - 1) // cols
        key_h = key_height or target_px()
        pad = gap_px() / 2
        grid = BoxLayout(orientation="vertical", spacing=pad, size_hint_y=None, height=rows * key_h + (rows - 1) * pad)
        # Row by row: a short last row's keys share its width (the address keypad's 清除 / "Delete"
        # get 1.4 keys' width: "Delete" fits on one line at 1280x800 instead of breaking in the word).
        lines = [GridLayout(cols=len(keys[i:i + cols]), spacing=pad) for i in range(0, len(keys), cols)]
        for line in lines:
            grid.add_widget(line)
        for n, key in enumerate(keys):
            text = {"clear": label("keypad.clear"), "back": label("keypad.back")}.get(key, key)
            kid = f"key.{key}" if key in ("clear", "back") or key.isdigit() else f"key.token.{key}"
            b = BigButton(text, kid, primary=key.isdigit(), scale=1.3 if key.isdigit() else 1.0,
                          size_hint_y=None, height=key_h)
            b.bind(on_release=lambda _b, k=key: self.press(k))
            register(b)
            self.keys.append(b)
            lines[n // cols].add_widget(b)
        self.add_widget(grid)
        self.height = grid.height + ((self.display.height + self.spacing) if own_display else 0)
        self.size_hint_y = None
        self._show()

    def reregister(self, register: Callable[[Any], None]) -> None:
        """Point the shared key ids (key.1 …) at this keypad again when it is shown again."""
        for w in (self.display, *self.keys):
            register(w)

    def press(self, key: str) -> None:
        if key == "clear":
            self.value = ""
        elif key == "back":
            self.value = self.value[:-1]
        elif len(self.value) + len(key) <= self.max_len:
            self.value += key
        self._show()
        if self.on_change is not None:
            self.on_change(self.value)

    def _show(self) -> None:
        shown = "●" * len(self.value) if self.mask else group_digits(self.value, self.groups)
        self.display.set(shown or "_")
