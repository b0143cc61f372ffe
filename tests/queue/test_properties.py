"""Property tests: whatever bytes a damaged or hostile disk holds, the queue answers with its
documented outcomes only — a stored row decodes or becomes a dead letter / set-aside item, a
blob opens or raises BodyUnreadable, a database file opens or raises QueueWriteError/SchemaTooNew,
a write-ahead log reads as a WalReport."""

from __future__ import annotations

import functools
import os
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from offline_queue import BodyCipher, Outbox, QueueWriteError, SchemaTooNew, State
from offline_queue.crypto import AD_V1, AD_V2, KEY_LEN, BodyUnreadable
from offline_queue.integrity import WalReport, _scan

PROPS = settings(max_examples=200, deadline=None, database=None,
                 suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
CIPHER = BodyCipher(bytes(range(KEY_LEN)))

sql_present = st.one_of(st.integers(-(2**63), 2**63 - 1), st.floats(allow_nan=False), st.text(max_size=40),
                        st.binary(max_size=80))
sql_value = st.one_of(st.none(), sql_present)


@pytest.fixture(scope="module")
def scratch() -> Iterator[Path]:
    d = Path(tempfile.mkdtemp(prefix="oq-props-"))
    yield d
    shutil.rmtree(d, ignore_errors=True)


@PROPS
@given(item_id=st.integers(-(2**63), 2**63 - 1), key=st.text(max_size=40), method=st.text(max_size=8),
       path=st.text(max_size=40), blob=st.binary(max_size=200), key_id=st.one_of(st.none(), st.binary(max_size=12)),
       version=st.integers(0, 3))
def test_any_blob_opens_or_raises_body_unreadable(item_id: int, key: str, method: str, path: str, blob: bytes,
                                                   key_id: bytes | None, version: int) -> None:
    try:
        CIPHER.decrypt(item_id, key, blob, key_id, method, path, version)
    except BodyUnreadable as exc:
        assert exc.reason
    else:
        raise AssertionError("random bytes authenticated")


@PROPS
@given(body=st.binary(max_size=300), key=st.text(max_size=40), method=st.text(max_size=8), path=st.text(max_size=60),
       item_id=st.integers(0, 2**40))
def test_a_sealed_body_opens_only_for_its_own_row(body: bytes, key: str, method: str, path: str, item_id: int) -> None:
    blob = CIPHER.encrypt(item_id, key, body, method, path)
    assert CIPHER.decrypt(item_id, key, blob, CIPHER.key_id, method, path, AD_V2) == body
    for other in ((item_id + 1, key, method, path), (item_id, key + "x", method, path),
                  (item_id, key, method + "x", path), (item_id, key, method, path + "x")):
        with pytest.raises(BodyUnreadable):
            CIPHER.decrypt(*other[:2], blob, CIPHER.key_id, *other[2:], AD_V2)
    with pytest.raises(BodyUnreadable):
        CIPHER.decrypt(item_id, key, blob, CIPHER.key_id, method, path, AD_V1)


@PROPS
@given(values=st.fixed_dictionaries({"idempotency_key": sql_present, "method": sql_present, "path": sql_present,
                                     "body": sql_value, "key_id": sql_value}))
def test_a_damaged_stored_row_is_never_delivered_and_never_stops_the_queue(
    scratch: Path, values: dict[str, object]
) -> None:
    db = scratch / f"row-{os.urandom(6).hex()}.sqlite"
    ob = Outbox(db, CIPHER)
    try:
        good = ob.enqueue("POST", "/v1/x", b"{}", service="s")
        bad = ob.enqueue("POST", "/v1/x", b'{"n": 1}', service="s")
        sets = ", ".join(f"{k} = ?" for k in values)
        ob._conn.execute(f"UPDATE items SET {sets} WHERE id = ?", (*values.values(), bad.id))
        claimed = {i.id: i for i in ob.claim_due(10)}
        assert good.id in claimed
        if bad.id in claimed:  # only if the row still holds exactly what was sealed
            assert claimed[bad.id].body == b'{"n": 1}' and claimed[bad.id].path == "/v1/x"
        else:
            assert ob.get(bad.id).state in (State.DEAD, State.SET_ASIDE)
    finally:
        ob.close()
    reopened = Outbox(db, CIPHER)  # and the start-up check copes with it too
    reopened.close()
    for f in scratch.glob(f"{db.name}*"):
        f.unlink()


@functools.cache
def _sound_db() -> bytes:
    with tempfile.TemporaryDirectory() as d:
        db = Path(d) / "sound.sqlite"
        ob = Outbox(db, CIPHER)
        for i in range(20):
            ob.enqueue("POST", "/v1/x", os.urandom(300 + 50 * i), service="s", ordering_key=f"k{i % 3}")
        ob.close()
        return db.read_bytes()


@PROPS
@given(data=st.data())
def test_any_database_file_opens_or_raises_a_documented_error(scratch: Path, data: st.DataObject) -> None:
    sound_db = _sound_db()
    kind = data.draw(st.sampled_from(["random", "flipped", "cut"]))
    if kind == "random":
        raw = data.draw(st.binary(max_size=8192))
    elif kind == "flipped":
        flipped = bytearray(sound_db)
        for _ in range(data.draw(st.integers(1, 8))):
            flipped[data.draw(st.integers(0, len(flipped) - 1))] ^= data.draw(st.integers(1, 255))
        raw = bytes(flipped)
    else:
        raw = sound_db[: data.draw(st.integers(0, len(sound_db)))]
    db = scratch / f"any-{os.urandom(6).hex()}.sqlite"
    db.write_bytes(raw)
    try:
        ob = Outbox(db, CIPHER)
    except (QueueWriteError, SchemaTooNew):
        pass
    else:
        try:  # what opened answers its operator surface with documented errors only
            ob.status()
            ob.list_items()
            ob.claim_due(50)
        except QueueWriteError:
            pass
        finally:
            ob.close()
    for f in scratch.glob(f"{db.name}*"):
        f.unlink()


@PROPS
@given(raw=st.binary(max_size=5000))
def test_any_wal_bytes_read_as_a_report(raw: bytes) -> None:
    report = _scan(raw)
    assert isinstance(report, WalReport) and 0 <= report.ignored_bytes <= len(raw) and report.valid_frames >= 0


def test_a_schema_damaged_so_id_is_no_longer_the_rowid_is_refused_and_left_as_it_is(tmp_path: Path) -> None:
    """Found by the property above: one flipped bit turns ``id INTEGER PRIMARY KEY`` into
    ``id HNTEGER PRIMARY KEY``; ``id`` is then no longer the rowid and reads NULL in every row.
    The start-up check compared NULL with an int (TypeError) instead of reporting the damage."""
    raw = _sound_db()
    at = raw.index(b"id INTEGER PRIMARY KEY")
    damaged = raw[:at + 3] + b"H" + raw[at + 4:]
    db = tmp_path / "damaged.sqlite"
    db.write_bytes(damaged)
    with pytest.raises(QueueWriteError, match="id is declared"):
        Outbox(db, CIPHER)
    assert db.read_bytes() == damaged  # kept for recovery, nothing rewritten
