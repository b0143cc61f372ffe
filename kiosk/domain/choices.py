"""What the details form offers: the medical insurance types, the occupations, and how long each
numeric field may be. The form's flow (kiosk.flows.details) checks against these; the screens
only render them as buttons and keypads.
"""

from __future__ import annotations

from dataclasses import dataclass

INSURANCE_TYPES: tuple[str, ...] = ("employee", "resident")
OCCUPATIONS: tuple[str, ...] = ("职工", "农民", "学生", "离退休人员", "其他")
DEFAULT_OCCUPATION = "其他"


@dataclass(frozen=True)
class KeypadField:
    """A numeric field typed on the keypad: at most ``length`` digits, shown in ``groups``."""

    length: int
    groups: tuple[int, ...] = ()
    tokens: tuple[str, ...] = ()  # keys beside the digits (an ID number's check character X)


# The lengths match kiosk.domain.contact's checks: an 11-digit mobile, a 6-digit postal code,
# and a fixed phone of area code + number typed without the dash (at most 4 + 8 digits).
KEYPAD_FIELDS: dict[str, KeypadField] = {
    "mobile": KeypadField(11, (3, 4, 4)),
    "postal_code": KeypadField(6),
    "phone": KeypadField(12, (4, 8)),
    # issue 21 §3: the child's number from the 户口簿 (kiosk.flows.child_without_id): region, birth date, rest
    "child_id_number": KeypadField(18, (6, 8, 4), ("X",)),
}
# Fields chosen from a fixed list: the form action's name → its options.
CHOICE_FIELDS: dict[str, tuple[str, ...]] = {"insurance": INSURANCE_TYPES, "occupation": OCCUPATIONS}
