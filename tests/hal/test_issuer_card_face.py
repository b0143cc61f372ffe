"""Card face rendering: size, fields, rare characters through the font fallback chain."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import numpy as np
import pytest
from PIL import Image, ImageDraw

from hal.issuer.card_face import NAME_Y, PHOTO_BOX, VALUE_SIZE, VALUE_X, render_card_face
from hal.issuer.cjk_text import HANAMIN_A, HANAMIN_B, NOTO_SC, CjkText
from hal.types import CardFace

FACES = Path(__file__).resolve().parents[1] / "data" / "faces"


def _face(name: str = "林小明", photo: bytes | None = None) -> CardFace:
    return CardFace(
        name=name,
        ssn="350102199001011234",
        card_no="A12345678",
        issue_date=dt.date(2026, 1, 5),
        photo_jpeg=photo,
    )


def _ink(img: Image.Image, box: tuple[int, int, int, int]) -> float:
    return float((np.asarray(img.convert("L").crop(box)) < 128).mean())


def test_face_size_and_photo() -> None:
    img = render_card_face(_face(photo=(FACES / "biden_portrait.jpg").read_bytes()))
    assert img.size == (1016, 648)
    assert _ink(img, PHOTO_BOX) > 0.05
    no_photo = render_card_face(_face(photo=None))  # under-2s may have none
    assert _ink(no_photo, PHOTO_BOX) == 0.0
    broken = render_card_face(_face(photo=b"\xff\xd8 not a jpeg"))
    assert _ink(broken, PHOTO_BOX) == 0.0


def test_fields_change_the_face() -> None:
    a = np.asarray(render_card_face(_face()))
    b = np.asarray(
        render_card_face(CardFace("林小明", "350102199001011235", "A12345678", dt.date(2026, 1, 5), None))
    )
    assert not np.array_equal(a, b)


def test_font_chain_choice_per_character() -> None:
    text = CjkText(40)
    assert text.font_for("林") == NOTO_SC
    assert text.font_for("䶮") == NOTO_SC  # U+4DAE: Noto SC has it
    assert text.font_for("𠮷") == NOTO_SC  # U+20BB7 too
    assert text.font_for("𠀀") in (HANAMIN_A, HANAMIN_B)  # U+20000 (Ext. B): Noto SC lacks it
    assert text.font_for("\U0010fffd") is None
    assert text.missing("林𠀀\U0010fffd") == ["\U0010fffd"]
    assert text.fonts == (NOTO_SC, HANAMIN_A, HANAMIN_B)


@pytest.mark.parametrize("rare", ["䶮", "𠮷", "𠀀"])
def test_rare_name_character_is_drawn_not_boxed(rare: str) -> None:
    """With the fallback the glyph differs from the .notdef box the first font draws."""
    chain = CjkText(VALUE_SIZE)
    noto_only = CjkText(VALUE_SIZE, (NOTO_SC,))
    box = (VALUE_X, NAME_Y - 10, VALUE_X + 3 * VALUE_SIZE, NAME_Y + VALUE_SIZE + 15)
    with_chain = render_card_face(_face(name=rare * 2), value_text=chain)
    assert _ink(with_chain, box) > 0.02
    boxed = Image.new("L", (200, 80), 255)
    noto_only.draw(ImageDraw.Draw(boxed), (0, 0), rare)
    drawn = Image.new("L", (200, 80), 255)
    chain.draw(ImageDraw.Draw(drawn), (0, 0), rare)
    if chain.font_for(rare) == NOTO_SC:
        assert np.array_equal(np.asarray(boxed), np.asarray(drawn))
    else:
        assert not np.array_equal(np.asarray(boxed), np.asarray(drawn))
    assert (np.asarray(drawn) < 128).mean() > 0.005
