"""The lobby's content, grouped by what a citizen came for (get a card / card problems / PIN /
my information), the most used first in each group. Entries are service keys: a key that is not
(yet) a ServiceId shows as "coming soon" — the e-card QR sign-in's own flow makes it live by
giving it a ServiceId. No Kivy here (tests read it directly)."""

from __future__ import annotations

from collections.abc import Callable, Collection

from kiosk.domain.services import SERVICES, Availability, ServiceId

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


def tile_note(t: Callable[..., str], state: Availability, missing: Collection[str], elderly: bool) -> str:
    """Why a tile cannot be used (or how it runs), as the one short line under its name: a tile is
    one touch target high, so name and note are two lines at most. One missing device is named
    ("制卡机故障"); several, or elderly mode's larger type, give the short general reason."""
    if state is Availability.AVAILABLE:
        return ""
    if elderly:
        return t(f"elderly.availability.{state.value}")
    if state is Availability.DEVICE_DOWN and len(missing) == 1:
        note = t("availability.device_down_named", device=t(f"device.{next(iter(missing))}"))
        return note[:1].upper() + note[1:]  # sentence case: "Card printer down"
    return t(f"availability.{state.value}")


def tile_notes(t: Callable[..., str], key: str, elderly: bool) -> dict[str, str]:
    """Every note the tile of service ``key`` can show, by what it says (the layout check measures
    each under the tile's name): each state, each of its devices down, several down."""
    if not is_service(key):
        return {"coming_soon": t("availability.coming_soon")}
    devices = sorted(d.value for d in SERVICES[ServiceId(key)].devices)
    notes = {state.value: tile_note(t, state, (), elderly) for state in Availability}
    notes |= {f"device_down.{d}": tile_note(t, Availability.DEVICE_DOWN, (d,), elderly) for d in devices}
    notes["device_down.several"] = tile_note(t, Availability.DEVICE_DOWN, devices, elderly)
    return {k: note for k, note in notes.items() if note}
