"""Instructions for the citizen at the document camera, one stable code → (Chinese, English).

The screens show them through the string tables (keys ``doc.<code>``); this table is what the
tests check the string tables against, so the two never drift.
"""

from __future__ import annotations

MESSAGES: dict[str, tuple[str, str]] = {
    "no_page": ("请将材料平放在高拍仪台面上", "Please lay the document flat on the document camera"),
    "page_cut_off": ("请把材料整个放进画面内", "Please move the whole document into the picture"),
    "page_too_small": ("请将材料放在台面中央，不要折叠", "Please place the document in the middle, unfolded"),
    "glare": ("避免反光：请取下塑料封套，或把材料稍微移动", "Avoid glare: take the document out of its sleeve, "
              "or move it a little"),
    "blurred": ("画面模糊，请放平材料，手离开后保持不动", "The picture is blurred: lay the document flat, "
                "take your hand away and hold still"),
    "too_dark": ("画面太暗，请不要遮挡台面上方的灯", "Too dark: please do not cover the lamp above the platen"),
    "not_steady": ("请放平，保持不动", "Please keep it flat and hold still"),
}
