"""POST /v1/ecard/verify over real HTTP: one use, 60 s validity, bound to the kiosk it was made
for; the kiosk's typed verb; the issuing hook closed in production mode."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from central_sim.clock import system_clock
from central_sim.ecard import CODE_VALIDITY_S, issue_code
from central_sim.seed import citizen
from central_sim.server import ServerHandle, run_in_thread
from kiosk.central import requests as rq
from kiosk.central.bodies import EcardVerifyBody
from kiosk.central.client import CentralClient
from kiosk.central.errors import CentralRejected
from kiosk.central.models import EcardIdentity
from tests.central.tls_fixtures import KIOSK_ID

OTHER_KIOSK = "FZ-OTHER-0009"


class SteppedClock:
    def __init__(self) -> None:
        self.now = system_clock()

    def __call__(self) -> dt.datetime:
        return self.now


@pytest.fixture
def clock() -> SteppedClock:
    return SteppedClock()


@pytest.fixture
def server(tmp_path: Path, clock: SteppedClock) -> Iterator[ServerHandle]:
    handle = run_in_thread(str(tmp_path / "central.sqlite"), clock=clock)
    yield handle
    handle.stop()


@pytest.fixture
def kiosk(server: ServerHandle) -> Iterator[CentralClient]:
    with CentralClient(server.url, KIOSK_ID) as c:
        yield c


def mint(server: ServerHandle, key: str = "adult_active_card", kiosk_id: str = KIOSK_ID) -> str:
    """The citizen's e-card app, through the test hook."""
    body = {"id_number": citizen(key)["id_number"], "kiosk_id": kiosk_id}
    resp = httpx.post(f"{server.url}/v1/_test/ecard/codes", json=body, timeout=5)
    assert resp.status_code == 201, resp.text
    code = resp.json()["code"]
    assert isinstance(code, str)
    return code


def refused_code(kiosk: CentralClient, code: str) -> str:
    with pytest.raises(CentralRejected) as exc:
        kiosk.call(rq.ECARD_VERIFY, _body(code))
    assert exc.value.status == 422
    return exc.value.code


def _body(code: str) -> EcardVerifyBody:
    return EcardVerifyBody(code=code)


def test_a_fresh_code_names_the_person(server: ServerHandle, kiosk: CentralClient) -> None:
    code = mint(server)
    who = kiosk.call(rq.ECARD_VERIFY, _body(code))
    person = citizen("adult_active_card")
    assert isinstance(who, EcardIdentity)
    assert (who.id_number, who.name, who.sex) == (person["id_number"], person["name"], person["sex"])
    assert person["name"] not in repr(who) and code not in repr(_body(code))


def test_a_code_works_once(server: ServerHandle, kiosk: CentralClient) -> None:
    code = mint(server)
    kiosk.call(rq.ECARD_VERIFY, _body(code))
    assert refused_code(kiosk, code) == "ecard_code_used"


def test_a_code_expires_after_its_validity(server: ServerHandle, kiosk: CentralClient, clock: SteppedClock) -> None:
    code = mint(server)
    clock.now += dt.timedelta(seconds=CODE_VALIDITY_S - 1)
    fresh = mint(server)
    assert kiosk.call(rq.ECARD_VERIFY, _body(fresh)).name
    clock.now += dt.timedelta(seconds=1)
    assert refused_code(kiosk, code) == "ecard_code_expired"


def test_a_code_made_for_another_kiosk_is_refused_and_not_spent(server: ServerHandle, kiosk: CentralClient) -> None:
    code = mint(server, kiosk_id=OTHER_KIOSK)
    assert refused_code(kiosk, code) == "ecard_code_other_kiosk"
    with CentralClient(server.url, OTHER_KIOSK) as right_kiosk:
        assert right_kiosk.call(rq.ECARD_VERIFY, _body(code)).id_number


def test_an_unknown_code_is_refused(kiosk: CentralClient) -> None:
    assert refused_code(kiosk, "ESSC1.not-a-code-the-central-made") == "ecard_code_unknown"
    assert refused_code(kiosk, "https://example.invalid/qr") == "ecard_code_unknown"


def test_a_retry_with_the_same_key_replays_the_identity(server: ServerHandle, kiosk: CentralClient) -> None:
    code = mint(server)
    first = kiosk.call(rq.ECARD_VERIFY, _body(code), idempotency_key="7d1c3a8e-0d6f-4f55-9e0e-6a3a1d2b4c5e")
    again = kiosk.call(rq.ECARD_VERIFY, _body(code), idempotency_key="7d1c3a8e-0d6f-4f55-9e0e-6a3a1d2b4c5e")
    assert again == first  # a lost answer does not cost the citizen the code


def test_the_database_keeps_only_a_digest(server: ServerHandle) -> None:
    code = mint(server)
    with server.central.db.read() as tx:
        rows = tx.all("SELECT * FROM ecard_codes")
    assert rows and all(code not in str(dict(r)) for r in rows)


def test_an_empty_or_missing_code_is_invalid_body(kiosk: CentralClient, server: ServerHandle) -> None:
    resp = httpx.post(f"{server.url}/v1/ecard/verify", json={}, timeout=5,
                      headers={"X-Kiosk-Id": KIOSK_ID, "Idempotency-Key": "k-1"})
    assert resp.status_code == 422 and resp.json()["error"]["code"] == "invalid_body"


def test_the_issuing_hook_is_closed_in_production_mode(server: ServerHandle, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CENTRAL_SIM_PRODUCTION", "1")
    body = {"id_number": citizen("adult_active_card")["id_number"], "kiosk_id": KIOSK_ID}
    resp = httpx.post(f"{server.url}/v1/_test/ecard/codes", json=body, timeout=5)
    assert resp.status_code == 404


def test_issue_code_refuses_an_unknown_person(server: ServerHandle) -> None:
    from central_sim.errors import ApiError

    with server.central.db.transaction() as tx, pytest.raises(ApiError):
        issue_code(tx, "11010119900307001X", KIOSK_ID, system_clock())
