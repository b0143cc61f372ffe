"""The one way to draw an icon: :func:`icon` gives Kivy markup for a Material Icons glyph
(Google's icon font, Debian's fonts-material-design-icons-iconfont). Every service tile and
every action button carries one; tests/ui/test_design_system.py checks each name used here
maps to a glyph the font really has."""

from __future__ import annotations

from kiosk.fonts import ICON_FONT

# name → code point (the font's own ligature names; values from its codepoints table)
ICONS: dict[str, int] = {
    # services
    "add_card": 0xEB86, "autorenew": 0xE863, "report_off": 0xE170, "lock_open": 0xE898,
    "verified_user": 0xE8E8, "password": 0xF042, "lock_reset": 0xEADE, "contact_phone": 0xE0CF,
    "manage_search": 0xF02F, "qr_code_scanner": 0xF206, "qr_code_2": 0xE00A,
    # frame and actions
    "badge": 0xEA67, "credit_card": 0xE870, "location_on": 0xE0C8, "schedule": 0xE8B5, "call": 0xE0B0,
    "support_agent": 0xF0E2, "arrow_back": 0xE5C4, "home": 0xE88A, "close": 0xE5CD, "check": 0xE5CA,
    "check_circle": 0xE86C, "cancel": 0xE5C9, "error": 0xE000, "warning": 0xE002, "info": 0xE88E,
    "hourglass_top": 0xEA5B, "pending": 0xEF64, "volume_up": 0xE050, "translate": 0xE8E2,
    "elderly": 0xF21A, "chevron_left": 0xE5CB, "chevron_right": 0xE5CC, "edit": 0xE3C9,
    "receipt_long": 0xEF6E, "photo_camera": 0xE412, "face": 0xE87C, "dialpad": 0xE0BC, "timer": 0xE425,
    "print": 0xE8AD, "person": 0xE7FD, "fact_check": 0xF0C5, "restart_alt": 0xF053, "people": 0xE7FB,
}

# every action button's icon (the footer's and a view's own actions); unknown actions get "chevron_right"
ACTION_ICONS: dict[str, str] = {
    "back": "arrow_back", "cancel": "close", "home": "home", "confirm": "check", "more_time": "timer",
    "repeat": "volume_up", "language": "translate", "elderly": "elderly", "prev": "chevron_left",
    "next": "chevron_right", "edit": "edit", "retake": "photo_camera", "take_new": "photo_camera",
    "use_on_file": "face", "agree": "check", "accept": "check", "decline": "close", "retry": "restart_alt",
    "continue": "chevron_right", "change_pin": "password", "skip": "chevron_right", "save": "check",
    "close": "close", "choose": "chevron_right",
}


def glyph(name: str) -> str:
    return chr(ICONS[name])


def icon(name: str, size: float | None = None) -> str:
    """Markup drawing the icon ``name`` (inside any markup label or button; ``size`` in px)."""
    text = f"[font={ICON_FONT}]{glyph(name)}[/font]"
    return f"[size={int(size)}]{text}[/size]" if size else text


def action_icon(action: str) -> str:
    return ACTION_ICONS.get(action, "chevron_right")
