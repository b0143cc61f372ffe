"""Operator login for the console: users and roles from a config file, signed session cookies, CSRF tokens.

Three levels (regulation art. 37): viewer (reads), operator (handles alarms; sets a kiosk in or out of
service, runs self-tests, collects diagnostics, asks for the stock ledger), admin (also restarts the app and
flushes queues). Roles are checked on the server for every request; the page only hides what a role cannot do.
A duty is given apart from the role: ``review`` (the 户口簿 review desk, central_sim/reviews.py) is the social
security agency's work, not the fleet's, so no role includes it.

Config (JSON, path in $CENTRAL_SIM_CONSOLE_CONFIG)::

    {"secret": "<random hex>", "users": [{"name": "wang", "role": "operator",
      "password": "pbkdf2_sha256$<iterations>$<salt hex>$<hash hex>"},
      {"name": "lin", "role": "viewer", "duties": ["review"], "password": "…"}], "sites": "sites.json"}

``python -m central_sim.console.auth PASSWORD`` prints a password entry.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import os
import secrets
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

ROLES = ("viewer", "operator", "admin")
DUTIES = ("review",)
SESSION_COOKIE = "sscard_console"
SESSION_S = 8 * 3600
ITERATIONS = 200_000
CONFIG_ENV = "CENTRAL_SIM_CONSOLE_CONFIG"


def hash_password(password: str, *, iterations: int = ITERATIONS, salt: bytes | None = None) -> str:
    salt = salt or secrets.token_bytes(16)
    digest = hashlib.pbkdf2_hmac("sha256", password.encode("utf-8"), salt, iterations)
    return f"pbkdf2_sha256${iterations}${salt.hex()}${digest.hex()}"


def check_password(password: str, stored: str) -> bool:
    try:
        scheme, iterations, salt, digest = stored.split("$")
        if scheme != "pbkdf2_sha256":
            return False
        got = hashlib.pbkdf2_hmac("sha256", password.encode("utf-8"), bytes.fromhex(salt), int(iterations))
    except ValueError:
        return False
    return hmac.compare_digest(got.hex(), digest)


@dataclass(frozen=True)
class Operator:
    name: str
    role: str
    duties: frozenset[str] = frozenset()

    def can(self, needed: str) -> bool:
        return ROLES.index(self.role) >= ROLES.index(needed)


@dataclass
class ConsoleConfig:
    secret: bytes
    users: dict[str, tuple[str, str]] = field(default_factory=dict)  # name → (role, password hash)
    sites_file: str = ""
    duties: dict[str, frozenset[str]] = field(default_factory=dict)  # name → duties beyond the role

    @classmethod
    def load(cls, path: str | None = None) -> ConsoleConfig:
        """From ``path`` or $CENTRAL_SIM_CONSOLE_CONFIG; without one, nobody can log in (read-only is not offered)."""
        path = path or os.environ.get(CONFIG_ENV, "")
        if not path:
            return cls(secrets.token_bytes(32))
        data = json.loads(Path(path).read_text(encoding="utf-8"))
        users, duties = {}, {}
        for u in data.get("users", []):
            if u.get("role") not in ROLES:
                raise ValueError(f"console user {u.get('name')!r}: role must be one of {', '.join(ROLES)}")
            given = u.get("duties", [])
            if not isinstance(given, list) or not set(given) <= set(DUTIES):
                raise ValueError(f"console user {u.get('name')!r}: duties must be a list of {', '.join(DUTIES)}")
            users[str(u["name"])] = (str(u["role"]), str(u["password"]))
            duties[str(u["name"])] = frozenset(given)
        secret = bytes.fromhex(data["secret"]) if data.get("secret") else secrets.token_bytes(32)
        sites = str(data.get("sites", ""))
        if sites and not Path(sites).is_absolute():
            sites = str(Path(path).parent / sites)
        return cls(secret, users, sites, duties)

    def login(self, name: str, password: str) -> Operator | None:
        entry = self.users.get(name)
        if entry is None:
            check_password(password, hash_password("x", iterations=ITERATIONS))  # same cost for unknown names
            return None
        return Operator(name, entry[0], self.duties.get(name, frozenset())) if check_password(password, entry[1]) \
            else None

    def _sign(self, payload: str) -> str:
        return hmac.new(self.secret, payload.encode("utf-8"), hashlib.sha256).hexdigest()

    def session(self, op: Operator, now: float | None = None) -> str:
        payload = f"{op.name}|{op.role}|{int((now or time.time()) + SESSION_S)}"
        return f"{payload}|{self._sign(payload)}"

    def operator(self, cookie: str | None, now: float | None = None) -> Operator | None:
        """The operator a session cookie names, if its signature holds, it has not expired and the user still
        exists with that role (a changed config ends the session)."""
        if not cookie or cookie.count("|") != 3:
            return None
        payload, signature = cookie.rsplit("|", 1)
        if not hmac.compare_digest(self._sign(payload), signature):
            return None
        name, role, expires = payload.split("|")
        if not expires.isdigit() or int(expires) < (now or time.time()):
            return None
        entry = self.users.get(name)
        if entry is None or entry[0] != role:
            return None
        return Operator(name, role, self.duties.get(name, frozenset()))  # duties as the config says now

    def csrf(self, cookie: str) -> str:
        return self._sign("csrf|" + cookie)[:32]


if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit("usage: python -m central_sim.console.auth PASSWORD")
    print(hash_password(sys.argv[1]))
