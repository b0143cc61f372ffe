"""The device layout's rules (kiosk/domain/device_layout.py) without Kivy: which devices it knows,
which placeholders it fills, and the pictures that show no device (make mutation runs these)."""

from __future__ import annotations

import dataclasses

import pytest

from kiosk.domain.device_layout import (
    DEVICES,
    PARAM_PREFIX,
    LayoutSection,
    picture_position,
    placeholders,
    where_params,
)


def test_only_devices_have_a_position() -> None:
    layout = LayoutSection()
    assert layout.position("camera") == "above"
    for name in ("position", "nonexistent", ""):
        with pytest.raises(KeyError):
            layout.position(name)


def test_a_picture_of_no_device_has_no_position_and_a_screen_may_name_its_own_device() -> None:
    layout = dataclasses.replace(LayoutSection(), card_slot="right", card_output="left")
    assert picture_position(layout, "wait") is None
    assert picture_position(layout, "take_card") == "left"
    assert picture_position(layout, "take_card", screen="take_sscard") == "right"


def test_only_where_device_placeholders_are_filled() -> None:
    text = "{where_camera} {where_bogus} {mobile} {abcdefcamera} {where_id_reader}"
    assert placeholders([text, "a stray { brace"]) == {"where_camera", "where_id_reader"}


def test_every_device_is_filled_when_no_template_is_named_and_given_values_are_kept() -> None:
    layout = dataclasses.replace(LayoutSection(), pin_pad="below_right")
    every = where_params(layout)
    assert set(every) == {PARAM_PREFIX + d for d in DEVICES} and every["where_pin_pad"] == "below_right"
    assert "where_camera" not in where_params(layout, given={"where_camera": "left"})
    assert where_params(layout, ["{where_pin_pad}"]) == {"where_pin_pad": "below_right"}
