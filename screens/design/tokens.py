"""Design tokens: the only colours, type sizes, spacing steps and radii the citizen screens use.

Colours are the roles of screens.theme (the elderly theme maps each role to its darker twin);
sizes are in multiples of the theme-aware body size and gap, so one token works at 1280x800,
1920x1080 and in elderly mode. No Kivy widgets here.
"""

from __future__ import annotations

from screens.theme import ACCENT, BRAND, DISABLED_TEXT, INK, MUTED, OK_GREEN, PAPER, SOFT, WHITE

# ---- colour roles (normal palette; screens.widgets.colour() gives the current theme's) ----------
COLOUR = {
    "ink": INK,  # body text
    "paper": PAPER,  # the page
    "brand": BRAND,  # primary actions, titles, the frame
    "danger": ACCENT,  # refusals, errors, cancel
    "success": OK_GREEN,  # done, valid
    "muted": MUTED,  # secondary text (still 9:1 on paper)
    "surface": SOFT,  # secondary buttons, cards
    "on_brand": WHITE,  # text on brand/danger
    "disabled": DISABLED_TEXT,
}

# ---- type scale: multiples of the body size (screens.widgets.text_px; never below 32 px) --------
TYPE = {
    "display": 1.6,  # the lobby's title, a result's headline
    "title": 1.3,  # a screen's service name, a modal's question
    "lead": 1.15,  # the instruction of the step
    "body": 1.0,
    "small": 0.9,  # countdown, frame facts (floored at 32 px)
}

# ---- spacing: steps of the theme's gap (screens.widgets.gap_px) --------------------------------
SPACE = {"xs": 0.25, "s": 0.5, "m": 1.0, "l": 1.5, "xl": 2.0}

# ---- radius (px at any resolution: corners are a style, not a size) ------------------------------
RADIUS = {"s": 8.0, "m": 14.0, "l": 22.0}

# ---- layout --------------------------------------------------------------------------------------
FRAME_HEIGHT = 0.8  # x target_px: the persistent top frame
ILLUSTRATION_SHARE = 0.5  # of the body's width: the picture of the next physical action
