"""The details form as a citizen fills it in the screenshot tours: one way, used by every tour."""

from __future__ import annotations

import itertools
from functools import partial
from typing import Any

import httpx

_MOBILES = itertools.count(1)
_typed: list[str] = []  # the mobile the last fill_details typed (submit_details confirms it by SMS)


def type_field(tour: Any, field: str, digits: str) -> None:
    """Open ``field``'s keypad, type ``digits``, save, and wait for the flow to take the value."""
    s = tour.s
    tour.reveal(f"form.edit.{field}")
    s.tap(f"form.edit.{field}")
    for d in digits:
        s.tap(f"key.{d}")
    s.tap("form.save")
    s.until(partial(lambda f: bool(s.view_now().params.get(f)), field), field)


def fill_details(tour: Any, mobile: str = "") -> None:
    """Mobile, postal code and a Fuzhou address (鼓楼区, 1号). Each application its own mobile unless given:
    the central sends one number at most one SMS code a minute."""
    s = tour.s
    mobile = mobile or f"1380000{next(_MOBILES) % 10000:04d}"
    _typed[:] = [mobile]
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


def submit_details(tour: Any, check_shot: str = "", otp_shot: str = "") -> None:
    """Check your answers (shot as ``check_shot`` if given), send, and confirm the typed mobile with the
    code the phone got (issue 21 §2; the reference central's loopback hook stands in for the phone),
    shot as ``otp_shot`` if given."""
    s = tour.s
    s.tap("button.confirm")  # check your answers
    if check_shot:
        s.shot(check_shot)
    s.tap("button.confirm")  # then send
    s.view("otp")
    if otp_shot:
        s.shot(otp_shot)  # before the code is typed: a language switch would clear the typed digits
    r = httpx.post(f"{s.rt.cfg.central.url}/_admin/sms/inbox", json={"mobile": _typed[-1]}, timeout=5)
    for d in str(r.json()["code"]):
        s.tap(f"key.{d}")
    s.tap("button.submit_code")
