"""`kiosk queue …` through the real entry point (a subprocess), on a real queue file."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

from offline_queue import Outbox, State

ROOT = Path(__file__).resolve().parents[2]
ID_NUMBER = "350102199003071234"


def _kiosk(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", "from kiosk.cli import main; raise SystemExit(main())", "queue", *args],
        capture_output=True,
        text=True,
        cwd=ROOT,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
        timeout=60,
    )


def test_operator_commands(make_outbox: Callable[..., Outbox], key_path: Path) -> None:
    ob = make_outbox()
    body = json.dumps({"id_number": ID_NUMBER, "name": "陈志强"}, ensure_ascii=False).encode()
    a = ob.enqueue(
        "POST",
        "/v1/cards/loss-report",
        body,
        service="loss_report",
        priority=0,
        ordering_key=ID_NUMBER,
        summary="挂失 3501**********1234",
    )
    b = ob.enqueue("POST", "/v1/persons/contact", body, service="contact_change", ordering_key=ID_NUMBER)
    [item] = ob.claim_due(5)
    ob.mark_dead(item.id, 422, f"HTTP 422 invalid_card: 卡号错误 {ID_NUMBER}")
    db = ["--db", str(ob.path), "--key", str(key_path)]

    st = _kiosk("status", *db, "--json")
    assert st.returncode == 0, st.stderr
    assert json.loads(st.stdout) == {
        "depth": 1,
        "oldest_age_s": json.loads(st.stdout)["oldest_age_s"],
        "dead_letters": 1,
        "bytes": ob.status().bytes,
        "set_aside": 0,
        "flagged_old": 0,
    }
    ls = _kiosk("list", *db, "--json")
    listed = json.loads(ls.stdout)
    assert [i["id"] for i in listed] == [a.id, b.id] and listed[0]["state"] == "dead"
    shown = json.loads(_kiosk("show", str(a.id), *db, "--json").stdout)
    assert shown["summary"] == "挂失 3501**********1234" and shown["status"] == 422
    exported = _kiosk("export-dead", *db, "--json")
    assert json.loads(exported.stdout)[0]["idempotency_key"] == a.idempotency_key
    for out in (st, ls, exported, _kiosk("list", *db)):
        assert ID_NUMBER not in out.stdout + out.stderr and "陈志强" not in out.stdout

    assert json.loads(_kiosk("retry-dead", *db, "--json").stdout) == {"retried": 1}
    assert ob.get(a.id).state == State.PENDING
    ob.claim_due(5)
    ob.mark_dead(a.id, 422, "x")
    r = _kiosk("retry", str(a.id), *db, "--json")
    assert r.returncode == 0 and json.loads(r.stdout)["state"] == "pending"
    assert _kiosk("show", "9999", *db).returncode == 3
    assert _kiosk("flush", *db).returncode == 0


def test_key_file_problems_are_named(make_outbox: Callable[..., Outbox], key_path: Path) -> None:
    ob = make_outbox()
    key_path.chmod(0o644)
    r = _kiosk("status", "--db", str(ob.path), "--key", str(key_path))
    assert r.returncode == 2 and str(key_path) in r.stderr and "0600" in r.stderr
    new_key = key_path.with_name("new.key")
    assert _kiosk("init-key", "--db", str(ob.path), "--key", str(new_key)).returncode == 0
    assert new_key.stat().st_mode & 0o777 == 0o600
    missing = _kiosk("status", "--db", str(key_path.with_name("none.sqlite")), "--key", str(new_key))
    assert missing.returncode == 3 and "none.sqlite" in missing.stderr


def test_paths_and_bounds_from_the_configuration(tmp_path: Path, cipher: object, key_path: Path) -> None:
    from offline_queue import BodyCipher

    assert isinstance(cipher, BodyCipher)
    ob = Outbox(tmp_path / "q.sqlite", cipher)
    ob.enqueue("POST", "/v1/x", b"{}", service="s")
    ob.close()
    cfg = tmp_path / "kiosk.toml"
    cfg.write_text(
        f'[kiosk]\ndata_dir = "{tmp_path}"\n\n[offline]\nqueue_db = "q.sqlite"\nqueue_key_file = "{key_path.name}"\n',
        encoding="utf-8",
    )
    r = _kiosk("status", "--config", str(cfg), "--json")
    assert r.returncode == 0, r.stderr
    assert json.loads(r.stdout)["depth"] == 1
