"""What goes in the body of the flow screen for a given View: choices, the details form and
its editors, the PIN digit count, the camera. Chosen from the View's actions, params and
screen name only — the flows own every rule; a panel only collects a tap or a value.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import partial
from typing import Any

from kivy.clock import Clock
from kivy.uix.boxlayout import BoxLayout
from kivy.uix.gridlayout import GridLayout
from kivy.uix.widget import Widget

from kiosk.domain.choices import CHOICE_FIELDS, KEYPAD_FIELDS
from kiosk.flows.base import UserInput, View
from screens.address import AddressPicker
from screens.camera import CameraPreview
from screens.design.components import SummaryList, action_button, outline
from screens.design.icons import icon
from screens.design.outcome import TAKE_BACK
from screens.ecard_qr import KioskQr
from screens.keypad import NumericKeypad
from screens.ports import AppPort
from screens.widgets import (
    ACCENT,
    BRAND,
    MIN_TARGET_PX,
    MUTED,
    BigButton,
    Text,
    body_px,
    colour,
    fit_height,
    gap_px,
    markup,
    target_px,
    theme,
)

ELDERLY_ROWS = 2  # elderly mode: rows of a paged list or form per page
FORM_ORDER = ("mobile", "phone", "address", "postal_code", "insurance", "occupation",
              "child_id_number")  # issue 21 §3: the child without an ID card (kiosk.flows.child_without_id)
FIELD_PARAM = {"insurance": "medical_insurance"}  # the form's action name → its param name
# Which of the flow's reasons belong to which field: shown on the field itself, not only on top.
FIELD_REASONS = {
    "mobile": ("reason.invalid_mobile",), "phone": ("reason.invalid_phone",),
    "address": ("reason.address_missing", "reason.address_district", "reason.address_detail"),
    "postal_code": ("reason.invalid_postal_code",), "insurance": ("reason.invalid_medical_insurance",),
    "child_id_number": ("reason.child_id_missing", "reason.child_id_format", "reason.child_id_check_digit",
                        "reason.child_id_birth_date", "reason.child_too_old_for_register",
                        "reason.guardian_same_person"),
}


CAMERA_SCREENS = frozenset({"photo", "photo_confirm", "liveness", "document_place", "document_preview"})
# The new card is in the issuer (being made, or in the bezel to be taken): 取消 cannot stop it.
CARD_IN_SLOT_SCREENS = frozenset({"producing", "take_card"})
# Screens whose reasons are a checklist to read (the counter guide), not errors to correct: in
# elderly mode a long one is paged (screens.checklist_pages); a form's error summary never is.
CHECKLIST_SCREENS = frozenset({"guidance"})
ID_SCREENS = frozenset({"read_id", "read_guardian_id", "lift_id"})
# Actions the footer shows; every other action of a view gets a big button in the body.
FOOTER_ACTIONS = frozenset({"back", "cancel", "home", "confirm", "more_time", "choose"})


class Pager(BoxLayout):
    """Elderly mode: a few rows at a time, with big 上一页/下一页 buttons beside them (taps only,
    no scrolling). ``rows`` are built once; turning a page only re-adds them."""

    def __init__(self, app: AppPort, rows: list[Widget], per_page: int, row_height: float, kid: str,
                 **kw: Any) -> None:
        pad = gap_px() / 2
        height = per_page * row_height + (per_page - 1) * pad
        super().__init__(spacing=gap_px(), size_hint_y=None, height=height, **kw)
        self.rows, self.per_page, self.page, self.row_height = rows, per_page, 0, row_height
        self.pages = max(1, (len(rows) + per_page - 1) // per_page)
        self.column = BoxLayout(orientation="vertical", spacing=pad)
        self.add_widget(self.column)
        self.nav: dict[str, BigButton] = {}
        if self.pages > 1:
            side = BoxLayout(orientation="vertical", spacing=pad, size_hint_x=0.28)
            for name, key, delta in (("prev", "elderly.prev_page", -1), ("next", "elderly.next_page", 1)):
                b = BigButton(("▲ " if delta < 0 else "▼ ") + app.t(key), f"{kid}.{name}")
                b.bind(on_release=lambda _b, d=delta: self.turn(d))
                app.register(b)
                self.nav[name] = b
                side.add_widget(b)
            self.add_widget(side)
        for r in rows:
            r.size_hint_y = None
            r.height = row_height
            r.bind(height=self._grow)  # a row whose text wraps grows: the page grows with it
        self.show()

    def _grow(self, *_: Any) -> None:
        # Only the page on screen: a row of another page is not laid out (100 px wide, every word
        # on a line of its own) until its page is shown.
        shown = [r for r in self.rows if r.parent is self.column]
        if not shown:
            return
        tallest = max(self.row_height, *(r.height for r in shown))
        pad = gap_px() / 2
        self.height = self.per_page * tallest + (self.per_page - 1) * pad

    def turn(self, delta: int) -> None:
        self.page = max(0, min(self.pages - 1, self.page + delta))
        self.show()

    def page_of(self, row: Widget) -> int:
        return self.rows.index(row) // self.per_page

    def show(self) -> None:
        self.column.clear_widgets()
        for r in self.rows[self.page * self.per_page:(self.page + 1) * self.per_page]:
            self.column.add_widget(r)  # fixed heights, stacked from the top: a short last page is fine
        self._grow()
        if self.nav:
            self.nav["prev"].disabled = self.page == 0
            self.nav["next"].disabled = self.page >= self.pages - 1


def picture_for(view: View) -> str | None:
    """Which animation shows the next physical action (screens.pictures.KINDS)."""
    s = view.screen
    if s in TAKE_BACK:
        return TAKE_BACK[s]
    if view.end is not None or s in CAMERA_SCREENS:
        return None  # the live preview is the picture
    if s in ID_SCREENS or view.message in ("prompt.place_id_card", "prompt.place_guardian_id"):
        return "id_card"
    if s == "scan_ecard":
        return "scanner"
    if s.startswith("insert"):
        return "insert_card"
    if s.startswith("take"):
        return "take_card"
    if "digits" in view.params and "length" in view.params:
        return "pin_pad"
    if s == "photo_choice":
        return "camera"
    if "print" in s:
        return "receipt"
    if s.startswith("produc"):
        return "card_made"
    if view.busy:
        return "wait"
    return None


def paged_checklist(view: View) -> bool:
    """Elderly mode shows this view's reasons one item a page (more than a page of them)."""
    return view.screen in CHECKLIST_SCREENS and view.end is None and len(view.reasons) > ELDERLY_ROWS


def card_in_slot(view: View) -> bool:
    return view.screen in CARD_IN_SLOT_SCREENS and view.end is None


def editor_kind(field: str) -> str:
    """Which editor a form field opens: the shared keypad, the keypad with an X (an ID number), or its own."""
    if field not in KEYPAD_FIELDS:
        return field
    return "keypad_x" if KEYPAD_FIELDS[field].tokens else "keypad"


def form_fields(view: View) -> list[str]:
    return [f for f in FORM_ORDER if f"set_{f}" in view.actions]


def is_camera(view: View) -> bool:
    return view.screen in CAMERA_SCREENS and view.end is None


def extra_actions(view: View) -> list[str]:
    return [a for a in view.actions if a not in FOOTER_ACTIONS and not a.startswith("set_")]


class Panel(BoxLayout):
    """Base: a vertical box that registers its buttons with the app and sends inputs."""

    # Elderly mode: the panel needs the whole body, so the time-limit row gives way to it (the row
    # is back on the next screen; the flow's clock and its alarm keep running).
    full_body_elderly = False

    def __init__(self, app: AppPort, view: View, **kw: Any) -> None:
        kw.setdefault("orientation", "vertical")
        kw.setdefault("spacing", gap_px() / 2)
        super().__init__(**kw)
        self.app = app
        self.view = view

    def t(self, key: str, **params: object) -> str:
        return self.app.t(key, **params)

    def button(self, text: str, kid: str, on: Callable[[], None], primary: bool = False, **kw: Any) -> BigButton:
        kw.setdefault("size_hint_y", None)
        kw.setdefault("height", target_px())
        b = BigButton(text, kid, primary=primary, **kw)
        b.bind(on_release=lambda _b: on())
        self.app.register(b)
        return b

    def action(self, action: str, on: Callable[[], None], primary: bool = True, **kw: Any) -> BigButton:
        """A view's own action as a big button with its icon (screens.design.icons.ACTION_ICONS)."""
        kw.setdefault("size_hint_y", None)
        kw.setdefault("height", target_px())
        b = action_button(self.t(f"button.{action}"), action, f"button.{action}", primary=primary, **kw)
        b.bind(on_release=lambda _b: on())
        self.app.register(b)
        return b

    def send(self, action: str, value: str = "") -> None:
        self.app.send(UserInput(action, value))

    def stop(self) -> None:
        """Called when the panel leaves the screen (stop timers)."""

    def update(self, view: View) -> bool:
        """Take a newer view of the same screen in place; False asks for a rebuild."""
        return False

    def add_actions(self, actions: list[str]) -> None:
        if not actions:
            return
        cols = 1 if len(actions) == 1 else 2
        rows = (len(actions) + cols - 1) // cols
        h = target_px() * (1.35 if theme().elderly else 1.2)  # elderly: room for a label on two lines
        grid = GridLayout(cols=cols, spacing=gap_px() / 2, size_hint_y=None,
                          height=rows * h + (rows - 1) * gap_px() / 2)
        for a in actions:
            grid.add_widget(self.action(a, partial(self.send, a), height=h))
        self.add_widget(grid)


class ActionPanel(Panel):
    """A view's own actions (agree/decline, use the photo on file/take a new one …) as big buttons."""

    def __init__(self, app: AppPort, view: View, **kw: Any) -> None:
        super().__init__(app, view, **kw)
        self.add_actions(extra_actions(view))
        self.add_widget(Widget())


class EcardQrPanel(Panel):
    """E-card sign-in: the kiosk's own QR code for the citizen's app to scan (screens.ecard_qr)."""

    def __init__(self, app: AppPort, view: View, **kw: Any) -> None:
        super().__init__(app, view, **kw)
        self.add_widget(KioskQr(app, view.params.get("kiosk_qr", "")))


class TimelinePanel(Panel):
    """An application's status timeline (params ``steps``: ``status@time;…``), under its number: the one
    a text about its outcome quotes (central_sim/notices.py), to match it and to give the hotline."""

    def __init__(self, app: AppPort, view: View, **kw: Any) -> None:
        super().__init__(app, view, **kw)
        rows: list[Widget] = []
        if view.params.get("application_id"):
            rows.append(Text(self.t("timeline.number", number=view.params["application_id"]), halign="left",
                             size_hint_y=None, height=body_px() * 1.6))
        for item in filter(None, view.params.get("steps", "").split(";")):
            status, _, at = item.partition("@")
            row = Text(self.t("timeline.row", status=status, at=at[:16].replace("T", " ")),
                       halign="left", size_hint_y=None, height=body_px() * 1.6)
            rows.append(row)
        if theme().elderly:
            self.add_widget(Pager(app, rows, 3, body_px() * 1.6, "timeline"))
        else:
            for row in rows:
                self.add_widget(row)
        self.add_widget(Widget())


class ChoicePanel(Panel):
    def __init__(self, app: AppPort, view: View, **kw: Any) -> None:
        super().__init__(app, view, **kw)
        statuses = dict(item.partition("=")[::2] for item in view.params.get("statuses", "").split(";") if item)
        buttons: list[Widget] = []
        for value, label in view.choices:
            text = self.t(label, **view.choice_params(value))
            if value in statuses:
                text += f" · {self.t('app_status.' + statuses[value])}"
            buttons.append(self.button(text, f"choice.{value}", partial(self.send, "choose", value), primary=True))
        if theme().elderly:  # one choice per row, two rows a page: a long label may wrap once
            self.add_widget(Pager(app, buttons, ELDERLY_ROWS, target_px() * 1.35, "choice"))
        else:
            cols = 1 if len(view.choices) <= 2 else 2
            rows = (len(view.choices) + cols - 1) // cols
            grid = GridLayout(cols=cols, spacing=gap_px() / 2, size_hint_y=None,
                              height=rows * target_px() + (rows - 1) * gap_px() / 2)
            for b in buttons:
                grid.add_widget(b)
            self.add_widget(grid)
        self.add_actions(extra_actions(view))
        self.add_widget(Widget())


class ListPanel(Panel):
    """Choices shown for information (e.g. the card a loss report will freeze)."""

    def __init__(self, app: AppPort, view: View, **kw: Any) -> None:
        super().__init__(app, view, **kw)
        for value, label in view.choices:
            line = Text(self.t(label, **view.choice_params(value)), bold=True, color=BRAND, size_hint_y=None,
                        height=target_px())
            self.add_widget(fit_height(line, target_px()) if theme().elderly else line)
        self.add_widget(Widget())


class PinPanel(Panel):
    """The digit count from the PIN pad as dots; an on-screen pad only in the weaker mode."""

    def __init__(self, app: AppPort, view: View, **kw: Any) -> None:
        super().__init__(app, view, **kw)
        press = app.pin_key  # None: a hardware pad takes the PIN, this screen only counts digits
        self.onscreen = press is not None
        elderly = theme().elderly
        self.dots = fit_height(Text(self._dots(view), scale=1.0 if elderly and self.onscreen else 1.8, bold=True,
                                    color=BRAND), target_px())
        self.dots.kiosk_id = "pin.dots"
        app.register(self.dots)
        if press is not None and elderly:
            self._elderly_keys(press)
            return
        self.add_widget(self.dots)
        if press is not None:
            grid = GridLayout(cols=3, spacing=gap_px() / 2, size_hint_y=None,
                              height=4 * target_px() + 3 * gap_px() / 2)
            # Keys go to the on-screen pad (kiosk.ui_feeds); the digits never pass through a View.
            for key in [*"123456789", "backspace", "0", "enter"]:
                label = {"backspace": self.t("keypad.back"), "enter": self.t("button.confirm")}.get(key, key)
                grid.add_widget(self.button(label, f"pin.key.{key}", partial(press, key),
                                            primary=key.isdigit()))
            self.add_widget(grid)
        else:
            hint = Text(self.t("pin.use_pad"), color=MUTED)
            self.add_widget(fit_height(hint) if theme().elderly else hint)
        self.add_widget(Widget())

    def _elderly_keys(self, press: Callable[[str], None]) -> None:
        """Elderly mode, on-screen pad: 4 wide keys a row, 3 rows of the 80 px minimum height (a
        two-line message and a reason line above still fit at 1280x800), the digit count beside
        them; the screen shows no picture of a hardware pad."""
        key_h = MIN_TARGET_PX
        grid = GridLayout(cols=4, spacing=gap_px() / 4, size_hint_x=0.72, size_hint_y=None,
                          height=3 * key_h + gap_px() / 2)
        for key in [*"1234567890", "backspace", "enter"]:
            label = {"backspace": self.t("keypad.back"), "enter": self.t("button.confirm")}.get(key, key)
            grid.add_widget(self.button(label, f"pin.key.{key}", partial(press, key), primary=key.isdigit(),
                                        height=key_h))
        row = BoxLayout(spacing=gap_px(), size_hint_y=None, height=grid.height)
        row.add_widget(grid)
        side = BoxLayout(orientation="vertical", size_hint_x=0.28)
        side.add_widget(self.dots)
        side.add_widget(Widget())
        row.add_widget(side)
        self.add_widget(row)  # no filler below: its spacing is needed when a reason line shows

    @staticmethod
    def _dots(view: View) -> str:
        length = int(view.params.get("length", "6") or 6)
        digits = int(view.params.get("digits", "0") or 0)
        return " ".join("●" if i < digits else "○" for i in range(length))

    def update(self, view: View) -> bool:
        self.view = view
        self.dots.set(self._dots(view))
        return True


class FormPanel(Panel):
    """The details form: one big button per field showing its masked value; a tap opens its editor.

    The form's buttons and each editor are built once and reused when the flow re-shows the
    form with a new value: rebuilding ~30 widgets per key field was a visible stall.
    """

    def __init__(self, app: AppPort, view: View, on_editor: Callable[[bool], None] = lambda _shown: None,
                 **kw: Any) -> None:
        super().__init__(app, view, **kw)
        self.on_editor = on_editor  # the flow screen: True when an editor opens, False when it closes
        self.fields = form_fields(view)
        self.editing: str | None = None
        self.editors: dict[str, tuple[Widget, list[Widget], Callable[[], None]]] = {}
        rows = (len(self.fields) + 1) // 2
        elderly = theme().elderly
        h = target_px() * (1.4 if elderly else 1.1)  # a field's name and its value: two lines
        self.field_buttons: dict[str, BigButton] = {}
        for f in self.fields:
            self.field_buttons[f] = self.button("", f"form.edit.{f}", partial(self.edit, f), height=h, raw=True)
        self.grid: Widget
        if elderly:  # one field per row, two a page
            self.grid = Pager(app, list(self.field_buttons.values()), ELDERLY_ROWS, h, "form")
        else:
            self.grid = GridLayout(cols=2, spacing=gap_px() / 2, size_hint_y=None,
                                   height=rows * h + (rows - 1) * gap_px() / 2)
            for b in self.field_buttons.values():
                self.grid.add_widget(b)
        self.filler = Widget()
        self.reviewing = False
        self.keypad_field = ""
        self.show_form()
        # Build the editors in the frames after the form is up, one per frame, so that a tap
        # on a field opens its editor at once and no single frame carries all the work.
        kinds = list(dict.fromkeys(editor_kind(f) for f in self.fields))
        self._pending = [k for k in kinds if k not in ("insurance", "occupation")]
        Clock.schedule_once(self._build_next, 0.1)

    def _build_next(self, _dt: float) -> None:
        if not self._pending or self.parent is None:
            return
        kind = self._pending.pop(0)
        if kind not in self.editors:
            editor = self._build_editor(kind)
            self.editors[kind] = editor
            if self.editing is not None:  # an editor is on screen: its shared ids must stay its own
                for w in self.editors[editor_kind(self.editing)][1]:
                    self.app.register(w)
        Clock.schedule_once(self._build_next, 0.05)

    def field_given(self, field: str) -> bool:
        return bool(self.view.params.get(FIELD_PARAM.get(field, field), ""))

    def value_of(self, field: str) -> str:
        raw = self.view.params.get(FIELD_PARAM.get(field, field), "")
        if field == "insurance" and raw:
            return self.t(f"insurance.{raw}")
        return raw or self.t("form.empty")

    def update(self, view: View) -> bool:
        if form_fields(view) != self.fields:
            return False
        self.view = view
        self.show_form()
        return True

    def field_error(self, field: str) -> str:
        return next((r for r in self.view.reasons if r in FIELD_REASONS.get(field, ())), "")

    def show_form(self) -> None:
        """The fields in their (numbered) order; a field the flow found wrong says why on itself
        and carries the focus outline: the citizen starts there."""
        self.editing = None
        self.reviewing = False
        self.on_editor(False)
        self.clear_widgets()
        first_error = next((f for f in self.fields if self.field_error(f)), "")
        for i, (f, b) in enumerate(self.field_buttons.items(), start=1):
            name = markup(f"{i}. {self.t(f'form.{f}')}")
            error = self.field_error(f)
            if error:
                hex_colour = "".join(f"{int(c * 255):02x}" for c in colour(ACCENT)[:3])
                b.text = (f"{name}  [b]{markup(self.value_of(f))}[/b]\n"
                          f"[color={hex_colour}]{icon('error')} {markup(self.t(error))}[/color]")
            else:
                b.text = f"{name}\n[b]{markup(self.value_of(f))}[/b]"
            outline(b, f == first_error)
            self.app.register(b)
        self.add_widget(self.grid)
        self.add_widget(self.filler)

    def review(self) -> None:
        """Check your answers: every field and its value, each with a 修改 link back to the field;
        the footer's 确认 then submits."""
        self.editing = None
        self.reviewing = True
        self.on_editor(False)
        self.clear_widgets()
        title = Text(self.t("review.title"), bold=True, color=BRAND, halign="left", size_hint_y=None,
                     height=body_px() * 1.6)
        title.kiosk_id = "review.title"
        self.app.register(title)
        self.add_widget(title)
        rows = [(f, self.t(f"form.{f}"), self.value_of(f) if self.field_given(f) else self.t("review.empty"))
                for f in self.fields]
        elderly = theme().elderly
        summary = SummaryList(rows, self.t("summary.edit"), self.edit, cols=1 if elderly else 2)
        for w in (*summary.labels(), *summary.edit_buttons.values()):
            self.app.register(w)
        if elderly:  # 1.5x rows: two a page, turned with big buttons
            lines = list(summary.rows_shown)
            summary.clear_widgets()
            self.add_widget(Pager(self.app, lines, ELDERLY_ROWS, lines[0].height if lines else target_px(), "review"))
        else:
            self.add_widget(summary)
        self.add_widget(Widget())

    def edit(self, field: str) -> None:
        self.reviewing = False
        self.editing = field
        self.clear_widgets()
        self.on_editor(True)
        kind = editor_kind(field)
        if kind not in self.editors:
            self.editors[kind] = self._build_editor(kind)
        editor, registered, reset = self.editors[kind]
        self.keypad_field = field
        reset()
        for w in registered:  # ids like key.1 are shared by editors: point them at this one
            self.app.register(w)
        self.add_widget(editor)

    def _build_editor(self, field: str) -> tuple[Widget, list[Widget], Callable[[], None]]:
        registered: list[Widget] = []
        real_register = self.app.register

        def register(w: Widget) -> None:
            registered.append(w)
            real_register(w)

        box = BoxLayout(orientation="vertical", spacing=gap_px() / 2)
        prompt = Text(self.t(f"form.enter.{field}"), color=BRAND, bold=True, size_hint_y=None,
                      height=body_px() * 1.6)
        elderly = theme().elderly
        if elderly:
            fit_height(prompt, body_px() * 1.6)
        # The keypad editor shows its prompt beside the keys; in elderly mode the address picker's
        # own path line says where the citizen is (its larger keys need the prompt's room).
        if field not in ("keypad", "keypad_x") and not (elderly and field == "address"):
            box.add_widget(prompt)

        def button(text: str, kid: str, on: Callable[[], None], primary: bool = False) -> BigButton:
            # form.close / form.save are actions: their icon; an option of a choice is not
            action = kid.removeprefix("form.")
            b: BigButton = (action_button(text, action, kid, primary=primary, size_hint_y=None, height=target_px())
                            if action in ("close", "save") else
                            BigButton(text, kid, primary=primary, size_hint_y=None, height=target_px()))
            b.bind(on_release=lambda _b: on())
            register(b)
            return b

        reset: Callable[[], None] = lambda: None  # noqa: E731
        if field in ("keypad", "keypad_x"):  # one keypad serves every numeric field; reset() sets it up for it
            row = BoxLayout(spacing=gap_px())
            pad = NumericKeypad(register, 12, label=self.t, size_hint_x=0.55, own_display=False,
                                tokens=("X",) if field == "keypad_x" else ())
            row.add_widget(pad)
            side = BoxLayout(orientation="vertical", spacing=gap_px() / 2, size_hint_x=0.45)
            side.add_widget(prompt)
            side.add_widget(pad.display)
            if not elderly:  # elderly: a prompt on two lines needs the filler's spacing
                side.add_widget(Widget())
            side.add_widget(button(self.t("form.close"), "form.close", self.show_form))
            side.add_widget(button(self.t("form.save"), "form.save",
                                   lambda: self.send(f"set_{self.keypad_field}", pad.value), primary=True))
            row.add_widget(side)
            box.add_widget(row)

            def reset_keypad() -> None:
                spec = KEYPAD_FIELDS[self.keypad_field]
                prompt.set(self.t(f"form.enter.{self.keypad_field}"))
                pad.max_len, pad.groups = spec.length, spec.groups
                pad.press("clear")

            reset = reset_keypad
        elif field == "address":
            picker = AddressPicker(register, self.t, lambda v: self.send("set_address", v))
            box.add_widget(picker)
            reset = picker.reset
        else:
            options = CHOICE_FIELDS.get(field, ())
            # Elderly mode: all options on one screen still, three a row, or two taller ones.
            cols = (2 if len(options) <= 2 else 3) if elderly else 2
            option_h = target_px() * (1.35 if elderly and cols == 2 else 1)
            grid = GridLayout(cols=cols, spacing=gap_px() / 2, size_hint_y=None,
                              height=((len(options) + cols - 1) // cols) * (option_h + gap_px() / 2))
            for opt in options:
                label = self.t(f"insurance.{opt}") if field == "insurance" else self.t(f"occupation.{opt}")
                b = button(label, f"form.option.{opt}", partial(self.send, f"set_{field}", opt), primary=True)
                b.height = option_h
                grid.add_widget(b)
            box.add_widget(grid)
            box.add_widget(button(self.t("form.close"), "form.close", self.show_form))
            box.add_widget(Widget())
        return box, registered, reset


class CameraPanel(Panel):
    """Live preview, face guide and the photo checks' instruction; retake after capture."""

    def __init__(self, app: AppPort, view: View, **kw: Any) -> None:
        super().__init__(app, view, **kw)
        row = BoxLayout(spacing=gap_px())
        self.preview = CameraPreview(app.preview_frames, size_hint_x=0.58)
        self.preview.kiosk_id = "camera.preview"
        app.register(self.preview)
        row.add_widget(self.preview)
        side = BoxLayout(orientation="vertical", spacing=gap_px() / 2, size_hint_x=0.42)
        self.steady = Text("", color=MUTED, size_hint_y=None, height=target_px())
        self.steady.kiosk_id = "camera.steady"
        app.register(self.steady)
        side.add_widget(self.steady)
        side.add_widget(Widget())
        for action in extra_actions(view):
            side.add_widget(self.action(action, partial(self.send, action)))
        row.add_widget(side)
        self.add_widget(row)
        self.update(view)

    def update(self, view: View) -> bool:
        if extra_actions(view) != extra_actions(self.view):
            return False
        self.view = view
        hint = view.params.get("hint", "")
        self.preview.set_good(hint in ("ok", "capturing", "captured", "liveness_passed")
                              or view.screen in ("photo_confirm", "document_preview"))
        # the captured frame stays on screen
        self.preview.frozen = view.screen in ("photo_confirm", "document_preview")
        self.preview.document = view.screen.startswith("document_")  # the platen: no mirror, no face guide
        steady, needed = view.params.get("steady", ""), view.params.get("needed", "")
        self.steady.set(self.t("photo.steady", steady=steady, needed=needed) if steady and needed else "")
        return True

    def stop(self) -> None:
        self.preview.stop()


def panel_for(app: AppPort, view: View, on_editor: Callable[[bool], None] = lambda _shown: None) -> Panel | None:
    """``on_editor``: told when a details-form field editor opens (True) or closes (False)."""
    if view.end is not None:
        return None
    if is_camera(view):
        return CameraPanel(app, view)
    if view.screen == "scan_ecard":
        return EcardQrPanel(app, view)
    if form_fields(view):
        return FormPanel(app, view, on_editor)
    if "digits" in view.params and "length" in view.params:
        return PinPanel(app, view)
    if "choose" in view.actions and view.choices:
        return ChoicePanel(app, view)
    if view.screen == "timeline":
        return TimelinePanel(app, view)
    if view.choices:
        return ListPanel(app, view)
    if extra_actions(view):
        return ActionPanel(app, view)
    return None
