"""The hash-chained audit log: `kiosk audit verify` finds deleted, edited, reordered and forged records."""

from __future__ import annotations

import hashlib
import json
import stat
from pathlib import Path

import pytest

from kiosk.audit import AuditLog, audit_key, verify_file
from kiosk.cli import main
from offline_queue import create_key_file, load_key_file


@pytest.fixture
def kiosk_dir(tmp_path: Path) -> Path:
    data = tmp_path / "kiosk"
    data.mkdir()
    create_key_file(data / "queue.key")
    (tmp_path / "kiosk.toml").write_text(f'[kiosk]\ndata_dir = "{data}"\n', encoding="utf-8")
    log = AuditLog(data / "audit.log", audit_key(load_key_file(data / "queue.key")))
    for i in range(6):
        log.append("technician", "T1001", f"action{i}", "ok", f"detail {i} 350102199003070012 13800000002")
    return data


def _lines(data: Path) -> list[str]:
    return (data / "audit.log").read_text(encoding="utf-8").splitlines(keepends=True)


def _write(data: Path, lines: list[str]) -> None:
    (data / "audit.log").write_text("".join(lines), encoding="utf-8")


def _verify(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> tuple[int, str]:
    rc = main(["audit", "verify", "--config", str(tmp_path / "kiosk.toml")])
    return rc, capsys.readouterr().out


def test_intact_log_verifies_and_is_masked_and_private(kiosk_dir: Path, tmp_path: Path,
                                                       capsys: pytest.CaptureFixture[str]) -> None:
    rc, out = _verify(tmp_path, capsys)
    assert rc == 0 and "6 records" in out
    text = (kiosk_dir / "audit.log").read_text(encoding="utf-8")
    assert "350102199003070012" not in text and "13800000002" not in text
    assert stat.S_IMODE((kiosk_dir / "audit.log").stat().st_mode) == 0o600
    # a reopened log continues the chain
    AuditLog(kiosk_dir / "audit.log", audit_key(load_key_file(kiosk_dir / "queue.key"))).append(
        "technician", "T1001", "again", "ok")
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
    result = verify_file(kiosk_dir / "audit.log", audit_key(load_key_file(kiosk_dir / "queue.key")))
    assert not result.ok and result.bad_line == 5 and result.records == 4
