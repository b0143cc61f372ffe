"""SMS verification of a mobile (art. 16; issue 21 §2) at the reference central, on its injectable
clock: a code is valid 5 minutes, a resend waits 60 s, 5 wrong tries void it, a number gets at most
1 code a minute, 5 an hour, 10 a day; codes are never logged; the code-revealing hook is for loopback
tests and the demo only, never in production mode."""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from central_sim.clock import CST
from central_sim.seed import citizen
from central_sim.server import ServerHandle, run_in_thread
from kiosk.central.client import CentralClient
from kiosk.central.errors import CentralRejected
from tests.central.tls_fixtures import KIOSK_ID

MOBILE = "13912340001"


class StepClock:
    """The central's clock, moved by the test."""

    def __init__(self) -> None:
        self.now = dt.datetime(2026, 3, 2, 9, 0, 0, tzinfo=CST)

    def __call__(self) -> dt.datetime:
        return self.now

    def advance(self, **delta: float) -> None:
        self.now += dt.timedelta(**delta)


@pytest.fixture
def clock() -> StepClock:
    return StepClock()


@pytest.fixture
def central(tmp_path: Path, clock: StepClock) -> Iterator[ServerHandle]:
    handle = run_in_thread(str(tmp_path / "central.sqlite"), clock=clock)
    yield handle
    handle.stop()


@pytest.fixture
def client(central: ServerHandle) -> Iterator[CentralClient]:
    with CentralClient(central.url, KIOSK_ID) as c:
        yield c


def received(central: ServerHandle, mobile: str = MOBILE) -> str:
    """What the citizen's phone got (the loopback test hook)."""
    r = httpx.post(f"{central.url}/_admin/sms/inbox", json={"mobile": mobile}, timeout=5)
    assert r.status_code == 200, r.text
    return str(r.json()["code"])


def wrong(code: str) -> str:
    return f"{(int(code) + 1) % 1_000_000:06d}"


def limit_code(err: pytest.ExceptionInfo[CentralRejected]) -> tuple[int, str, str]:
    return err.value.status, err.value.code, err.value.reasons[0].code


def test_the_right_code_verifies_once_and_answers_a_verification(client: CentralClient,
                                                                 central: ServerHandle) -> None:
    sent = client.send_sms_code(MOBILE, "contact_change")
    assert (sent.valid_s, sent.resend_after_s, sent.code_length) == (300, 60, 6)
    code = received(central)
    assert len(code) == 6 and code.isdigit()
    ok = client.verify_sms_code(sent.otp_id, MOBILE, code)
    assert ok.status == "verified" and ok.verification_id
    with pytest.raises(CentralRejected) as err:  # the code belongs to its number
        client.verify_sms_code(sent.otp_id, "13912340002", code)
    assert err.value.code == "otp_not_found"


def test_a_code_is_valid_five_minutes(client: CentralClient, central: ServerHandle, clock: StepClock) -> None:
    sent = client.send_sms_code(MOBILE, "contact_change")
    code = received(central)
    clock.advance(minutes=5)
    assert client.verify_sms_code(sent.otp_id, MOBILE, wrong(code)).status == "wrong"  # still valid at 5:00
    clock.advance(seconds=1)
    assert client.verify_sms_code(sent.otp_id, MOBILE, code).status == "expired"


def test_five_wrong_tries_void_the_code(client: CentralClient, central: ServerHandle) -> None:
    sent = client.send_sms_code(MOBILE, "contact_change")
    code = received(central)
    lefts = [client.verify_sms_code(sent.otp_id, MOBILE, wrong(code)).tries_left for _ in range(4)]
    assert lefts == [4, 3, 2, 1]
    fifth = client.verify_sms_code(sent.otp_id, MOBILE, wrong(code))
    assert (fifth.status, fifth.tries_left) == ("void", 0)
    assert client.verify_sms_code(sent.otp_id, MOBILE, code).status == "void"  # the right code is too late


def test_resend_after_sixty_seconds_voids_the_older_code(client: CentralClient, central: ServerHandle,
                                                         clock: StepClock) -> None:
    first = client.send_sms_code(MOBILE, "contact_change")
    old_code = received(central)
    clock.advance(seconds=59)
    with pytest.raises(CentralRejected) as err:
        client.send_sms_code(MOBILE, "contact_change")
    assert limit_code(err) == (409, "sms_rate_limited", "sms_resend_too_soon")
    assert "1 秒" in err.value.reasons[0].message  # how long to wait
    clock.advance(seconds=1)
    second = client.send_sms_code(MOBILE, "contact_change")
    assert second.otp_id != first.otp_id
    assert client.verify_sms_code(first.otp_id, MOBILE, old_code).status == "void"
    assert client.verify_sms_code(second.otp_id, MOBILE, received(central)).status == "verified"
    client.send_sms_code("13912340002", "apply")  # the limits are per number


def test_at_most_five_codes_an_hour(client: CentralClient, clock: StepClock) -> None:
    for _ in range(5):
        client.send_sms_code(MOBILE, "contact_change")
        clock.advance(seconds=60)
    with pytest.raises(CentralRejected) as err:
        client.send_sms_code(MOBILE, "contact_change")
    assert limit_code(err) == (409, "sms_rate_limited", "sms_hourly_limit")
    clock.advance(minutes=55, seconds=-1)  # the first code was sent 59:59 ago
    with pytest.raises(CentralRejected):
        client.send_sms_code(MOBILE, "contact_change")
    clock.advance(seconds=1)
    client.send_sms_code(MOBILE, "contact_change")


def test_at_most_ten_codes_a_day(client: CentralClient, clock: StepClock) -> None:
    for _ in range(10):
        client.send_sms_code(MOBILE, "contact_change")
        clock.advance(minutes=13)  # 4-5 an hour: never the hourly limit
    clock.advance(hours=2)
    with pytest.raises(CentralRejected) as err:
        client.send_sms_code(MOBILE, "contact_change")
    assert limit_code(err) == (409, "sms_rate_limited", "sms_daily_limit")
    clock.advance(hours=24, minutes=-(2 * 60 + 13 * 10) + 1)  # a day after the first
    client.send_sms_code(MOBILE, "contact_change")


def test_contact_change_carries_the_verification_once(client: CentralClient, central: ServerHandle) -> None:
    p = citizen("adult_active_card")
    sent = client.send_sms_code(MOBILE, "contact_change")
    ok = client.verify_sms_code(sent.otp_id, MOBILE, received(central))
    def change(mobile: str, **proof: str | bool | None) -> list[str]:
        return client.change_contact(p["id_number"], mobile=mobile, **proof).updated  # type: ignore[arg-type]

    assert change(MOBILE, mobile_verification_id=ok.verification_id) == ["mobile"]
    with central.central.db.read() as tx:
        assert tx.scalar("SELECT verified FROM mobile_status WHERE id_number = ?", (p["id_number"],)) == 1
    with pytest.raises(CentralRejected) as err:  # used: a second change needs a new code
        change(MOBILE, mobile_verification_id=ok.verification_id)
    assert err.value.code == "mobile_not_verified"
    with pytest.raises(CentralRejected):  # the verification is of another number
        change("13912340009", mobile_verification_id=ok.verification_id)
    change("13912340009", mobile_unverified=True)
    with central.central.db.read() as tx:
        assert tx.scalar("SELECT verified FROM mobile_status WHERE id_number = ?", (p["id_number"],)) == 0


def test_codes_are_never_logged_nor_stored_in_clear(client: CentralClient, central: ServerHandle,
                                                    caplog: pytest.LogCaptureFixture) -> None:
    for name in (None, "httpx", "httpcore", "uvicorn.access", "central_sim"):  # whatever set them quieter before
        caplog.set_level(logging.DEBUG, logger=name)
    sent = client.send_sms_code(MOBILE, "contact_change")
    code = received(central)
    client.verify_sms_code(sent.otp_id, MOBILE, wrong(code))
    client.verify_sms_code(sent.otp_id, MOBILE, code)
    assert caplog.records and code not in caplog.text
    with central.central.db.read() as tx:
        stored = " ".join(str(v) for r in tx.all("SELECT * FROM sms_codes") for v in dict(r).values())
        idem = " ".join(str(r["response"]) for r in tx.all("SELECT * FROM idempotency"))
    assert code not in stored and code not in idem
    from kiosk.central.bodies import SmsVerifyBody

    assert code not in repr(SmsVerifyBody(otp_id=sent.otp_id, mobile=MOBILE, code=code))


def test_the_code_hook_is_loopback_only_and_off_in_production_mode(tmp_path: Path) -> None:
    prod = run_in_thread(str(tmp_path / "prod.sqlite"), test_hooks=False)
    try:
        with CentralClient(prod.url, KIOSK_ID) as c:
            c.send_sms_code(MOBILE, "contact_change")
        r = httpx.post(f"{prod.url}/_admin/sms/inbox", json={"mobile": MOBILE}, timeout=5)
        assert r.status_code == 404 and r.json()["error"]["code"] == "not_found"
    finally:
        prod.stop()
