"""Technician accounts: scrypt hashes in a 0600 file, doubling lockout, idle timeout, card login."""

from __future__ import annotations

import stat
from pathlib import Path

import pytest

from hal.sim.card_reader import SimCardReader, chip_for
from hal.types import PinBlock
from kiosk.demo import chip_of, citizen
from kiosk.maintenance.auth import (
    BASE_LOCKOUT_S,
    IDLE_TIMEOUT_S,
    Authenticator,
    AuthError,
    TechnicianStore,
    technician_card_data,
)
from kiosk.maintenance.roles import Role

FAST_N = 2**10  # tests only: the production cost is 2**15


class Clock:
    def __init__(self) -> None:
        self.t = 1_000_000.0

    def __call__(self) -> float:
        return self.t


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def store(tmp_path: Path, clock: Clock) -> TechnicianStore:
    s = TechnicianStore(tmp_path / "technicians.json", n=FAST_N, wall=clock)
    s.add("T1001", Role.OUTLET_STAFF, "correct-horse-1", card_code="TECHCARD00000001")
    return s


def test_accounts_file_is_0600_and_holds_only_a_scrypt_hash(store: TechnicianStore) -> None:
    assert stat.S_IMODE(store.path.stat().st_mode) == 0o600
    text = store.path.read_text()
    assert "correct-horse-1" not in text
    tech = store.get("T1001")
    assert tech is not None and tech.n == FAST_N and tech.r == 8 and len(tech.salt) > 16
    with pytest.raises(ValueError):
        store.add("T1001", Role.BANK_ADMIN, "another-password")  # no silent overwrite
    with pytest.raises(ValueError):
        store.add("T1002", Role.BANK_ADMIN, "short")
    with pytest.raises(ValueError):
        store.add("bad id!", Role.BANK_ADMIN, "long enough password")


def test_default_cost_is_memory_hard(tmp_path: Path) -> None:
    s = TechnicianStore(tmp_path / "t.json")
    tech = s.add("T2000", Role.BANK_ADMIN, "a long password")
    assert tech.n >= 2**15 and tech.n * tech.r * 128 >= 32 * 1024 * 1024  # ≥ 32 MiB per guess


def test_password_login_and_refusals_do_not_say_which_part_was_wrong(store: TechnicianStore, clock: Clock) -> None:
    auth = Authenticator(store, clock=clock)
    session = auth.login_password("T1001", "correct-horse-1")
    assert session.role is Role.OUTLET_STAFF and session.method == "password"
    with pytest.raises(AuthError) as wrong_pw:
        auth.login_password("T1001", "wrong-password")
    with pytest.raises(AuthError) as unknown:
        auth.login_password("T9999", "wrong-password")
    assert str(wrong_pw.value) == str(unknown.value) and wrong_pw.value.code == unknown.value.code == "refused"


def test_five_failures_lock_and_each_further_failure_doubles_the_lockout(store: TechnicianStore,
                                                                          clock: Clock) -> None:
    auth = Authenticator(store, clock=clock)
    for _ in range(4):
        with pytest.raises(AuthError) as e:
            auth.login_password("T1001", "nope-nope")
        assert e.value.code == "refused"
    with pytest.raises(AuthError) as e:
        auth.login_password("T1001", "nope-nope")
    assert e.value.code == "locked" and e.value.retry_after_s == BASE_LOCKOUT_S
    with pytest.raises(AuthError) as e:  # the right password does not help while locked
        auth.login_password("T1001", "correct-horse-1")
    assert e.value.code == "locked"
    for expected in (2 * BASE_LOCKOUT_S, 4 * BASE_LOCKOUT_S, 8 * BASE_LOCKOUT_S):
        clock.t += store.get("T1001").locked_until - clock.t + 1  # type: ignore[union-attr]
        with pytest.raises(AuthError) as e:
            auth.login_password("T1001", "nope-nope")
        assert e.value.code == "locked" and e.value.retry_after_s == expected
    # the lockout survives a restart: it is in the file
    assert Authenticator(TechnicianStore(store.path, n=FAST_N, wall=clock), clock=clock) is not None
    with pytest.raises(AuthError):
        Authenticator(TechnicianStore(store.path, n=FAST_N, wall=clock)).login_password("T1001", "correct-horse-1")
    clock.t = store.get("T1001").locked_until + 1  # type: ignore[union-attr]
    auth.login_password("T1001", "correct-horse-1")
    tech = store.get("T1001")
    assert tech is not None and tech.failures == 0 and tech.locked_until == 0


def test_session_times_out_after_five_idle_minutes(store: TechnicianStore, clock: Clock) -> None:
    session = Authenticator(store, clock=clock).login_password("T1001", "correct-horse-1")
    clock.t += IDLE_TIMEOUT_S - 1
    assert not session.expired()
    session.touch()
    clock.t += IDLE_TIMEOUT_S - 1
    assert not session.expired()
    clock.t += 2
    assert session.expired()


def test_technician_card_login_checks_the_card_and_its_pin_on_the_chip(store: TechnicianStore,
                                                                       clock: Clock) -> None:
    auth = Authenticator(store, clock=clock)
    reader = SimCardReader()
    with pytest.raises(AuthError) as e:
        auth.login_card(reader, PinBlock(None, "123456"))
    assert e.value.code == "no_card"
    reader.insert(chip_of(citizen("adult_active_card")))
    with pytest.raises(AuthError) as e:
        auth.login_card(reader, PinBlock(None, "888888"))
    assert e.value.code == "not_technician_card"
    reader.insert(chip_for(technician_card_data("T1001", "FORGED0000000001"), pin="123456"))
    with pytest.raises(AuthError) as e:
        auth.login_card(reader, PinBlock(None, "123456"))
    assert e.value.code == "card_not_registered"
    reader.insert(chip_for(technician_card_data("T1001", "TECHCARD00000001"), pin="123456"))
    with pytest.raises(AuthError) as e:
        auth.login_card(reader, PinBlock(None, "000000"))
    assert e.value.code == "refused" and store.get("T1001").failures == 1  # type: ignore[union-attr]
    session = auth.login_card(reader, PinBlock(None, "123456"))
    assert session.tech_id == "T1001" and session.method == "card"


def test_a_virtual_pcsc_card_can_be_made_a_technician_card() -> None:
    from hal.emulators.vcard import VirtualSsCard
    from hal.sscard.apdu import ITEM_BY_TAG
    from kiosk.maintenance.auth import technician_personalisation

    card = VirtualSsCard.personalised(technician_personalisation("1001", "350100D156000005A1B2C3D4E5F60718",
                                                                 "246810"))
    assert card.item_value(0x02) == b"T"  # EF05 card type
    assert (card.item_value(0x07) or b"").rstrip(b"\x00 ").startswith(b"1001")
    assert ITEM_BY_TAG[0x07].length >= len("1001")
    with pytest.raises(ValueError):
        technician_personalisation("1234567890", "00", "246810")
