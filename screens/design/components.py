"""The parts every citizen screen is assembled from (docs/screens/gallery.png shows each one).

Each part reads the tokens (screens.design.tokens) and the current theme when it is built, so
the elderly look needs no code of its own here. No part does I/O or decides a business rule:
they render texts the screen hands them and call back on a tap.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from typing import Any

from kivy.clock import Clock
from kivy.graphics import Color, Line, Rectangle
from kivy.uix.boxlayout import BoxLayout
from kivy.uix.floatlayout import FloatLayout
from kivy.uix.widget import Widget

from screens.design.icons import action_icon, icon
from screens.design.tokens import COLOUR, RADIUS, SPACE, TYPE
from screens.widgets import BigButton, Text, colour, fit_height, gap_px, markup, paint, target_px, text_px, theme

MONTHS_EN = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


def space(step: str) -> float:
    return gap_px() * SPACE[step]


def type_px(role: str) -> float:
    return text_px(TYPE[role])


def labelled(name: str, text: str, size: float | None = None) -> str:
    """An icon and a text as one markup string (a button's or a label's text). No-break spaces:
    Kivy wraps at spaces only, so a plain space would put a long Chinese line under its icon."""
    return f"{icon(name, size)}\u00a0\u00a0{markup(text)}"


def action_button(label: str, action: str, kiosk_id: str, *, primary: bool = False, danger: bool = False,
                  **kw: Any) -> BigButton:
    """Every action button: an icon before its label (screens.design.icons.ACTION_ICONS)."""
    b = BigButton(labelled(action_icon(action), label), kiosk_id, primary=primary, danger=danger, raw=True, **kw)
    b.action = action
    return b


def relabel(button: BigButton, label: str) -> None:
    """A new label for an action button, its icon kept (a language switch)."""
    button.text = labelled(action_icon(getattr(button, "action", "")), label)


# ---- frame --------------------------------------------------------------------------------------
def clock_text(lang: str, now: time.struct_time) -> str:
    if lang == "zh":
        return f"{now.tm_mon}月{now.tm_mday}日 {now.tm_hour:02d}:{now.tm_min:02d}"
    return f"{now.tm_mday} {MONTHS_EN[now.tm_mon - 1]} {now.tm_hour:02d}:{now.tm_min:02d}"


class FrameClock(Text):
    """Date and time, redrawn only when the minute changes (one texture a minute)."""

    def __init__(self, lang: Callable[[], str], **kw: Any) -> None:
        super().__init__("", scale=TYPE["small"], color=COLOUR["muted"], **kw)
        self.lang = lang
        self.shown = ""
        self._ev = Clock.schedule_interval(lambda _dt: self.tick(), 1.0)
        self.tick()

    def tick(self) -> None:
        text = clock_text(self.lang(), time.localtime())
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
                          size_hint_x=1.0 if brand_text else 0.15)
        self.place = Text("", scale=TYPE["small"], color=COLOUR["muted"], halign="left", size_hint_x=1.0)
        self.help = Text("", scale=TYPE["small"], color=COLOUR["muted"], halign="left", size_hint_x=0.75)
        self.clock = FrameClock(lang, halign="right", size_hint_x=0.65)
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
        self.names: Sequence[str] = ()
        self.current = 0
        self.context = 2
        self.bind(texture_size=self._fit)

    def show(self, count: str, names: Sequence[str], current: int) -> None:
        if names and 1 <= current <= len(names):
            self.names, self.current = names, current
            self.context = 0 if theme().elderly else 2
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


def service_tile(icon_name: str, label: str, note: str, kiosk_id: str, usable: bool) -> BigButton:
    """A lobby tile: icon, name and (when it cannot be used) why, as one big button."""
    size = type_px("title") * 1.2
    text = f"{icon(icon_name, size)}  [b]{markup(label)}[/b]"
    if note:
        text += f"\n[size={int(type_px('small'))}]{markup(note)}[/size]"
    b = BigButton(text, kiosk_id, primary=usable, raw=True, scale=TYPE["lead"])
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
        self.focus_line: Any = None
        self.set_error(error)
        self.set_focus(focused)

    def set_error(self, error: str) -> None:
        self.error.text = labelled("error", error, type_px("small")) if error else ""
        self.error.height = type_px("small") * 1.5 if error else 0
        self.error.opacity = 1 if error else 0
        self.height = self.button.height + self.error.height + (self.spacing if error else 0)

    def set_focus(self, focused: bool) -> None:
        """The field the citizen is on gets a thick brand outline (visible focus, not colour alone)."""
        if self.focus_line is not None:
            self.button.canvas.after.remove(self.focus_line[0])
            self.button.canvas.after.remove(self.focus_line[1])
            self.focus_line = None
        if focused:
            with self.button.canvas.after:
                c = Color(*colour(COLOUR["danger"] if self.error.text else COLOUR["brand"]))
                line = Line(rectangle=(*self.button.pos, *self.button.size), width=4)
            self.focus_line = (c, line)
            self.button.bind(pos=self._move_focus, size=self._move_focus)

    def _move_focus(self, *_: Any) -> None:
        if self.focus_line is not None:
            self.focus_line[1].rectangle = (*self.button.pos, *self.button.size)


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


class SummaryList(BoxLayout):
    """Check your answers: one row per answer (label, value) with a 修改 link back to the field."""

    def __init__(self, rows: Sequence[tuple[str, str, str]], edit_label: str = "",
                 on_edit: Callable[[str], None] | None = None, **kw: Any) -> None:
        """``rows``: (key, label, value); ``on_edit(key)`` when the row's edit link is tapped."""
        super().__init__(orientation="vertical", spacing=space("xs"), size_hint_y=None, **kw)
        self.edit_buttons: dict[str, BigButton] = {}
        row_h = max(target_px() if on_edit else 0, type_px("body") * 1.6)
        for key, label, value in rows:
            row = BoxLayout(spacing=space("m"), size_hint_y=None, height=row_h)
            name = Text(label, color=COLOUR["muted"], halign="left", size_hint_x=0.38)
            name.kiosk_id = f"summary.{key}.label"
            val = Text(value, bold=True, color=COLOUR["ink"], halign="left")
            val.kiosk_id = f"summary.{key}"
            row.add_widget(name)
            row.add_widget(val)
            if on_edit is not None:
                b = action_button(edit_label, "edit", f"summary.{key}.edit", size_hint_x=0.26)
                b.bind(on_release=lambda _b, k=key: on_edit(k))
                self.edit_buttons[key] = b
                row.add_widget(b)
            self.add_widget(row)
        self.height = len(rows) * row_h + max(0, len(rows) - 1) * self.spacing

    def labels(self) -> list[Widget]:
        return [w for row in self.children for w in row.children if getattr(w, "kiosk_id", "")]


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
    next, and a QR code of the transaction number for the counter (when there is one)."""

    def __init__(self, kind: str, headline: str, detail: str, summary: Sequence[tuple[str, str, str]],
                 next_steps: Sequence[str], qr_text: str = "", qr_caption: str = "", reasons: Sequence[str] = (),
                 background: Callable[..., None] | None = None, **kw: Any) -> None:
        super().__init__(spacing=space("l"), **kw)
        self.kind = kind
        self._ids: list[Widget] = []
        name, role = RESULT_LOOK[kind]
        elderly = theme().elderly
        left = BoxLayout(orientation="vertical", spacing=space("s"))
        head = BoxLayout(spacing=space("m"), size_hint_y=None, height=type_px("display") * 1.7)
        mark = Text(icon(name, type_px("display") * 1.5), color=COLOUR[role], size_hint_x=None,
                    width=type_px("display") * 1.8)
        mark.text = icon(name, type_px("display") * 1.5)
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
        left.add_widget(self.detail)
        self.reason_lines: list[Text] = []
        for i, reason in enumerate(reasons):  # each reason on its own line, marked, in the danger colour
            line = IconLine("error", reason, "flow.reasons" if i == 0 else f"flow.reasons.{i}", COLOUR["danger"])
            self.reason_lines.append(line.label)
            left.add_widget(line)
        self.summary = SummaryList(summary) if summary else None
        if self.summary is not None:
            left.add_widget(self.summary)
        self.next_lines: list[Text] = []
        for i, text in enumerate(next_steps):
            line = IconLine("chevron_right", text, f"result.next.{i}")
            self.next_lines.append(line.label)
            left.add_widget(line)
        left.add_widget(Widget())
        self.add_widget(left)
        self.qr: QrCode | None = None
        if qr_text:
            side = BoxLayout(orientation="vertical", spacing=space("s"), size_hint_x=0.3)
            self.qr = QrCode(qr_text, background)
            self.qr.kiosk_id = "result.qr"
            side.add_widget(self.qr)
            cap = fit_height(Text(qr_caption, scale=TYPE["small"], color=COLOUR["muted"]))
            cap.kiosk_id = "result.qr_caption"
            side.add_widget(cap)
            self.add_widget(side)
            self._ids += [self.qr, cap]
        self._ids += [mark, self.headline, self.detail, *self.reason_lines, *self.next_lines]
        if self.summary is not None:
            self._ids += self.summary.labels()

    def registered(self) -> list[Widget]:
        """The widgets with a kiosk_id (the app registers them for tests and screenshots)."""
        return list(self._ids)


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
