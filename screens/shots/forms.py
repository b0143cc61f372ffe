"""The details form as a citizen fills it in the screenshot tours: one way, used by every tour."""

from __future__ import annotations

from functools import partial
from typing import Any


def type_field(tour: Any, field: str, digits: str) -> None:
    """Open ``field``'s keypad, type ``digits``, save, and wait for the flow to take the value."""
    s = tour.s
    tour.reveal(f"form.edit.{field}")
    s.tap(f"form.edit.{field}")
    for d in digits:
        s.tap(f"key.{d}")
    s.tap("form.save")
    s.until(partial(lambda f: bool(s.view_now().params.get(f)), field), field)


def fill_details(tour: Any, mobile: str = "13800000001") -> None:
    """Mobile, postal code and a Fuzhou address (鼓楼区, 1号)."""
    s = tour.s
    type_field(tour, "mobile", mobile)
    type_field(tour, "postal_code", "350001")
    tour.reveal("form.edit.address")
    s.tap("form.edit.address")
    s.tap("address.option.350100")
    s.tap("address.option.350102")
    for k in ("key.1", "key.token.号"):
        s.tap(k)
    s.tap("address.done")
    s.until(lambda: bool(s.view_now() and s.view_now().params.get("district") == "350102"), "address")
