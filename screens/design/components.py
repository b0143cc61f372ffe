"""The parts every citizen screen is assembled from (docs/screens/gallery.png shows each one).

Each part reads the tokens (screens.design.tokens) and the current theme when it is built, so
the elderly look needs no code of its own here. No part does I/O or decides a business rule:
they render texts the screen hands them and call back on a tap.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from functools import partial
from typing import Any

from kivy.clock import Clock
from kivy.graphics import Color, Line, Rectangle
from kivy.uix.boxlayout import BoxLayout
from kivy.uix.floatlayout import FloatLayout
from kivy.uix.gridlayout import GridLayout
from kivy.uix.widget import Widget

from kiosk.clock import SystemClock
from screens.design.icons import action_icon, icon
from screens.design.tokens import COLOUR, RADIUS, SPACE, TYPE
from screens.widgets import (
    MIN_BODY_PX,
    BigButton,
    Text,
    colour,
    fit_height,
    gap_px,
    markup,
    paint,
    shrink_to_fit,
    target_px,
    text_px,
    theme,
    word_width,
)

MONTHS_EN = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


def space(step: str) -> float:
    return gap_px() * SPACE[step]


def type_px(role: str) -> float:
    return text_px(TYPE[role])


def labelled(name: str, text: str, size: float | None = None) -> str:
    """An icon and a text as one markup string (a button's or a label's text). No-break spaces:
    Kivy wraps at spaces only, so a plain space would put a long Chinese line under its icon."""
    return f"{icon(name, size)}\u00a0\u00a0{markup(text)}"


class IconButton(BigButton):
    """A button whose label has an icon before it (and optionally a note line under it). Where
    icon and label do not fit one line (a narrow button in elderly mode), the icon gives way:
    Kivy would otherwise put it on a line of its own."""

    def __init__(self, icon_name: str, label: str, kiosk_id: str, *, note: str = "", strong: bool = False,
                 icon_scale: float = 1.0, **kw: Any) -> None:
        self.icon_name, self.label, self.note, self.strong, self.icon_scale = icon_name, label, note, strong, icon_scale
        super().__init__(labelled(icon_name, label), kiosk_id, raw=True, **kw)
        self.bind(size=lambda *_: self.compose())
        self.bind(texture_size=self._shrink)
        self.compose()

    def _shrink(self, *_: Any) -> None:
        """A label that wraps taller than the button steps down (never below the theme's body floor)."""
        floor = MIN_BODY_PX * theme().text_scale
        if self.height > 1 and self.texture_size[1] > self.height - 4 and self.font_size > floor:
            self.font_size = max(floor, self.font_size - 2)

    def relabel(self, label: str) -> None:
        self.label = label
        self.compose()

    def compose(self) -> None:
        self._fit_words()  # a new box: the full size again, as far as the longest word allows
        self.icon_shown, self.text = self.composed(self.label, self.note)

    def composed(self, label: str, note: str) -> tuple[bool, str]:
        """Whether the icon is shown, and the markup for ``label`` and ``note`` on this button (the
        layout check lays out every name with every note this way, screens/shots/fit.py)."""
        room = self.width - 16
        size = getattr(self, "full_size", self.font_size)
        icon_px = size * self.icon_scale
        needed = word_width(label, size, True) + icon_px * 1.6  # the icon and its two spaces
        name = f"[b]{markup(label)}[/b]" if self.strong else markup(label)
        shown = needed <= room or room <= 0
        text = f"{icon(self.icon_name, icon_px)}\u00a0\u00a0{name}" if shown else name
        if note:
            text += f"\n[size={int(type_px('small'))}]{markup(note)}[/size]"
        return shown, text


def action_button(label: str, action: str, kiosk_id: str, *, primary: bool = False, danger: bool = False,
                  **kw: Any) -> IconButton:
    """Every action button: an icon before its label (screens.design.icons.ACTION_ICONS)."""
    b = IconButton(action_icon(action), label, kiosk_id, primary=primary, danger=danger, **kw)
    b.action = action
    return b


def relabel(button: BigButton, label: str) -> None:
    """A new label for an action button, its icon kept (a language switch)."""
    if isinstance(button, IconButton):
        button.relabel(label)
    else:
        button.set(label)


# ---- frame --------------------------------------------------------------------------------------
def frame_now() -> dt.datetime:
    """Fuzhou time, as on transaction numbers and receipts (kiosk.clock), whatever the machine's zone."""
    return SystemClock().now()


def clock_text(lang: str, now: dt.datetime) -> str:
    if lang == "zh":
        return f"{now.month}月{now.day}日 {now:%H:%M}"
    return f"{now.day} {MONTHS_EN[now.month - 1]} {now:%H:%M}"


class FrameClock(Text):
    """Date and time, redrawn only when the minute changes (one texture a minute)."""

    def __init__(self, lang: Callable[[], str], **kw: Any) -> None:
        super().__init__("", scale=TYPE["small"], color=COLOUR["muted"], **kw)
        self.lang = lang
        self.shown = ""
        self._ev = Clock.schedule_interval(lambda _dt: self.tick(), 1.0)
        self.tick()

    def tick(self) -> None:
        text = clock_text(self.lang(), frame_now())
        if text != self.shown:
            self.shown = text
            self.set(text)

    def stop(self) -> None:
        self._ev.cancel()


class Frame(BoxLayout):
    """The persistent frame on every citizen screen: emblem and service name, the kiosk's place,
    the help line (both from config) and the date and time. Its right end is left free for the
    language button, which floats above every screen."""

    def __init__(self, lang: Callable[[], str], right_room: float, *, facts: bool = True, brand_text: bool = True,
                 **kw: Any) -> None:
        """``facts`` False: no place (elderly mode's 1.5x type); ``brand_text`` False: the emblem
        without the service name (a narrow screen whose next row names the service anyway)."""
        h = type_px("small") * 1.6
        super().__init__(size_hint_y=None, height=h, spacing=space("m"), **kw)
        self.brand_text = brand_text
        self.brand = Text("", scale=TYPE["small"], bold=True, color=COLOUR["brand"], halign="left",
                          size_hint_x=1.6 if brand_text else 0.15)
        self.place = Text("", scale=TYPE["small"], color=COLOUR["muted"], halign="left", size_hint_x=0.95)
        self.help = Text("", scale=TYPE["small"], color=COLOUR["muted"], halign="left", size_hint_x=0.7)
        self.clock = FrameClock(lang, halign="right", size_hint_x=0.6)
        for kid, w in (("frame.brand", self.brand), ("frame.place", self.place), ("frame.help", self.help),
                       ("frame.clock", self.clock)):
            w.kiosk_id = kid
        self.add_widget(self.brand)
        if facts:  # elderly mode: the place and the help line stay in the lobby's footer (room for 1.5x type)
            self.add_widget(self.place)
            self.add_widget(self.help)
        self.add_widget(self.clock)
        self.add_widget(Widget(size_hint_x=None, width=right_room))
        with self.canvas.after:  # a brand rule under the frame: where the page starts
            Color(*colour(COLOUR["brand"]))
            self._rule = Rectangle()
        self.bind(pos=self._place_rule, size=self._place_rule)

    def _place_rule(self, *_: Any) -> None:
        self._rule.pos = (self.x, self.y - 4)
        self._rule.size = (self.width, 3)

    def set(self, service_name: str, place: str, help_line: str) -> None:
        size = type_px("small")
        self.brand.text = labelled("badge", service_name, size) if self.brand_text else icon("badge", size)
        self.place.text = labelled("location_on", place, size)
        self.help.text = labelled("call", help_line, size)
        self.clock.tick()

    def widgets(self) -> Sequence[Widget]:
        return (self.brand, self.place, self.help, self.clock)

    def stop(self) -> None:
        self.clock.stop()


# ---- stepper ------------------------------------------------------------------------------------
def stepper_markup(names: Sequence[str], current: int, context: int = 2) -> str:
    """The current step bold with its number (``4/8``); with ``context`` 2 also the previous step
    ticked and the next one plain, with 1 only the next one, with 0 the current step alone."""
    size = type_px("small")
    now = f"[b]{current}/{len(names)} {markup(names[current - 1])}[/b]"
    parts = [now]
    if context >= 2 and current > 1:
        parts.insert(0, f"{icon('check_circle', size)} {markup(names[current - 2])}")
    if context >= 1 and current < len(names):
        parts.append(markup(names[current]))
    return f" {icon('chevron_right', size)} ".join(parts)


class Stepper(Text):
    """Where the citizen is in the service: the step's name and number and the ones around it.
    When the row is too narrow for one line (a long English title), the neighbours go first."""

    def __init__(self, **kw: Any) -> None:
        super().__init__("", scale=TYPE["small"], color=COLOUR["brand"], **kw)
        self.kiosk_id = "header.step"
        if theme().elderly:  # the current step's name alone may still not fit: smaller, one line
            shrink_to_fit(self, MIN_BODY_PX)
        self.names: Sequence[str] = ()
        self.current = 0
        self.context = 2
        self.bind(texture_size=self._fit)

    def show(self, count: str, names: Sequence[str], current: int) -> None:
        if names and 1 <= current <= len(names):
            if (list(names), current) != (list(self.names), self.current):  # a live update keeps the fit found
                self.context = 0 if theme().elderly else 2
            self.names, self.current = names, current
            self.text = stepper_markup(names, current, self.context)
        else:
            self.names, self.current = (), 0
            self.text = markup(count)

    def _fit(self, *_: Any) -> None:
        one_line = self.font_size * 1.6
        if self.names and self.texture_size[1] > one_line and self.context > 0:
            self.context -= 1
            self.text = stepper_markup(self.names, self.current, self.context)


class IconLine(BoxLayout):
    """An icon and a text that may wrap: the icon in its own column, so a long Chinese line
    wraps under itself and never leaves the icon alone on a line."""

    def __init__(self, icon_name: str, text: str, kiosk_id: str, color: Any = None, **kw: Any) -> None:
        size = type_px("body")
        super().__init__(spacing=space("s"), size_hint_y=None, **kw)
        self.mark = Text("", color=color or COLOUR["brand"], size_hint_x=None, width=size * 1.3, valign="top")
        self.mark.text = icon(icon_name, size)
        self.label = Text(text, color=color or COLOUR["ink"], halign="left")
        self.label.kiosk_id = kiosk_id
        self.add_widget(self.mark)
        self.add_widget(self.label)
        self.label.bind(texture_size=lambda _w, ts: setattr(self, "height", max(ts[1], size * 1.5)))
        self.height = size * 1.5


# ---- action card and illustration ----------------------------------------------------------------
class ActionCard(BoxLayout):
    """A card on the surface colour: a large icon over a title and a line of help (the lobby's
    service tiles are cards as buttons, see :func:`service_tile`)."""

    def __init__(self, icon_name: str, title: str, note: str = "", **kw: Any) -> None:
        super().__init__(orientation="vertical", padding=space("m"), spacing=space("s"), **kw)
        paint(self, COLOUR["surface"], radius=RADIUS["m"])
        mark = Text("", color=COLOUR["brand"])
        mark.text = icon(icon_name, type_px("display") * 1.4)
        self.add_widget(mark)
        self.add_widget(Text(title, scale=TYPE["title"], bold=True, color=COLOUR["ink"]))
        if note:
            self.add_widget(Text(note, scale=TYPE["small"], color=COLOUR["muted"]))


def service_tile(icon_name: str, label: str, note: str, kiosk_id: str, usable: bool) -> IconButton:
    """A lobby tile: icon, name and (when it cannot be used) why, as one big button."""
    b = IconButton(icon_name, label, kiosk_id, note=note, strong=True, primary=usable,
                   scale=TYPE["lead"])
    b.disabled = not usable
    return b


# ---- forms and summaries --------------------------------------------------------------------------
class FormField(BoxLayout):
    """One field: its label, its value, and its error right under it (never only at the top of the
    page). ``order`` is the field's place in the focus order, shown as a number."""

    def __init__(self, label: str, value: str, kiosk_id: str, on_tap: Callable[[], None], *, order: int = 0,
                 error: str = "", focused: bool = False, height: float = 0.0, **kw: Any) -> None:
        super().__init__(orientation="vertical", spacing=space("xs"), size_hint_y=None, **kw)
        h = height or target_px() * 1.25
        head = f"{order}. " if order else ""
        self.button = BigButton(f"{markup(head + label)}\n[b]{markup(value)}[/b]", kiosk_id, raw=True,
                                size_hint_y=None, height=h)
        self.button.bind(on_release=lambda _b: on_tap())
        self.error = Text("", scale=TYPE["small"], color=COLOUR["danger"], halign="left", size_hint_y=None, height=0)
        self.error.kiosk_id = f"{kiosk_id}.error"
        self.add_widget(self.button)
        self.add_widget(self.error)
        self.set_error(error)
        self.set_focus(focused)

    def set_error(self, error: str) -> None:
        self.error.text = labelled("error", error, type_px("small")) if error else ""
        self.error.height = type_px("small") * 1.5 if error else 0
        self.error.opacity = 1 if error else 0
        self.height = self.button.height + self.error.height + (self.spacing if error else 0)

    def set_focus(self, focused: bool) -> None:
        """The field the citizen is on gets a thick outline (visible focus, not colour alone)."""
        outline(self.button, focused, "danger" if self.error.text else "brand")


def outline(widget: Widget, on: bool, role: str = "brand") -> None:
    """A thick outline around ``widget`` (the visible focus: where the citizen is, or starts)."""
    line = getattr(widget, "_focus_line", None)
    if line is not None:
        widget.canvas.after.remove(line[0])
        widget.canvas.after.remove(line[1])
        widget.unbind(pos=line[2], size=line[2])
        widget._focus_line = None
    if not on:
        return
    with widget.canvas.after:
        c = Color(*colour(COLOUR[role]))
        ln = Line(rectangle=(*widget.pos, *widget.size), width=4)

    def follow(*_: Any) -> None:
        ln.rectangle = (*widget.pos, *widget.size)

    widget.bind(pos=follow, size=follow)
    widget._focus_line = (c, ln, follow)


class SummaryList(GridLayout):
    """Check your answers: one row per answer (label, value) with a 修改 link back to the field;
    ``cols`` rows side by side (a long form fits one screen)."""

    def __init__(self, rows: Sequence[tuple[str, str, str]], edit_label: str = "",
                 on_edit: Callable[[str], None] | None = None, cols: int = 1, **kw: Any) -> None:
        """``rows``: (key, label, value); ``on_edit(key)`` when the row's edit link is tapped."""
        super().__init__(cols=cols, spacing=(space("m"), space("xs")), size_hint_y=None, **kw)
        self.edit_buttons: dict[str, BigButton] = {}
        self.rows_shown: list[BoxLayout] = []
        self._labels: list[Widget] = []
        row_h = max(target_px() if on_edit else 0, type_px("body") * 1.6)
        for key, label, value in rows:
            row = BoxLayout(spacing=space("s"), size_hint_y=None, height=row_h)
            name = Text(label, color=COLOUR["muted"], halign="left", size_hint_x=0.8)
            name.kiosk_id = f"summary.{key}.label"
            val = Text(value, bold=True, color=COLOUR["ink"], halign="left")
            val.kiosk_id = f"summary.{key}"
            # A row grows with a label or value that wraps (English at 1280x800): never a clipped line.
            for w in (name, val):
                w.bind(texture_size=lambda _w, _ts, r=row, n=name, v=val: setattr(
                    r, "height", max(row_h, n.texture_size[1], v.texture_size[1])))
            row.add_widget(name)
            row.add_widget(val)
            self._labels += [name, val]
            if on_edit is not None:
                b = action_button(edit_label, "edit", f"summary.{key}.edit", size_hint_x=0.5)
                b.bind(on_release=lambda _b, k=key: on_edit(k))
                self.edit_buttons[key] = b
                row.add_widget(b)
            self.rows_shown.append(row)
            self.add_widget(row)
        lines = (len(rows) + cols - 1) // cols
        self.height = lines * row_h + max(0, lines - 1) * space("xs")
        self.bind(minimum_height=self.setter("height"))

    def labels(self) -> list[Widget]:
        return list(self._labels)


# ---- result ---------------------------------------------------------------------------------------
RESULT_LOOK = {  # kind → (icon, colour role)
    "success": ("check_circle", "success"),
    "pending": ("hourglass_top", "brand"),
    "attention": ("info", "brand"),
    "refused": ("error", "danger"),
    "fault": ("warning", "danger"),
    "ended": ("info", "muted"),
}


class ResultPanel(BoxLayout):
    """A result page: the mark (✓, ✗, ⌛), the headline, a summary of what was done, what happens
    next, and a QR code of the transaction number for the counter (when there is one).

    The headline and the reasons come in the first frame, the rest one part a frame after it:
    a dozen new textures in one frame stalled the screen on software GL.

    Where the column is too short for every part (English at 1280x800: longer lines wrap more), the
    next steps give way first, the last first, then the summary's rows, whose transaction number goes
    under the QR code as in elderly mode: nothing is drawn over the frame or clipped. The headline,
    the detail and the reasons always stay."""

    def __init__(self, kind: str, headline: str, detail: str, summary: Sequence[tuple[str, str, str]],
                 next_steps: Sequence[str], qr_text: str = "", qr_caption: str = "", reasons: Sequence[str] = (),
                 background: Callable[..., None] | None = None,
                 register: Callable[[Widget], None] = lambda _w: None, **kw: Any) -> None:
        super().__init__(spacing=space("l"), **kw)
        self.kind = kind
        self.register = register
        name, role = RESULT_LOOK[kind]
        elderly = theme().elderly
        self.left = left = BoxLayout(orientation="vertical", spacing=space("s"))
        big = type_px("title" if elderly else "display")
        head = BoxLayout(spacing=space("m"), size_hint_y=None, height=big * 1.5)
        mark = Text("", color=COLOUR[role], size_hint_x=None, width=big * 1.6)
        mark.text = icon(name, big * 1.4)
        mark.kiosk_id = "result.mark"
        self.mark_icon = name
        self.headline = Text(headline, scale=TYPE["title"] if elderly else TYPE["display"], bold=True,
                             color=COLOUR[role], halign="left")
        self.headline.kiosk_id = "result.headline"
        head.add_widget(mark)
        head.add_widget(self.headline)
        left.add_widget(head)
        self.detail = fit_height(Text(detail, scale=TYPE["body"], halign="left"))
        self.detail.kiosk_id = "flow.message"
        if detail:
            left.add_widget(self.detail)
        self.reason_lines: list[Text] = []
        for i, reason in enumerate(reasons):  # each reason on its own line, marked, in the danger colour
            line = IconLine("error", reason, "flow.reasons" if i == 0 else f"flow.reasons.{i}", COLOUR["danger"])
            self.reason_lines.append(line.label)
            left.add_widget(line)
        left.add_widget(Widget())  # the filler: later parts go above it
        self.add_widget(left)
        for w in (mark, self.headline, self.detail, *self.reason_lines):
            register(w)
        if elderly:  # 1.5x type: the transaction number goes under the QR code, one next step
            qr_caption = "\n".join([qr_caption, *(v for k, _l, v in summary if k == "txn")])
            summary, next_steps = [], list(next_steps)[:1]
        self.summary: SummaryList | None = None
        self.next_lines: list[Text] = []
        self.qr: QrCode | None = None
        self._later: list[Callable[[], None]] = []
        if summary:
            self._later.append(lambda: self._add_summary(summary))
        for i, text in enumerate(next_steps):
            self._later.append(partial(self._add_next, i, text))
        if qr_text:
            self._later.append(lambda: self._add_qr(qr_text, qr_caption, background))
        self._qr_caption: Text | None = None
        self.summary_rows: list[tuple[str, str, str]] = []
        self._moved: list[str] = []  # summary values shown under the QR code instead
        self._fit_trigger = Clock.create_trigger(self._fit, 0)
        left.bind(height=self._fit_trigger)
        self.detail.bind(height=self._fit_trigger)
        self._ev = Clock.schedule_once(self._build_next, 0)

    def _used(self) -> float:
        fixed = [c for c in self.left.children if c.size_hint_y is None]
        return sum(c.height for c in fixed) + self.left.spacing * max(0, len(fixed) - 1)

    def _fit(self, *_: Any) -> None:
        """Drop what does not fit the column, least needed first (see the class's note)."""
        if self.left.height <= 1:
            return
        while self._used() > self.left.height and self.next_lines:
            line = self.next_lines.pop()
            self.left.remove_widget(line.parent)
        if self._used() > self.left.height and self.summary is not None:
            self._moved = [v for k, _l, v in self.summary_rows if k == "txn"]
            self.left.remove_widget(self.summary)
            self.summary = None
            if self._moved and self._qr_caption is not None:
                self._qr_caption.text = "\n".join([self._qr_caption.text, *self._moved])

    def _build_next(self, _dt: float) -> None:
        if self._later:
            self._later.pop(0)()
            self._ev = Clock.schedule_once(self._build_next, 0)

    def finish(self) -> None:
        """Build every remaining part now (the gallery, a screenshot)."""
        self._ev.cancel()
        while self._later:
            self._later.pop(0)()

    def stop(self) -> None:
        self._ev.cancel()

    def _above_filler(self, w: Widget) -> None:
        self.left.add_widget(w, index=1)

    def _add_summary(self, rows: Sequence[tuple[str, str, str]]) -> None:
        self.summary_rows = list(rows)
        self.summary = SummaryList(rows)
        self.summary.bind(height=self._fit_trigger)
        self._above_filler(self.summary)
        for w in self.summary.labels():
            self.register(w)

    def _add_next(self, i: int, text: str) -> None:
        line = IconLine("chevron_right", text, f"result.next.{i}")
        line.bind(height=self._fit_trigger)
        self.next_lines.append(line.label)
        self._above_filler(line)
        self.register(line.label)

    def _add_qr(self, text: str, caption: str, background: Callable[..., None] | None) -> None:
        side = BoxLayout(orientation="vertical", spacing=space("s"), size_hint_x=0.3)
        self.qr = QrCode(text, background)
        self.qr.kiosk_id = "result.qr"
        side.add_widget(self.qr)
        cap = fit_height(Text("\n".join([caption, *self._moved]), scale=TYPE["small"], color=COLOUR["muted"]))
        cap.kiosk_id = "result.qr_caption"
        self._qr_caption = cap
        side.add_widget(cap)
        self.add_widget(side)
        self.register(self.qr)
        self.register(cap)


def qr_matrix(text: str) -> list[list[bool]]:
    """The QR code's modules, with a 2-module quiet zone (pure Python: run it off the UI thread)."""
    import qrcode

    qr = qrcode.QRCode(border=2, error_correction=qrcode.constants.ERROR_CORRECT_M)
    qr.add_data(text)
    qr.make(fit=True)
    matrix: list[list[bool]] = qr.get_matrix()
    return matrix


class QrCode(Widget):
    """A QR code as one small texture scaled up without smoothing (one rectangle to draw).
    ``background`` computes the modules off the UI thread (the app's worker); without it, here."""

    def __init__(self, text: str, background: Callable[..., None] | None = None, **kw: Any) -> None:
        super().__init__(**kw)
        self.text = text
        self.matrix: list[list[bool]] = []
        with self.canvas:
            Color(1, 1, 1, 1)
            self._rect = Rectangle()
        self.bind(pos=self._place, size=self._place)
        if background is not None:
            background(lambda: qr_matrix(text), self.show)
        else:
            self.show(qr_matrix(text))

    def show(self, matrix: list[list[bool]]) -> None:
        from kivy.graphics.texture import Texture

        n = len(matrix)
        black, white = b"\x00\x00\x00\xff", b"\xff\xff\xff\xff"  # RGBA rows are always 4-byte aligned
        pixels = b"".join(black if dark else white for row in reversed(matrix) for dark in row)
        tex = Texture.create(size=(n, n), colorfmt="rgba")
        tex.mag_filter = "nearest"
        tex.min_filter = "nearest"
        tex.blit_buffer(pixels, colorfmt="rgba", bufferfmt="ubyte")
        self.matrix = matrix
        self._rect.texture = tex
        self._place()

    def _place(self, *_: Any) -> None:
        side = min(self.width, self.height)
        self._rect.pos = (self.x + (self.width - side) / 2, self.y + (self.height - side) / 2)
        self._rect.size = (side, side)


# ---- countdown and modal ----------------------------------------------------------------------------
class Countdown(Text):
    """The time left before the kiosk goes back to the lobby: a quiet grey line with a timer icon;
    it turns the danger colour only in the last ``warn_s`` seconds (calm, not alarming)."""

    def __init__(self, **kw: Any) -> None:
        super().__init__("", scale=TYPE["small"], color=COLOUR["muted"], **kw)
        self.kiosk_id = "flow.countdown"
        self.plain = ""
        self.urgent = False

    def show(self, text: str, urgent: bool = False) -> None:
        if text == self.plain and urgent == self.urgent:
            return
        self.plain, self.urgent = text, urgent
        self.color = colour(COLOUR["danger"] if urgent else COLOUR["muted"])
        if theme().elderly:  # 1.5x type: the icon would push the time onto a third line
            self.set(text)
        else:
            self.text = labelled("schedule", text, type_px("small")) if text else ""


class Modal(FloatLayout):
    """Dims the screen and takes every touch, so only the dialog's buttons respond. Added to the
    window's root above every floating button (the language button too)."""

    def __init__(self, **kw: Any) -> None:
        super().__init__(**kw)
        paint(self, (0, 0, 0, 0.55))

    def on_touch_down(self, touch: Any) -> bool:
        super().on_touch_down(touch)
        return True

    def on_touch_move(self, touch: Any) -> bool:
        super().on_touch_move(touch)
        return True

    def on_touch_up(self, touch: Any) -> bool:
        super().on_touch_up(touch)
        return True


def dialog(question: Text, buttons: Sequence[BigButton]) -> Modal:
    """A modal dialog: a white card with the question and a row of buttons, centred."""
    box = BoxLayout(orientation="vertical", size_hint=(0.62, 0.46), pos_hint={"center_x": 0.5, "center_y": 0.5},
                    padding=space("l"), spacing=space("m"))
    paint(box, COLOUR["on_brand"], radius=RADIUS["l"])
    box.add_widget(question)
    row = BoxLayout(spacing=space("m"), size_hint_y=None, height=target_px())
    for b in buttons:
        row.add_widget(b)
    box.add_widget(row)
    modal = Modal()
    modal.add_widget(box)
    return modal
