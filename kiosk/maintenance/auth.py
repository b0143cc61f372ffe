"""Technician accounts and login: ID + password (scrypt), or a technician smart card + its PIN.

The account file (``<data_dir>/technicians.json``) is 0600 and holds only technician data: ID,
role, scrypt salt and hash, the bound technician card's identification code, and the lockout
state (kept on disk so a restart does not reset it). Five failed logins lock an account; every
further failure doubles the lockout. A session ends after five minutes without activity.

What a technician types into the ID field is only ever recorded as itself when it is a known
technician ID: a password typed there by mistake must not reach the audit log or the central
(``actor_of_failed_login``). IDs and card codes are compared in constant time.
"""

from __future__ import annotations

import base64
import dataclasses
import datetime as dt
import hmac
import json
import os
import re
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from cryptography.exceptions import InvalidKey
from cryptography.hazmat.primitives.kdf.scrypt import Scrypt

from hal.atomic_file import write_atomic
from hal.interfaces import CardReader
from hal.types import CardPersonalisation, PinBlock, PinOutcome, SsCardData
from kiosk.maintenance.roles import Role

MAX_FAILURES = 5
BASE_LOCKOUT_S = 60.0
IDLE_TIMEOUT_S = 300.0
MIN_PASSWORD_LEN = 8
SCRYPT_N = 2**15  # 32 MiB per hash with r=8: memory-hard, ~0.1 s on the kiosk PC
SCRYPT_R = 8
SCRYPT_P = 1
TECHNICIAN_FILE = "technicians.json"
MAX_FILE = 1024 * 1024
# A technician card is a PC/SC card whose EF05 card type is "T" and whose card number is the
# technician ID; the account also binds the card's identification code (card_id_code).
TECHNICIAN_CARD_TYPE = "T"
_ID_RE = re.compile(r"^[0-9A-Za-z]{3,16}$")
UNKNOWN_ACTOR = "?unknown"  # a failed login's identifier that is no technician ID ("?" is never in one)


def same(a: str, b: str) -> bool:
    """Constant-time equality of two identifiers or secrets (any text, compared as UTF-8)."""
    return hmac.compare_digest(a.encode("utf-8", "surrogatepass"), b.encode("utf-8", "surrogatepass"))


class AuthError(Exception):
    """A refused login. ``code`` is stable; the message never says which of ID/password was wrong."""

    def __init__(self, code: str, message: str, retry_after_s: float = 0.0) -> None:
        super().__init__(message)
        self.code = code
        self.retry_after_s = retry_after_s


@dataclass(frozen=True)
class Technician:
    tech_id: str
    role: Role
    salt: str  # base64
    hash: str  # base64
    n: int = SCRYPT_N
    r: int = SCRYPT_R
    p: int = SCRYPT_P
    card_code: str = ""
    failures: int = 0
    locked_until: float = 0.0
    created: float = 0.0

    def to_json(self) -> dict[str, Any]:
        d = dataclasses.asdict(self)
        d["role"] = self.role.value
        return d

    @classmethod
    def from_json(cls, d: dict[str, Any]) -> Technician:
        return cls(tech_id=str(d["tech_id"]), role=Role(d["role"]), salt=str(d["salt"]), hash=str(d["hash"]),
                   n=int(d.get("n", SCRYPT_N)), r=int(d.get("r", SCRYPT_R)), p=int(d.get("p", SCRYPT_P)),
                   card_code=str(d.get("card_code", "")), failures=int(d.get("failures", 0)),
                   locked_until=float(d.get("locked_until", 0.0)), created=float(d.get("created", 0.0)))


def validate_tech_id(tech_id: str) -> str:
    if not _ID_RE.match(tech_id):
        raise ValueError("technician ID: 3-16 letters or digits")
    return tech_id


def _kdf(salt: bytes, n: int, r: int, p: int) -> Scrypt:
    return Scrypt(salt=salt, length=32, n=n, r=r, p=p)


def hash_password(password: str, n: int = SCRYPT_N, r: int = SCRYPT_R, p: int = SCRYPT_P) -> tuple[str, str]:
    salt = os.urandom(16)
    digest = _kdf(salt, n, r, p).derive(password.encode("utf-8"))
    return base64.b64encode(salt).decode(), base64.b64encode(digest).decode()


def check_password(tech: Technician, password: str) -> bool:
    try:
        _kdf(base64.b64decode(tech.salt), tech.n, tech.r, tech.p).verify(
            password.encode("utf-8"), base64.b64decode(tech.hash))
        return True
    except InvalidKey:
        return False


def lockout_s(failures: int) -> float:
    """The lockout after ``failures`` consecutive failures: none below 5, then 60 s doubling."""
    if failures < MAX_FAILURES:
        return 0.0
    return BASE_LOCKOUT_S * float(2 ** min(failures - MAX_FAILURES, 20))


def is_technician_card(card: SsCardData | None) -> bool:
    return card is not None and card.card_type == TECHNICIAN_CARD_TYPE and bool(_ID_RE.match(card.card_no))


def technician_card_data(tech_id: str, card_code: str) -> SsCardData:
    """The chip data of a technician card (for the simulator, the vcard and provisioning tests)."""
    return SsCardData(atr="3B6C00000A0B0C0D0E0F1011121314", card_id_code=card_code,
                      card_type=TECHNICIAN_CARD_TYPE, spec_version="3.00", issue_date=None, expiry_date=None,
                      card_no=validate_tech_id(tech_id), ssn="", name="", sex="", ethnicity="", birth_place="",
                      birth_date=None)


def technician_personalisation(tech_id: str, card_code: str, pin: str) -> CardPersonalisation:
    """What to write on a blank PC/SC card (or a virtual card) to make a technician card: the
    card type "T", the technician ID as card number (≤ 9 characters), no citizen fields."""
    if len(tech_id) > 9:
        raise ValueError("a technician card holds an ID of at most 9 characters")
    today = dt.date.today()
    return CardPersonalisation(card_id_code=card_code, card_type=TECHNICIAN_CARD_TYPE, spec_version="3.00",
                               issue_date=today, expiry_date=today.replace(year=today.year + 5),
                               card_no=validate_tech_id(tech_id), ssn="", name="", sex="", ethnicity="",
                               birth_place="", birth_date=today, initial_pin=pin)


class TechnicianStore:
    """The 0600 account file. Writes are atomic (temporary file + rename)."""

    def __init__(self, path: Path, *, n: int = SCRYPT_N, wall: Callable[[], float] = time.time) -> None:
        self.path = path
        self.n = n
        self.wall = wall
        self._lock = threading.Lock()

    def load(self) -> dict[str, Technician]:
        try:
            raw = json.loads(self.path.read_bytes()[:MAX_FILE].decode("utf-8"))
            return {str(k): Technician.from_json(v) for k, v in raw.get("technicians", {}).items()}
        except FileNotFoundError:
            return {}
        except (ValueError, KeyError, TypeError, AttributeError, RecursionError, OverflowError):
            # nobody logs in with a damaged account file; `kiosk tech add --replace` rewrites it
            raise AuthError("accounts_unreadable", "维护账户文件损坏 technician account file is damaged") from None

    def _save(self, techs: dict[str, Technician]) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        body = {"version": 1, "technicians": {k: t.to_json() for k, t in sorted(techs.items())}}
        write_atomic(self.path, json.dumps(body, indent=1))

    def get(self, tech_id: str) -> Technician | None:
        return self.load().get(tech_id)

    def find(self, typed: str) -> Technician | None:
        """The account whose ID is ``typed``, comparing with every account in constant time (no early
        exit), so the time taken says nothing about which IDs exist or how close ``typed`` came."""
        found: Technician | None = None
        for tech in self.load().values():
            if same(tech.tech_id, typed):
                found = tech
        return found

    def add(self, tech_id: str, role: Role, password: str, card_code: str = "", *, replace: bool = False
            ) -> Technician:
        validate_tech_id(tech_id)
        if len(password) < MIN_PASSWORD_LEN:
            raise ValueError(f"password: at least {MIN_PASSWORD_LEN} characters")
        salt, digest = hash_password(password, n=self.n)
        tech = Technician(tech_id, role, salt, digest, n=self.n, card_code=card_code, created=self.wall())
        with self._lock:
            techs = self.load()
            if tech_id in techs and not replace:
                raise ValueError(f"technician {tech_id} already exists")
            techs[tech_id] = tech
            self._save(techs)
        return tech

    def remove(self, tech_id: str) -> bool:
        with self._lock:
            techs = self.load()
            found = techs.pop(tech_id, None) is not None
            if found:
                self._save(techs)
            return found

    def update(self, tech: Technician) -> None:
        with self._lock:
            techs = self.load()
            if tech.tech_id in techs:
                techs[tech.tech_id] = tech
                self._save(techs)

    def unlock(self, tech_id: str) -> bool:
        tech = self.get(tech_id)
        if tech is None:
            return False
        self.update(dataclasses.replace(tech, failures=0, locked_until=0.0))
        return True


@dataclass
class TechSession:
    tech_id: str
    role: Role
    method: str  # "password" or "card"
    started: float
    last_active: float
    clock: Callable[[], float] = time.monotonic

    def expired(self) -> bool:
        return self.clock() - self.last_active > IDLE_TIMEOUT_S

    def touch(self) -> None:
        self.last_active = self.clock()


class Authenticator:
    def __init__(self, store: TechnicianStore, *, clock: Callable[[], float] = time.monotonic) -> None:
        self.store = store
        self.clock = clock
        self._dummy: Technician | None = None  # made on first use: a Runtime starts without the scrypt cost

    def _dummy_check(self, password: str) -> None:
        if self._dummy is None:
            self._dummy = Technician("dummy", Role.OUTLET_STAFF, *hash_password("not a password", n=self.store.n),
                                     n=self.store.n)
        check_password(self._dummy, password)

    def _session(self, tech: Technician, method: str) -> TechSession:
        now = self.clock()
        return TechSession(tech.tech_id, tech.role, method, now, now, self.clock)

    def _check_lock(self, tech: Technician) -> None:
        left = tech.locked_until - self.store.wall()
        if left > 0:
            raise AuthError("locked", f"账户已锁定 account locked, try again in {int(left) + 1} s", left)

    def _failed(self, tech: Technician) -> AuthError:
        failures = tech.failures + 1
        lock = lockout_s(failures)
        until = self.store.wall() + lock if lock else 0.0
        self.store.update(dataclasses.replace(tech, failures=failures, locked_until=until))
        if lock:
            return AuthError("locked", f"账户已锁定 account locked for {int(lock)} s", lock)
        return AuthError("refused", "工号或密码错误 wrong technician ID or password")

    def _succeeded(self, tech: Technician, method: str) -> TechSession:
        if tech.failures or tech.locked_until:
            self.store.update(dataclasses.replace(tech, failures=0, locked_until=0.0))
        return self._session(tech, method)

    def actor_of_failed_login(self, typed_id: str) -> str:
        """Who a refused login is recorded as: the ID when it is a known technician's, else a mask
        (what was typed may be a password entered in the wrong field)."""
        try:
            tech = self.store.find(typed_id)
        except AuthError:  # a damaged account file: nothing is known
            tech = None
        return tech.tech_id if tech is not None else UNKNOWN_ACTOR

    def login_password(self, tech_id: str, password: str) -> TechSession:
        tech = self.store.find(tech_id)
        if tech is None:
            self._dummy_check(password)  # same work as a known ID: no ID oracle by timing
            raise AuthError("refused", "工号或密码错误 wrong technician ID or password")
        self._check_lock(tech)
        if not check_password(tech, password):
            raise self._failed(tech)
        return self._succeeded(tech, "password")

    def login_card(self, reader: CardReader, pin: PinBlock) -> TechSession:
        """The technician card in the reader, unlocked by its PIN (the chip checks it)."""
        if not reader.card_present():
            raise AuthError("no_card", "请插入维护卡 insert the technician card")
        card = reader.read_card()
        if not is_technician_card(card):
            raise AuthError("not_technician_card", "不是维护卡 not a technician card")
        assert card is not None
        tech = self.store.find(card.card_no)
        if tech is None or not tech.card_code or not same(tech.card_code, card.card_id_code):
            raise AuthError("card_not_registered", "维护卡未登记 technician card not registered")
        self._check_lock(tech)
        result = reader.verify_pin(pin)
        if result.outcome is PinOutcome.OK:
            return self._succeeded(tech, "card")
        if result.outcome is PinOutcome.LOCKED:
            raise AuthError("card_locked", "维护卡已锁定 the technician card is locked")
        raise self._failed(tech)
