"""A password typed into the technician ID field (issue 18, item 10) must not be recorded: a
refused login is recorded under its ID only when that ID is a known technician's, otherwise
masked, in the audit log, the kiosk log and the event sent to the central. IDs and card codes
are compared in constant time (hmac.compare_digest), on any text the keypad or a card gives."""

from __future__ import annotations

from pathlib import Path

import pytest

from central_sim.server import ServerHandle
from kiosk.alarms import KioskEvent
from kiosk.logs import LOG_FILE
from kiosk.maintenance.auth import UNKNOWN_ACTOR, Authenticator, AuthError, TechnicianStore, same
from kiosk.maintenance.roles import Role
from kiosk.runtime import Runtime
from tests.maintenance.conftest import STAFF, central, central_rows, eventually, runtime

__all__ = ["central", "runtime"]  # the fixtures, imported for pytest

TYPED_PASSWORD = "8642097531"  # a technician's password, typed into the ID field by mistake


def test_a_password_in_the_id_field_is_masked_everywhere(runtime: Runtime, central: ServerHandle) -> None:
    svc = runtime.maintenance
    events: list[KioskEvent] = []
    runtime.events.subscribe(events.append)
    with pytest.raises(AuthError):
        svc.login_password(TYPED_PASSWORD, "")
    with pytest.raises(AuthError):
        svc.login_password(STAFF[0], TYPED_PASSWORD)  # a known ID with a wrong password: the ID is kept
    logins = [(r["actor"], r["outcome"]) for r in svc.audit.records() if r["action"] == "login"]
    assert logins == [(UNKNOWN_ACTOR, "refused"), (STAFF[0], "refused")]
    assert [e.message for e in events if e.type == "technician_action"] == [
        f"{UNKNOWN_ACTOR}: refused password", f"{STAFF[0]}: refused password"]
    sent = eventually(lambda: [r["message"] for r in central_rows(
        central, "SELECT * FROM kiosk_events WHERE type = 'technician_action'")] or None, timeout=15)
    assert sent and UNKNOWN_ACTOR in " ".join(sent)
    data = Path(runtime.cfg.kiosk.data_dir)
    for place in (data / "audit.log", data / LOG_FILE):
        assert TYPED_PASSWORD not in place.read_text(encoding="utf-8"), place
    assert all(TYPED_PASSWORD not in str(row) for row in central_rows(central, "SELECT * FROM kiosk_events"))


def test_only_known_ids_are_recorded_as_themselves(tmp_path: Path) -> None:
    store = TechnicianStore(tmp_path / "technicians.json", n=2**10)
    store.add("T1001", Role.OUTLET_STAFF, "a long password", card_code="CARD0001")
    auth = Authenticator(store)
    assert auth.actor_of_failed_login("T1001") == "T1001"
    for typed in ("T1002", "t1001", "T1001 ", "T10011", "", "密码1234abcd", "\udcff", "A" * 10_000):
        assert auth.actor_of_failed_login(typed) == UNKNOWN_ACTOR, typed
    (tmp_path / "technicians.json").write_text("{broken")  # a damaged file knows nobody
    assert auth.actor_of_failed_login("T1001") == UNKNOWN_ACTOR


@pytest.mark.parametrize("typed", ["密码1234abcd", "\udcff\u202e", "T1001\x00", ""])
def test_any_text_in_the_id_field_is_a_plain_refusal(tmp_path: Path, typed: str) -> None:
    """hmac.compare_digest refuses non-ASCII str; the comparison must still just say no."""
    store = TechnicianStore(tmp_path / "technicians.json", n=2**10)
    store.add("T1001", Role.OUTLET_STAFF, "a long password")
    with pytest.raises(AuthError) as err:
        Authenticator(store).login_password(typed, "a long password")
    assert err.value.code == "refused"
    assert Authenticator(store).login_password("T1001", "a long password").tech_id == "T1001"


def test_same_compares_whole_values() -> None:
    assert same("CARD0001", "CARD0001") and same("", "")
    assert not same("CARD0001", "CARD0002") and not same("CARD0001", "CARD000") and not same("卡", "卡1")
