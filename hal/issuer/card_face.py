"""Render the card face (photo, name, SSN, card number, issue date) at 1016×648.

The blanks are pre-printed (预制卡: background, title, emblem), so only the personal
fields are printed, in black, with their labels. The result goes to
``evolis_commands.k_panel_from_image`` for the monochrome K panel.
"""

from __future__ import annotations

import io
import logging

from PIL import Image, ImageDraw, ImageOps, UnidentifiedImageError

from hal.issuer.cjk_text import CjkText
from hal.issuer.evolis_commands import CARD_HEIGHT_PX, CARD_WIDTH_PX
from hal.types import CardFace

log = logging.getLogger(__name__)

# Layout in card pixels (300 dpi). The photo keeps the 358:441 shape of the card photo.
PHOTO_BOX = (60, 150, 60 + 260, 150 + 320)
TEXT_X = 370
NAME_Y = 170
LINE_STEP = 80
LABEL_SIZE = 30
VALUE_SIZE = 40
VALUE_X = TEXT_X + 190


def render_card_face(face: CardFace, *, label_text: CjkText | None = None,
                     value_text: CjkText | None = None) -> Image.Image:
    img = Image.new("RGB", (CARD_WIDTH_PX, CARD_HEIGHT_PX), "white")
    draw = ImageDraw.Draw(img)
    labels = label_text or CjkText(LABEL_SIZE)
    values = value_text or CjkText(VALUE_SIZE)
    _paste_photo(img, face.photo_jpeg)
    issue = f"{face.issue_date.year}年{face.issue_date.month:02d}月"
    rows = (("姓名", face.name), ("社会保障号码", face.ssn), ("社会保障卡号", face.card_no),
            ("发卡日期", issue))
    y = NAME_Y
    for label, value in rows:
        labels.draw(draw, (TEXT_X, y + (VALUE_SIZE - LABEL_SIZE)), label, fill=(0, 0, 0))
        values.draw(draw, (VALUE_X, y), value, fill=(0, 0, 0))
        y += LINE_STEP
    return img


def _paste_photo(img: Image.Image, photo_jpeg: bytes | None) -> None:
    x0, y0, x1, y1 = PHOTO_BOX
    if not photo_jpeg:  # children under 2 may have no photo (arts. 16–17)
        return
    try:
        photo = Image.open(io.BytesIO(photo_jpeg))
        photo.load()
    except (UnidentifiedImageError, OSError):
        log.warning("card photo could not be decoded; printing the face without it")
        return
    fitted = ImageOps.fit(photo.convert("RGB"), (x1 - x0, y1 - y0), Image.Resampling.LANCZOS)
    img.paste(fitted, (x0, y0))
