"""The lobby's content, grouped by what a citizen came for (get a card / card problems / PIN /
my information), the most used first in each group. Entries are service keys: a key that is not
(yet) a ServiceId shows as "coming soon" — the e-card QR sign-in's own flow makes it live by
giving it a ServiceId. No Kivy here (tests read it directly)."""

from __future__ import annotations

from kiosk.domain.services import ServiceId

LOBBY: tuple[tuple[str, tuple[str, ...]], ...] = (
    # Four rows of at most three keep every tile a full touch target at 1280x800, so the two newest
    # entries join the rows with room: acting for someone (代办, art. 51) with getting a card, and the
    # counter's guidance (cancel, suspend: arts. 35, 51) with the PIN services.
    ("get_card", ("apply", "replace", "proxy")),
    ("card_problems", ("loss_report", "activate", "loss_cancel")),
    ("pin", ("pin_change", "pin_reset", "counter_guidance")),
    ("my_info", ("progress_query", "contact_change", "ecard_sign_in")),
)
SERVICE_ICONS = {
    "apply": "add_card", "replace": "autorenew", "loss_report": "report_off", "loss_cancel": "lock_open",
    "activate": "verified_user", "pin_change": "password", "pin_reset": "lock_reset",
    "contact_change": "contact_phone", "progress_query": "manage_search", "ecard_sign_in": "qr_code_scanner",
    "counter_guidance": "support_agent", "proxy": "people",
}
ELDERLY_GROUPS = 1  # groups per lobby page in elderly mode: one group, its tiles large (2 a row)


def is_service(key: str) -> bool:
    return key in ServiceId._value2member_map_


SERVICE_ORDER = tuple(ServiceId(k) for _g, keys in LOBBY for k in keys if is_service(k))


def lobby_pages(elderly: bool) -> list[tuple[tuple[str, tuple[str, ...]], ...]]:
    if not elderly:
        return [LOBBY]
    return [LOBBY[i:i + ELDERLY_GROUPS] for i in range(0, len(LOBBY), ELDERLY_GROUPS)]
