"""Steps of a citizen at the kiosk for the SMS code and the fee, through the reference central's
loopback test hooks (what the phone received; "the citizen paid this order")."""

from __future__ import annotations

from typing import Any

import httpx

from central_sim.server import ServerHandle
from kiosk.flows.base import View
from tests.flows.conftest import Driver


def sms_code(central: ServerHandle, mobile: str) -> str:
    """The code the citizen's phone received."""
    r = httpx.post(f"{central.url}/_admin/sms/inbox", json={"mobile": mobile}, timeout=5)
    assert r.status_code == 200, r.text
    return str(r.json()["code"])


def enter_code(d: Driver, central: ServerHandle, mobile: str) -> View:
    """Read the SMS on the phone and type it on the ``otp`` screen."""
    view = d.wait("otp")
    d.send("submit_code", sms_code(central, mobile))
    return view


def pay_order(central: ServerHandle, payment_id: str) -> dict[str, Any]:
    """The citizen scans the QR code and pays (the payment platform's notice)."""
    r = httpx.post(f"{central.url}/_admin/payments/{payment_id}/pay", json={}, timeout=5)
    assert r.status_code == 200, r.text
    return dict(r.json())


def pay_shown_order(d: Driver, central: ServerHandle) -> View:
    """Wait for the payment QR code and pay the order it shows."""
    view = d.wait("payment_qr")
    pay_order(central, view.params["payment_id"])
    return view
