"""Fuzzing the parsers nobody else fuzzes: the central client's response handling (every response
model, through the real client code), the configuration loader, and the maintenance side's own
readers (audit log, log viewer, technician accounts). Only the documented errors may come out.

Each parser gets 3,000 cases (10,000 under `make fuzz`) from a seeded generator (valid-looking
bodies with fields dropped, added, retyped, control and right-to-left characters, oversized
strings, plus random bytes) and a shorter hypothesis run that shrinks what it finds. The device
parsers (ID reader frames and text, PIN pad frames, ESC/POS, Evolis, APDUs) are fuzzed by their
own tests in tests/hal.
"""

from __future__ import annotations

import json
import os
import random
import string
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pydantic import BaseModel

from kiosk.audit import AuditLog, verify_file
from kiosk.central import models
from kiosk.central import requests as rq
from kiosk.central.client import CentralClient
from kiosk.central.errors import CentralError
from kiosk.config import Config, ConfigError, load_config
from kiosk.maintenance.auth import AuthError, TechnicianStore
from kiosk.maintenance.config_edit import dump_toml, flatten
from kiosk.maintenance.logs_view import read_logs

# 3,000 seeded cases per reader in the suite; `make fuzz` runs 10,000.
N = int(os.environ.get("FUZZ_CASES", "3000"))
SHORT = settings(max_examples=300, deadline=None, database=None,
                 suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])

MODELS: list[type[BaseModel]] = sorted(
    (v for v in vars(models).values() if isinstance(v, type) and issubclass(v, BaseModel)
     and v.__module__ == models.__name__ and not v.__name__.startswith("_")), key=lambda m: m.__name__)
FIELD_NAMES = sorted({name for m in MODELS for name in m.model_fields})
CONFIG_KEYS = sorted(flatten(Config()))
NASTY = ["\u202e", "\u200f", "\u2066", "\x00", "\x1b[2J", "\r\n", "\ufeff", "𠮷", "\x7f", "张\u0301"]
HUGE = "A" * 70_000
WORDS = ["ok", "normal", "approved", "in_service", "employee", "none", "2026-01-01T00:00:00+08:00", "350100",
         "A10000002", "sim", "http://127.0.0.1:1", "zh", "external"]


# ---- a seeded generator of hostile JSON --------------------------------------------------------
def _leaf(r: random.Random) -> Any:
    k = r.randrange(9)
    if k == 0:
        return None
    if k == 1:
        return r.random() < 0.5
    if k == 2:
        return r.choice([0, -1, 2**31, 2**64, -(2**70), 10**400 // 10**300])
    if k == 3:
        return r.choice([0.5, -1e308, 1e-308, float("inf")])
    if k == 4:
        return r.choice(WORDS)
    if k == 5:
        return r.choice(WORDS) + (HUGE if r.random() < 0.01 else r.choice(NASTY)) + r.choice(WORDS)
    if k == 6:
        return "".join(chr(r.randrange(0x20000)) for _ in range(r.randrange(12))).encode(
            "utf-8", "replace").decode("utf-8", "replace")
    return "".join(r.choice(string.printable) for _ in range(r.randrange(20)))


def _value(r: random.Random, depth: int = 0) -> Any:
    k = r.randrange(10)
    if depth < 3 and k < 2:
        return [_value(r, depth + 1) for _ in range(r.randrange(3))]
    if depth < 3 and k < 3:
        return _object(r, depth + 1)
    return _leaf(r)


def _object(r: random.Random, depth: int = 0, keys: list[str] = FIELD_NAMES) -> dict[str, Any]:
    out = {r.choice(keys) if r.random() < 0.85 else _leaf(r) if r.random() < 0.5 else "x": _value(r, depth)
           for _ in range(r.randrange(9 - 2 * depth))}
    return {str(k): v for k, v in out.items()}


def _body(r: random.Random) -> bytes:
    k = r.randrange(10)
    if k == 0:
        return r.randbytes(r.randrange(64))
    if k == 1:
        return r.choice([b"", b"{", b"[" * 500 + b"]" * 500, b'{"a":1e999999}', b"\xff\xfe{}", b"null", b"[]"])
    doc: Any = _object(r) if k < 8 else _value(r)
    return json.dumps(doc, ensure_ascii=r.random() < 0.5, allow_nan=True).encode("utf-8", "surrogatepass")


def cases(seed: str, make: Callable[[random.Random], Any], n: int = N) -> Iterator[Any]:
    r = random.Random(seed)
    for _ in range(n):
        yield make(r)


def test_models_cover_the_contract_and_the_generator_is_hostile() -> None:
    assert len(MODELS) >= 20 and "status" in FIELD_NAMES and "cards" in FIELD_NAMES
    bodies = list(cases("probe", _body, 2000))
    assert any(b"\\u202e" in b or "\u202e".encode() in b for b in bodies) and any(len(b) > 60_000 for b in bodies)


# ---- the central's responses --------------------------------------------------------------------
@pytest.fixture(scope="module")
def client_and_box() -> Iterator[tuple[CentralClient, dict[str, Any]]]:
    box: dict[str, Any] = {}

    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(box["status"], content=box["body"], headers={"Content-Type": "application/json"})

    client = CentralClient("http://127.0.0.1:9", "FZ-FUZZ-1", transport=httpx.MockTransport(handler))
    yield client, box
    client.close()


def _fuzz_request(model: type[BaseModel]) -> rq.Request[BaseModel, BaseModel]:
    """A row like the request table's, answering with ``model`` (the table's rows are checked elsewhere)."""
    return rq.Request("fuzz", "POST", "/v1/fuzz", None, model, rq.Route.DIRECT)


def _one_response(client: CentralClient, box: dict[str, Any], model: type[BaseModel], status: int,
                  body: bytes) -> bool:
    box["status"], box["body"] = status, body
    try:
        got = client.call(_fuzz_request(model), None)
    except CentralError:
        return False
    assert isinstance(got, model) and status < 300
    return True


STATUSES = [200, 200, 200, 201, 400, 401, 404, 409, 422, 500, 503]


def test_central_responses_parse_or_fail_with_a_typed_error(client_and_box: Any) -> None:
    client, box = client_and_box
    parsed = 0
    for model, status, body in cases("central", lambda r: (r.choice(MODELS), r.choice(STATUSES), _body(r))):
        parsed += _one_response(client, box, model, status, body)
    assert parsed > N // 200  # some bodies do validate (the fuzz is not all noise)


@SHORT
@given(model=st.sampled_from(MODELS), status=st.sampled_from(STATUSES),
       body=st.recursive(st.one_of(st.none(), st.booleans(), st.integers(), st.text(max_size=30)),
                         lambda inner: st.one_of(st.lists(inner, max_size=4), st.dictionaries(
                             st.one_of(st.sampled_from(FIELD_NAMES), st.text(max_size=5)), inner, max_size=8)),
                         max_leaves=20))
def test_central_responses_shrinkable(client_and_box: Any, model: type[BaseModel], status: int, body: Any) -> None:
    client, box = client_and_box
    _one_response(client, box, model, status, json.dumps(body).encode())


@pytest.mark.parametrize("status", [200, 500])
def test_deeply_nested_central_response_is_a_protocol_error(client_and_box: Any, status: int) -> None:
    client, box = client_and_box
    box["status"], box["body"] = status, b"[" * 100_000 + b"]" * 100_000
    with pytest.raises(CentralError):
        client.call(_fuzz_request(models.Health), None)


# ---- the configuration loader ---------------------------------------------------------------------
def _table(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    table: dict[str, Any] = {}
    for key, value in pairs:
        node = table
        parts = key.split(".")
        for part in parts[:-1]:
            nxt = node.setdefault(part, {})
            if not isinstance(nxt, dict):
                break
            node = nxt
        else:
            node[parts[-1]] = value
    return table


def _config_text(r: random.Random) -> str:
    if r.random() < 0.1:
        return "".join(r.choice(string.printable + "[]=\"'\u202e") for _ in range(r.randrange(80)))
    keys = [*CONFIG_KEYS, "kiosk", "devices.camera", "x.y", "devices.camera.driver.z"]
    pairs = [(r.choice(keys), _leaf(r) if r.random() < 0.9 else _object(r, 3, ["a"]))
             for _ in range(r.randrange(8))]
    clean = [(k, v) for k, v in pairs if v is not None and v != float("inf")]
    return dump_toml(_table(clean))


def _load(path: Path, text: str) -> None:
    path.write_bytes(text.encode("utf-8", "surrogatepass"))
    try:
        cfg = load_config(path)
    except ConfigError as exc:
        assert exc.key
        return
    assert isinstance(cfg, Config)


def test_config_loader_accepts_or_names_the_key(tmp_path: Path) -> None:
    for text in cases("config", _config_text):
        _load(tmp_path / "fuzz.toml", text)


@SHORT
@given(text=st.text(max_size=200))
def test_config_loader_shrinkable(tmp_path: Path, text: str) -> None:
    _load(tmp_path / "fuzz.toml", text)


# ---- the maintenance side's own readers -----------------------------------------------------------
def _damaged_file(r: random.Random) -> bytes:
    lines = [_body(r) if r.random() < 0.7 else json.dumps({"seq": r.randrange(3), "prev": "0" * 64, "hash": "x",
                                                           "ts": _leaf(r), "level": r.choice([*WORDS, "info"])}
                                                          ).encode() for _ in range(r.randrange(4))]
    return b"\n".join(lines) + (r.randbytes(r.randrange(16)) if r.random() < 0.3 else b"")


def test_audit_verify_and_log_viewer_never_crash_on_a_damaged_file(tmp_path: Path) -> None:
    path = tmp_path / "f.log"
    broken = 0
    for blob in cases("files", _damaged_file):
        path.write_bytes(blob)
        result = verify_file(path, b"k" * 32)
        broken += not result.ok
        assert result.records >= 0
        AuditLog(path, b"k" * 32).records()
        for entry in read_logs(path, limit=50):
            assert isinstance(entry.line(), str)
    assert broken > N // 2


def test_damaged_technician_file_refuses_logins_cleanly(tmp_path: Path) -> None:
    path = tmp_path / "technicians.json"
    store = TechnicianStore(path, n=2**4)
    refused = 0
    for doc in cases("techs", lambda r: r.choice([_value(r), {"technicians": _object(r)},
                                                  {"technicians": {"T1": _object(r)}}])):
        path.write_text(json.dumps(doc, ensure_ascii=False), encoding="utf-8", errors="surrogatepass")
        try:
            assert isinstance(store.load(), dict)
        except AuthError as exc:
            assert exc.code == "accounts_unreadable"
            refused += 1
    assert refused > 100


@pytest.mark.parametrize("status", [200, 500])
def test_oversized_central_response_is_refused(client_and_box: Any, status: int) -> None:
    client, box = client_and_box
    box["status"], box["body"] = status, b'{"status":"ok","server_time":"' + b"x" * (5 * 1024 * 1024) + b'"}'
    with pytest.raises(CentralError) as err:
        client.call(rq.HEALTH, None)
    assert err.value.code == "response_too_large"
