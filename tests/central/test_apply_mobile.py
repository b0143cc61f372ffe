"""The applicant's mobile at the reference central (art. 16 "健全电话号码"; issue 21 §2): an online
application carries the ``verification_id`` of an SMS code sent to that very number, used once; an
application queued offline says ``mobile_unverified`` and is accepted, flagged for a later SMS
confirmation; one with neither is refused with its reason, among all the others (一次性告知)."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from central_sim.server import ServerHandle
from kiosk.central.client import CentralClient
from kiosk.central.errors import CentralRejected
from tests.central.test_rules import application


def verified(client: CentralClient, central: ServerHandle, mobile: str) -> str:
    """Send a code to ``mobile``, read it on the phone, type it: the verification id."""
    sent = client.send_sms_code(mobile, "apply")
    r = httpx.post(f"{central.url}/_admin/sms/inbox", json={"mobile": mobile}, timeout=5)
    assert r.status_code == 200, r.text
    checked = client.verify_sms_code(sent.otp_id, mobile, str(r.json()["code"]))
    assert checked.status == "verified" and checked.verification_id
    return checked.verification_id


def body(mobile: str, **over: Any) -> dict[str, Any]:
    b = application("adult_never_applied", **over)
    b["applicant"]["mobile"] = mobile
    b.pop("mobile_unverified", None)
    b.update(over)
    return b


def refused(client: CentralClient, b: dict[str, Any]) -> set[str]:
    with pytest.raises(CentralRejected) as err:
        client.apply(b)
    assert err.value.status == 422
    return {r.code for r in err.value.reasons}


def one(central: ServerHandle, sql: str, *params: Any) -> Any:
    with central.central.db.read() as tx:
        rows = tx.all(sql, params)
    return None if not rows else next(iter(dict(rows[0]).values()))


def test_an_application_whose_mobile_was_never_confirmed_is_refused(client: CentralClient,
                                                                    central: ServerHandle) -> None:
    assert refused(client, body("13912340011")) == {"mobile_not_verified"}
    # all reasons at once: the unconfirmed mobile among the others
    assert {"mobile_not_verified", "photo_required"} <= refused(client, body("13912340011", photo_jpeg_b64=None))


def test_the_verification_must_be_of_this_number_and_is_used_once(client: CentralClient,
                                                                  central: ServerHandle) -> None:
    other = verified(client, central, "13912340012")
    assert refused(client, body("13912340013", mobile_verification_id=other)) == {"mobile_not_verified"}
    assert refused(client, body("13912340013", mobile_verification_id="MV-NOT-ISSUED")) == {"mobile_not_verified"}
    mine = verified(client, central, "13912340013")
    created = client.apply(body("13912340013", mobile_verification_id=mine))
    assert created.status == "approved"
    assert one(central, "SELECT verified FROM mobile_status WHERE mobile = ?", "13912340013") == 1
    assert one(central, "SELECT status FROM sms_codes WHERE verification_id = ?", mine) == "used"
    # the same verification cannot confirm a second application (another applicant, same number)
    again = application("adult_active_card", kind="replacement", reason="damaged", mobile_verification_id=mine)
    again["applicant"]["mobile"] = "13912340013"
    again.pop("mobile_unverified", None)
    assert "mobile_not_verified" in refused(client, again)


def test_an_offline_application_is_accepted_unverified_and_flagged(client: CentralClient,
                                                                   central: ServerHandle) -> None:
    created = client.apply(body("13912340014", delivery="pickup", mobile_unverified=True))
    assert created.status == "approved"
    assert one(central, "SELECT verified FROM mobile_status WHERE mobile = ?", "13912340014") == 0
    assert one(central, "SELECT COUNT(*) FROM application_timeline WHERE application_id = ? AND status = ?",
               created.application_id, "mobile_unverified") == 1
