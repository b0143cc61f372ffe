"""What a HID keyboard-wedge scanner types, and how its key events become a code: the US layout
that scanners default to, every keycode of it, in one table (the uinput emulator types with it too).

Only key-down events count (1); autorepeat (2) never comes from a scanner. A key outside the table
(a CJK code sent as Alt+numpad, a function key) makes the line unreadable rather than a wrong code.
"""

from __future__ import annotations

from evdev import InputEvent, ecodes

from hal.scanner.types import MAX_CODE_CHARS, Scan, ScanOutcome, checked_text

EV_KEY = ecodes.EV_KEY
KEY_DOWN, KEY_UP = 1, 0
SHIFTS = frozenset({ecodes.KEY_LEFTSHIFT, ecodes.KEY_RIGHTSHIFT})
TERMINATORS = frozenset({ecodes.KEY_ENTER, ecodes.KEY_KPENTER})  # the scanner's suffix, CR
IGNORED = frozenset({ecodes.KEY_LEFTCTRL, ecodes.KEY_RIGHTCTRL, ecodes.KEY_LEFTALT, ecodes.KEY_RIGHTALT,
                     ecodes.KEY_CAPSLOCK, ecodes.KEY_NUMLOCK})

# keycode -> (unshifted, shifted)
KEYMAP: dict[int, tuple[str, str]] = {
    **{getattr(ecodes, f"KEY_{c.upper()}"): (c, c.upper()) for c in "abcdefghijklmnopqrstuvwxyz"},
    **{getattr(ecodes, f"KEY_{d}"): (d, s) for d, s in zip("1234567890", "!@#$%^&*()", strict=True)},
    ecodes.KEY_SPACE: (" ", " "),
    ecodes.KEY_MINUS: ("-", "_"),
    ecodes.KEY_EQUAL: ("=", "+"),
    ecodes.KEY_LEFTBRACE: ("[", "{"),
    ecodes.KEY_RIGHTBRACE: ("]", "}"),
    ecodes.KEY_BACKSLASH: ("\\", "|"),
    ecodes.KEY_SEMICOLON: (";", ":"),
    ecodes.KEY_APOSTROPHE: ("'", '"'),
    ecodes.KEY_GRAVE: ("`", "~"),
    ecodes.KEY_COMMA: (",", "<"),
    ecodes.KEY_DOT: (".", ">"),
    ecodes.KEY_SLASH: ("/", "?"),
}
# text -> (keycode, shifted): what the emulator presses to type a character
KEYS_FOR: dict[str, tuple[int, bool]] = {}
for _code, (_plain, _shifted) in KEYMAP.items():
    KEYS_FOR.setdefault(_plain, (_code, False))
    KEYS_FOR.setdefault(_shifted, (_code, True))


class WedgeDecoder:
    """Feed it every input event; it returns a Scan when the terminator key goes down."""

    def __init__(self, max_gap_s: float = 0.5) -> None:
        self.max_gap_s = max_gap_s  # a scanner types fast; a longer pause means a stray human key press
        self._chars: list[str] = []
        self._bad = False
        self._shift: set[int] = set()
        self._last_at = 0.0

    def reset(self) -> None:
        self._chars, self._bad = [], False

    def feed(self, event: InputEvent) -> Scan | None:
        if event.type != EV_KEY:
            return None
        code, value = event.code, event.value
        if code in SHIFTS:
            (self._shift.add if value != KEY_UP else self._shift.discard)(code)
            return None
        if value != KEY_DOWN or code in IGNORED:
            return None
        at = event.timestamp()
        if (self._chars or self._bad) and at - self._last_at > self.max_gap_s:
            self.reset()
        self._last_at = at
        if code in TERMINATORS:
            chars, bad = self._chars, self._bad
            self.reset()
            if bad or len(chars) > MAX_CODE_CHARS:
                return Scan(ScanOutcome.UNREADABLE)
            return checked_text("".join(chars)) if chars else None
        keys = KEYMAP.get(code)
        if keys is None:
            self._bad = True
        else:
            self._chars.append(keys[1] if self._shift else keys[0])
        return None


def key_strokes(text: str) -> list[tuple[int, int]]:
    """(keycode, value) events that type ``text`` + CR the way a scanner does."""
    out: list[tuple[int, int]] = []
    for ch in text:
        found = KEYS_FOR.get(ch)
        if found is None:
            raise ValueError(f"a US-layout wedge cannot type {ch!r}")
        code, shifted = found
        if shifted:
            out.append((ecodes.KEY_LEFTSHIFT, KEY_DOWN))
        out += [(code, KEY_DOWN), (code, KEY_UP)]
        if shifted:
            out.append((ecodes.KEY_LEFTSHIFT, KEY_UP))
    return [*out, (ecodes.KEY_ENTER, KEY_DOWN), (ecodes.KEY_ENTER, KEY_UP)]
