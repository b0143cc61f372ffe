"""The details form's choices (kiosk.domain.choices) agree with the checks the flow applies."""

from __future__ import annotations

from kiosk.domain.choices import CHOICE_FIELDS, DEFAULT_OCCUPATION, INSURANCE_TYPES, KEYPAD_FIELDS, OCCUPATIONS
from kiosk.domain.contact import mobile_ok, phone_ok, postal_code_ok
from kiosk.domain.idnumber import is_valid_id_number
from kiosk.flows.details import Details, problems


def test_each_keypad_holds_exactly_the_longest_valid_value() -> None:
    longest = {"mobile": "13912345678", "postal_code": "350001", "phone": "059187654321",
               "child_id_number": "35010220200101007X"}  # issue 21 §3: its X is the keypad's token
    checks = {"mobile": mobile_ok, "postal_code": postal_code_ok, "phone": phone_ok,
              "child_id_number": is_valid_id_number}
    assert set(KEYPAD_FIELDS) == set(longest)
    for field, value in longest.items():
        assert checks[field](value), field
        assert len(value) == KEYPAD_FIELDS[field].length, field
        groups = KEYPAD_FIELDS[field].groups
        assert not groups or sum(groups) == KEYPAD_FIELDS[field].length, field
        assert set(value) <= set("0123456789") | set(KEYPAD_FIELDS[field].tokens), field


def test_every_insurance_type_offered_passes_the_form_and_nothing_else_does() -> None:
    required = frozenset({"medical_insurance"})
    assert CHOICE_FIELDS["insurance"] == INSURANCE_TYPES
    for kind in INSURANCE_TYPES:
        assert problems(Details(medical_insurance=kind), required) == ()
    assert problems(Details(medical_insurance="none"), required) == ("reason.invalid_medical_insurance",)


def test_the_default_occupation_is_one_offered() -> None:
    assert CHOICE_FIELDS["occupation"] == OCCUPATIONS and DEFAULT_OCCUPATION in OCCUPATIONS
    assert Details().occupation == DEFAULT_OCCUPATION
