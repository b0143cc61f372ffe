"""Where each device sits on this kiosk, relative to the screen: the one rule behind the
direction words in the instructions ("屏幕下方" / "below the screen") and the direction of the
action pictures (screens/pictures.py).

The positions come from the ``[layout]`` section of the kiosk's config (kiosk/config.py validates
them against ``POSITIONS``). A string names a device's place with a ``{where_<device>}``
placeholder, e.g. ``"请将身份证放在{where_id_reader}的身份证感应区"``; :func:`where_params` gives the
position codes for the placeholders a text uses, and the string tables turn a code into words
through the ``where.<position>`` keys (kiosk/strings.py ``LABELLED_PARAMS``; the voice speaks the
same keys' clips).
"""

from __future__ import annotations

import math
import string
import typing
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, fields

Position = typing.Literal["below", "above", "left", "right", "below_left", "below_right", "above_left",
                          "above_right"]
POSITIONS: tuple[str, ...] = typing.get_args(Position)
PARAM_PREFIX = "where_"  # {where_id_reader}, {where_card_slot}, ...
WORDS_PREFIX = "where."  # the string keys of the words: where.below, where.below_right, ...

# The way from the screen's centre to each position, as a unit vector (x right, y up).
_VECTORS: dict[str, tuple[float, float]] = {
    "below": (0.0, -1.0), "above": (0.0, 1.0), "left": (-1.0, 0.0), "right": (1.0, 0.0),
    "below_left": (-math.sqrt(0.5), -math.sqrt(0.5)), "below_right": (math.sqrt(0.5), -math.sqrt(0.5)),
    "above_left": (-math.sqrt(0.5), math.sqrt(0.5)), "above_right": (math.sqrt(0.5), math.sqrt(0.5)),
}


@dataclass(frozen=True)
class LayoutSection:
    """``[layout]``: each device's place relative to the screen, as the cabinet is built."""

    id_reader: Position = "below"  # the ID card's reading pad (身份证感应区)
    card_slot: Position = "below"  # the card reader's slot, where a citizen inserts a card
    card_output: Position = "below"  # the issuer's output slot, where a new card comes out
    receipt_slot: Position = "below"  # the receipt printer's slot
    camera: Position = "above"  # the face camera
    pin_pad: Position = "below"  # the hardware PIN pad
    scanner: Position = "below"  # the QR scanner (e-card sign-in)
    document_camera: Position = "below"  # 高拍仪: the platen under the document camera

    def position(self, device: str) -> str:
        if device not in DEVICES:
            raise KeyError(device)
        value: str = getattr(self, device)
        return value


DEVICES: tuple[str, ...] = tuple(f.name for f in fields(LayoutSection))

# Which device each action picture (screens/pictures.py KINDS) shows the citizen.
PICTURE_DEVICE: dict[str, str] = {
    "id_card": "id_reader", "take_id_card": "id_reader", "insert_card": "card_slot", "take_card": "card_output",
    "camera": "camera", "pin_pad": "pin_pad", "receipt": "receipt_slot", "scanner": "scanner",
}


def vector(position: str) -> tuple[float, float]:
    """The unit vector from the screen towards ``position``."""
    return _VECTORS[position]


def angle(position: str) -> float:
    """``position``'s direction in degrees, counter-clockwise from "right"."""
    x, y = _VECTORS[position]
    return math.degrees(math.atan2(y, x))


# Screens whose picture shows another device than its kind's: the citizen's own card comes back
# out of the reader's slot, drawn like a new card out of the issuer.
SCREEN_DEVICE: dict[str, str] = {"take_sscard": "card_slot"}


def picture_position(layout: LayoutSection, kind: str, screen: str = "") -> str | None:
    """Where the device of an action picture sits; None for a picture of no device (wait, card made)."""
    device = SCREEN_DEVICE.get(screen) or PICTURE_DEVICE.get(kind)
    return layout.position(device) if device else None


def placeholders(templates: Iterable[str]) -> set[str]:
    """The ``{where_<device>}`` placeholders used by ``templates``."""
    out: set[str] = set()
    for text in templates:
        try:
            names = [name for _lit, name, _spec, _conv in string.Formatter().parse(text) if name]
        except ValueError:  # a stray brace: no placeholders to fill
            continue
        out.update(n for n in names if n.startswith(PARAM_PREFIX) and n[len(PARAM_PREFIX):] in DEVICES)
    return out


def where_params(layout: LayoutSection, templates: Iterable[str] | None = None,
                 given: Mapping[str, str] | None = None) -> dict[str, str]:
    """The position codes for the ``{where_<device>}`` placeholders in ``templates`` (every device's
    when ``templates`` is None), leaving out any already in ``given``."""
    names = placeholders(templates) if templates is not None else {PARAM_PREFIX + d for d in DEVICES}
    return {n: layout.position(n[len(PARAM_PREFIX):]) for n in sorted(names) if n not in (given or {})}
