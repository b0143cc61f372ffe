"""The hash-chained audit log: `kiosk audit verify` finds deleted, edited, reordered and forged records;
against the heads the central anchored (a real central_sim on loopback) also a cut tail and a chain
rebuilt with the key from the kiosk's own disk; `kiosk audit show` survives damaged lines."""

from __future__ import annotations

import hashlib
import json
import stat
from collections.abc import Callable, Iterator
from pathlib import Path

import httpx
import pytest

from central_sim.server import ServerHandle, run_in_thread
from kiosk.alarms import KioskEvent
from kiosk.audit import GENESIS, AuditLog, _digest, audit_key, open_audit_log, verify_file
from kiosk.central.client import CentralClient
from kiosk.central.events import EventUploader
from kiosk.cli import main
from kiosk.config import load_config
from kiosk.runtime import Runtime
from kiosk.sync import make_heartbeat
from offline_queue import BodyCipher, Outbox, create_key_file, load_key_file
from tests.maintenance.conftest import STAFF, central_rows, eventually

KIOSK = "FZ-TEST-0042"


@pytest.fixture
def kiosk_dir(tmp_path: Path) -> Path:
    data = tmp_path / "kiosk"
    data.mkdir()
    create_key_file(data / "queue.key")
    (tmp_path / "kiosk.toml").write_text(f'[kiosk]\ndata_dir = "{data}"\n', encoding="utf-8")
    log = _open(data)
    for i in range(6):
        log.append("technician", "T1001", f"action{i}", "ok", f"detail {i} 350102199003070012 13800000002")
    return data


def _open(data: Path) -> AuditLog:
    return open_audit_log(data / "audit.log", data / "audit.key", load_key_file(data / "queue.key"))


def _lines(data: Path) -> list[str]:
    return (data / "audit.log").read_text(encoding="utf-8").splitlines(keepends=True)


def _write(data: Path, lines: list[str]) -> None:
    (data / "audit.log").write_text("".join(lines), encoding="utf-8")


def _verify(tmp_path: Path, capsys: pytest.CaptureFixture[str], *extra: str) -> tuple[int, str]:
    rc = main(["audit", "verify", "--config", str(tmp_path / "kiosk.toml"), *(extra or ("--offline",))])
    return rc, capsys.readouterr().out


def test_intact_log_verifies_and_is_masked_and_private(kiosk_dir: Path, tmp_path: Path,
                                                       capsys: pytest.CaptureFixture[str]) -> None:
    rc, out = _verify(tmp_path, capsys)
    assert rc == 0 and "6 records" in out and "not checked against the central" in out
    text = (kiosk_dir / "audit.log").read_text(encoding="utf-8")
    assert "350102199003070012" not in text and "13800000002" not in text
    assert stat.S_IMODE((kiosk_dir / "audit.log").stat().st_mode) == 0o600
    assert stat.S_IMODE((kiosk_dir / "audit.key").stat().st_mode) == 0o600  # its own key, a secret like the others
    assert load_key_file(kiosk_dir / "audit.key") != audit_key(load_key_file(kiosk_dir / "queue.key"))
    # a reopened log continues the chain
    _open(kiosk_dir).append("technician", "T1001", "again", "ok")
    assert _verify(tmp_path, capsys)[0] == 0


@pytest.mark.parametrize("tamper", ["delete", "edit", "reorder", "insert_copy", "forge_unkeyed"])
def test_tampering_is_detected(kiosk_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str],
                               tamper: str) -> None:
    lines = _lines(kiosk_dir)
    if tamper == "delete":
        del lines[2]
    elif tamper == "edit":
        rec = json.loads(lines[3])
        rec["outcome"] = "failed"
        lines[3] = json.dumps(rec, ensure_ascii=False, separators=(",", ":")) + "\n"
    elif tamper == "reorder":
        lines[1], lines[4] = lines[4], lines[1]
    elif tamper == "insert_copy":
        lines.insert(3, lines[2])
    else:  # rebuild the whole chain with plain SHA-256: without the key it cannot match
        prev = "0" * 64
        forged = []
        for line in lines:
            rec = json.loads(line)
            rec["prev"] = prev
            rec.pop("hash")
            rec["hash"] = prev = hashlib.sha256(json.dumps(rec, sort_keys=True).encode()).hexdigest()
            forged.append(json.dumps(rec) + "\n")
        lines = forged
    _write(kiosk_dir, lines)
    rc, out = _verify(tmp_path, capsys)
    assert rc == 1 and "broken" in out


def test_verify_reports_the_first_bad_line(kiosk_dir: Path) -> None:
    lines = _lines(kiosk_dir)
    del lines[4]
    _write(kiosk_dir, lines)
    result = verify_file(kiosk_dir / "audit.log", load_key_file(kiosk_dir / "audit.key"))
    assert not result.ok and result.bad_line == 5 and result.records == 4


def _resign(lines: list[str], key: bytes, *, keep_k: bool = True) -> list[str]:
    """Rebuild a consistent chain with ``key``, as someone holding that key would."""
    prev, out = GENESIS, []
    for line in lines:
        rec = json.loads(line)
        rec.pop("hash")
        if not keep_k:
            rec.pop("k", None)
            rec.pop("legacy_until", None)
        rec["prev"] = prev
        rec["hash"] = prev = _digest(key, rec)
        out.append(json.dumps(rec, ensure_ascii=False, separators=(",", ":")) + "\n")
    return out


@pytest.mark.parametrize("keep_k", [True, False])
def test_the_queue_key_no_longer_forges_the_chain(kiosk_dir: Path, tmp_path: Path,
                                                  capsys: pytest.CaptureFixture[str], keep_k: bool) -> None:
    lines = _lines(kiosk_dir)
    rec = json.loads(lines[3])
    rec["outcome"] = "failed"
    lines[3] = json.dumps(rec) + "\n"
    # Signed as the old code did (key derived from the queue key), with or without the key version mark.
    _write(kiosk_dir, _resign(lines, audit_key(load_key_file(kiosk_dir / "queue.key")), keep_k=keep_k))
    rc, out = _verify(tmp_path, capsys)
    assert rc == 1 and "broken" in out


def _legacy_log(path: Path, queue_key: bytes, n: int) -> None:
    """A log as the code before the audit key wrote it (no "k", keyed from the queue key)."""
    prev, lines = GENESIS, []
    for i in range(1, n + 1):
        rec = {"seq": i, "at": "2026-01-01T00:00:00+08:00", "kind": "technician", "actor": "T1", "action": f"a{i}",
               "outcome": "ok", "detail": "", "prev": prev}
        rec["hash"] = prev = _digest(audit_key(queue_key), rec)
        lines.append(json.dumps(rec) + "\n")
    path.write_text("".join(lines), encoding="utf-8")


def test_a_log_from_before_the_audit_key_still_verifies_and_is_sealed(tmp_path: Path,
                                                                      capsys: pytest.CaptureFixture[str]) -> None:
    data = tmp_path / "kiosk"
    data.mkdir()
    queue_key = create_key_file(data / "queue.key")
    (tmp_path / "kiosk.toml").write_text(f'[kiosk]\ndata_dir = "{data}"\n', encoding="utf-8")
    _legacy_log(data / "audit.log", queue_key, 3)
    log = _open(data)  # the upgrade: audit.key is made and the old records are sealed
    assert log.records()[-1]["legacy_until"] == 3 and (data / "audit.key").exists()
    log.append("technician", "T1", "new", "ok")
    rc, out = _verify(tmp_path, capsys)
    assert rc == 0 and "5 records" in out
    # Rebuilt all in the old style with the queue key alone: the seal is missing, it does not verify.
    _write(data, _resign(_lines(data), audit_key(queue_key), keep_k=False))
    assert _verify(tmp_path, capsys)[0] == 1


@pytest.mark.parametrize("damage", [b"\x00\xff\xfe garbage \x1b[31m\n", b"\xe4\xb8", b"[1,2,3]\n",
                                    b"{\"seq\": 7, \"at\""])
def test_show_never_crashes_on_a_damaged_line(kiosk_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                              damage: bytes) -> None:
    with (kiosk_dir / "audit.log").open("ab") as fh:
        fh.write(damage)  # garbage, a torn UTF-8 sequence, valid JSON of another shape, a cut last line
    rc = main(["audit", "show", "--config", str(tmp_path / "kiosk.toml")])
    out = capsys.readouterr().out
    assert rc == 0 and "damaged line" in out and "action5" in out and "\x1b" not in out
    assert _verify(tmp_path, capsys)[0] == 1  # verify names it


def test_a_damaged_byte_in_a_hash_is_a_broken_record_not_a_crash(kiosk_dir: Path, tmp_path: Path,
                                                                   capsys: pytest.CaptureFixture[str]) -> None:
    raw = bytearray((kiosk_dir / "audit.log").read_bytes())
    at = raw.index(b'"hash":"') + len(b'"hash":"')
    raw[at] = 0xFF  # not UTF-8: read as U+FFFD, not ASCII
    (kiosk_dir / "audit.log").write_bytes(bytes(raw))
    rc, out = _verify(tmp_path, capsys)
    assert rc == 1 and "line 1" in out


# ---- anchored at the central -------------------------------------------------------------------


@pytest.fixture
def central(tmp_path: Path) -> Iterator[ServerHandle]:
    handle = run_in_thread(str(tmp_path / "central.sqlite"), port=0, seed=False)
    yield handle
    handle.stop()


@pytest.fixture
def online(kiosk_dir: Path, tmp_path: Path, central: ServerHandle) -> Iterator[Callable[[], None]]:
    """The kiosk's configuration pointing at the central; returns "send one heartbeat now"."""
    (tmp_path / "kiosk.toml").write_text(f'[kiosk]\nid = "{KIOSK}"\ndata_dir = "{kiosk_dir}"\n'
                                         f'[central]\nurl = "{central.url}"\n', encoding="utf-8")
    cfg = load_config(str(tmp_path / "kiosk.toml"))
    client = CentralClient.from_config(cfg)
    outbox = Outbox(kiosk_dir / "queue.sqlite", BodyCipher(load_key_file(kiosk_dir / "queue.key")))
    hb = make_heartbeat(cfg, client, lambda: {"mode": "in_service"}, lambda: True, outbox)

    def beat() -> None:
        assert hb.send_now()
        central.central.heartbeats.flush()

    yield beat
    outbox.close()
    client.close()


def _monitor(central: ServerHandle) -> str:
    return httpx.get(central.url + "/monitor").text


def test_a_cut_tail_is_found_online_and_flagged_at_the_central(
    kiosk_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str], central: ServerHandle,
    online: Callable[[], None],
) -> None:
    online()
    rc, out = _verify(tmp_path, capsys, "--config", str(tmp_path / "kiosk.toml"))
    assert rc == 0 and "agreeing with the 1 heads anchored at the central" in out
    assert "#6" in _monitor(central)
    _write(kiosk_dir, _lines(kiosk_dir)[:-2])  # the last two records cut off
    rc, out = _verify(tmp_path, capsys, "--offline")
    assert rc == 0 and "not checked against the central" in out  # locally it cannot be seen …
    rc, out = _verify(tmp_path, capsys, "--config", str(tmp_path / "kiosk.toml"))
    assert rc == 1 and "truncated: the central anchored record 6, the log ends at record 4" in out  # … online it is
    online()  # the next heartbeat reports head 4 after 6: the central flags the kiosk
    page = _monitor(central)
    assert "审计链异常" in page and "rewound" in page
    rc, out = _verify(tmp_path, capsys, "--config", str(tmp_path / "kiosk.toml"))
    assert rc == 1 and "the central flagged" in out


def test_a_chain_rebuilt_with_the_key_on_disk_is_found_online_and_flagged(
    kiosk_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str], central: ServerHandle,
    online: Callable[[], None],
) -> None:
    online()
    lines = _lines(kiosk_dir)
    rec = json.loads(lines[2])
    rec["outcome"] = "denied"
    lines[2] = json.dumps(rec) + "\n"
    _write(kiosk_dir, _resign(lines, load_key_file(kiosk_dir / "audit.key")))  # the key is on the same disk
    assert _verify(tmp_path, capsys, "--offline")[0] == 0  # a consistent chain: locally undetectable
    rc, out = _verify(tmp_path, capsys, "--config", str(tmp_path / "kiosk.toml"))
    assert rc == 1 and "forked: record 6 differs" in out
    online()  # same seq, another hash
    assert "forked" in _monitor(central)


def test_technician_events_anchor_heads_and_a_late_event_is_no_rewind(
    kiosk_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str], central: ServerHandle,
    online: Callable[[], None],
) -> None:
    cfg = load_config(str(tmp_path / "kiosk.toml"))
    log = _open(kiosk_dir)
    with CentralClient.from_config(cfg) as client:
        uploader = EventUploader.direct(client)
        for i in range(2):
            rec = log.append("technician", "T1001", f"later{i}", "ok")
            uploader.observe(KioskEvent("technician_action", f"later{i}", "info", "T1001: ok",
                                        audit={"seq": rec["seq"], "head": rec["hash"]}))
        assert uploader.flush() == 2
        online()
        # an old event delivered late (it waited in the queue) carries an older head: no alarm
        old = log.records()[2]
        uploader.observe(KioskEvent("technician_action", "old", "info", "T1001: ok",
                                    audit={"seq": old["seq"], "head": old["hash"]}))
        assert uploader.flush() == 1
    rc, out = _verify(tmp_path, capsys, "--config", str(tmp_path / "kiosk.toml"))
    assert rc == 0 and "agreeing with the 3 heads" in out
    assert "审计链异常" not in _monitor(central)


def test_a_technician_action_carries_its_audit_head_through_the_event_stream(
    runtime: Runtime, central: ServerHandle
) -> None:
    seen: list[KioskEvent] = []
    runtime.events.subscribe(seen.append)
    svc = runtime.maintenance
    svc.login_password(*STAFF)
    svc.logout()
    records = {r["seq"]: r["hash"] for r in svc.audit.records()}
    actions = [e for e in seen if e.type == "technician_action"]
    assert len(actions) == 2 and all(e.audit is not None and records[e.audit["seq"]] == e.audit["head"]
                                     for e in actions)
    last = max(records)
    anchored = eventually(lambda: central_rows(central, "SELECT head FROM audit_anchors WHERE kiosk_id = ? AND seq = ?",
                                               runtime.cfg.kiosk.id, last) or None, timeout=15)
    assert anchored == [{"head": records[last]}]


@pytest.mark.parametrize("audit", [{"seq": -1, "head": "a" * 64}, {"seq": 1, "head": "A" * 64},
                                   {"seq": 1, "head": "a" * 63}, {"seq": True, "head": "a" * 64}, "x"])
def test_the_central_refuses_a_malformed_audit_object(central: ServerHandle, audit: object) -> None:
    body = {"kiosk_id": KIOSK, "seq": 1, "mode": "in_service", "audit": audit}
    r = httpx.post(f"{central.url}/v1/kiosks/{KIOSK}/heartbeat", json=body, headers={"X-Kiosk-Id": KIOSK})
    assert r.status_code == 422 and "invalid_audit" in r.text  # the contract: 422 with the field named
