"""Issue 19: the direction words of the instructions and the direction of the action pictures
come from the cabinet's configured layout ([layout], kiosk/domain/device_layout.py), not from
the string tables; a wrong layout value is refused when the config is loaded."""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import pytest

from kiosk.config import Config, ConfigError, load_config
from kiosk.domain.device_layout import POSITIONS, vector
from kiosk.domain.services import ServiceId
from kiosk.flows.base import FlowChannel, View, placed
from kiosk.strings import t
from kiosk.voice.catalogue import view_stems

BELOW = '[layout]\nid_reader = "below"\ncard_slot = "below"\npin_pad = "below"\ncard_output = "below"\n'
SIDE = '[layout]\nid_reader = "right"\ncard_slot = "below_right"\npin_pad = "left"\ncard_output = "above"\n'


def config(tmp_path: Path, text: str, name: str = "kiosk.toml") -> Config:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return load_config(path)


def shown(cfg: Config, message: str) -> View:
    """``message`` as a flow shows it on a kiosk configured with ``cfg`` (the channel fills the places)."""
    got: list[View] = []
    channel = FlowChannel(got.append)
    channel.layout = cfg.layout
    channel.show(View(service=ServiceId.ACTIVATE, screen="read_id", step=1, total=4, title="service.activate",
                      message=message))
    return got[-1]


@pytest.mark.parametrize(("message", "below", "side"), [
    ("prompt.place_id_card", ("屏幕下方", "below the screen"), ("屏幕右侧", "to the right of the screen")),
    ("prompt.insert_card", ("屏幕下方", "below the screen"), ("屏幕右下方", "below the screen, on the right")),
    ("pin.use_pad", ("屏幕下方", "below the screen"), ("屏幕左侧", "to the left of the screen")),
    ("prompt.take_card", ("屏幕下方", "below the screen"), ("屏幕上方", "above the screen")),
])
def test_two_layouts_give_their_own_direction_words_in_both_languages(
        tmp_path: Path, message: str, below: tuple[str, str], side: tuple[str, str]) -> None:
    for text, words in ((BELOW, below), (SIDE, side)):
        view = shown(config(tmp_path, text), message)
        for lang, word in zip(("zh", "en"), words, strict=True):
            said = t(lang, view.message, **dict(view.params))
            assert word in said, (lang, said)
            assert "{" not in said
            others = [w for w in (below + side) if w not in words and w not in word]
            assert not any(o in said for o in others), (said, others)


def test_the_strings_carry_no_direction_word_of_their_own() -> None:
    for key in ("prompt.place_id_card", "prompt.insert_card", "pin.use_pad", "prompt.scan_ecard",
                "prompt.take_card", "prompt.take_sscard"):
        for lang, words in (("zh", ("下方", "右侧", "左侧", "上方")), ("en", ("below", "right", "left", "above"))):
            from kiosk.strings import template

            assert not any(w in template(lang, key) for w in words), (lang, key)


def test_the_voice_speaks_the_configured_place(tmp_path: Path) -> None:
    right = shown(config(tmp_path, SIDE), "prompt.place_id_card")
    below = shown(config(tmp_path, BELOW), "prompt.place_id_card")
    assert "zh.where.right" in view_stems(right, "zh") and "zh.where.right" not in view_stems(below, "zh")
    assert "en.where.below" in view_stems(below, "en")


def test_a_view_keeps_a_place_the_flow_set_itself_and_others_are_untouched() -> None:
    cfg = Config()
    view = View(service=ServiceId.ACTIVATE, screen="x", step=1, total=1, title="t", message="prompt.looking_up")
    assert placed(view, cfg.layout) is view
    own = View(service=ServiceId.ACTIVATE, screen="x", step=1, total=1, title="t", message="prompt.insert_card",
               params={"where_card_slot": "left"})
    assert placed(own, cfg.layout).params["where_card_slot"] == "left"


@pytest.mark.parametrize("bad", ['"under"', '"BELOW"', "3", '""'])
def test_a_bad_layout_value_is_refused_naming_the_key_and_the_allowed_places(tmp_path: Path, bad: str) -> None:
    with pytest.raises(ConfigError) as err:
        config(tmp_path, f"[layout]\ncard_slot = {bad}\n")
    assert err.value.key == "layout.card_slot"
    assert "below_right" in err.value.problem and "above" in err.value.problem


def test_an_unknown_device_in_the_layout_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ConfigError) as err:
        config(tmp_path, '[layout]\nprinter = "below"\n')
    assert err.value.key == "layout.printer"


def test_every_position_has_words_in_both_languages() -> None:
    for pos in POSITIONS:
        for lang in ("zh", "en"):
            assert t(lang, f"where.{pos}") != f"where.{pos}"


# ---- the pictures ----------------------------------------------------------------------------------
def _device_direction(pic: Any, colour: tuple[float, ...]) -> tuple[float, float]:
    """Where the first shape drawn in ``colour`` lands, from the widget's centre, after the
    canvas's own Rotate/Scale instructions: read from the drawn instructions, not from pixels."""
    from kivy.graphics import Color, PopMatrix, PushMatrix, Rotate, Scale

    stack: list[list[tuple[str, Any]]] = [[]]
    colour_now: tuple[float, ...] = ()
    for ins in pic.canvas.children:
        if isinstance(ins, PushMatrix):
            stack.append(list(stack[-1]))
        elif isinstance(ins, PopMatrix):
            stack.pop()
        elif isinstance(ins, Rotate):
            stack[-1].append(("rotate", (ins.angle, tuple(ins.origin))))
        elif isinstance(ins, Scale):
            stack[-1].append(("scale", (ins.x, tuple(ins.origin))))
        elif isinstance(ins, Color):
            colour_now = tuple(round(c, 3) for c in ins.rgba)
        elif hasattr(ins, "pos") and colour_now == tuple(round(c, 3) for c in colour):
            x = ins.pos[0] + ins.size[0] / 2
            y = ins.pos[1] + ins.size[1] / 2
            for op, (arg, origin) in reversed(stack[-1]):  # the last transform applies first
                ox, oy = origin[0], origin[1]
                if op == "rotate":
                    a = math.radians(arg)
                    x, y = (ox + (x - ox) * math.cos(a) - (y - oy) * math.sin(a),
                            oy + (x - ox) * math.sin(a) + (y - oy) * math.cos(a))
                else:
                    x, y = ox + (x - ox) * arg, oy + (y - oy) * arg
            cx, cy = pic.center
            return x - cx, y - cy
    raise AssertionError(f"nothing drawn in {colour}")


def _cosine(a: tuple[float, float], b: tuple[float, float]) -> float:
    return (a[0] * b[0] + a[1] * b[1]) / (math.hypot(*a) * math.hypot(*b))


@pytest.mark.parametrize("kind", ["id_card", "insert_card", "take_card", "camera", "scanner"])
@pytest.mark.parametrize("position", ["below", "right", "left", "above", "below_right"])
def test_a_picture_draws_its_device_where_the_layout_puts_it(kind: str, position: str) -> None:
    from screens.pictures import DEVICE, ActionPicture

    pic = ActionPicture(kind, position, size=(600, 400), pos=(10, 20))
    pic.stop()
    pic.redraw()
    where = _device_direction(pic, DEVICE)
    assert _cosine(where, vector(position)) > 0.9, (kind, position, where)


@pytest.mark.parametrize("kind", ["pin_pad", "receipt"])
def test_a_front_view_points_its_arrow_at_the_device(kind: str) -> None:
    from screens.pictures import ARROW, ActionPicture

    for position in ("below", "left", "above_right"):
        pic = ActionPicture(kind, position, size=(500, 500))
        pic.stop()
        pic.redraw()
        assert _cosine(_device_direction(pic, ARROW), vector(position)) > 0.9, (kind, position)


def test_two_layouts_draw_the_same_picture_differently(tmp_path: Path) -> None:
    from kiosk.domain.device_layout import picture_position
    from screens.pictures import DEVICE, ActionPicture

    dirs = []
    for text in (BELOW, SIDE):
        pic = ActionPicture("id_card", picture_position(config(tmp_path, text).layout, "id_card"), size=(400, 400))
        pic.stop()
        pic.redraw()
        dirs.append(_device_direction(pic, DEVICE))
    assert _cosine(dirs[0], (0, -1)) > 0.9 and _cosine(dirs[1], (1, 0)) > 0.9, dirs


def test_the_citizens_own_card_comes_back_where_the_reader_slot_is(tmp_path: Path) -> None:
    from kiosk.domain.device_layout import picture_position

    layout = config(tmp_path, SIDE).layout
    assert picture_position(layout, "take_card") == "above"  # the issuer's output: a new card
    assert picture_position(layout, "take_card", "take_sscard") == "below_right"  # the reader's slot
