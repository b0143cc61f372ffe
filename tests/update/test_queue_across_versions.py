"""Transactions queued by release N are delivered by release N+1, running from its releases/ directory."""

from __future__ import annotations

import json
import shutil
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from central_sim.release.artifact import build
from kiosk.update import releases
from kiosk.update.lifecycle import Lifecycle, QueueCheck
from kiosk.update.settings import UpdateSettings
from offline_queue import Outbox
from offline_queue.crypto import BodyCipher, create_key_file, load_key_file
from offline_queue.migrations import CURRENT_VERSION
from tests.queue.conftest import Central, central  # noqa: F401  (the real central on loopback)
from tests.update.test_apply_kill import install_by_hand

REPO_ROOT = Path(__file__).resolve().parents[2]
ECHO = "/v1/_test/echo"

# Release N+1's own code delivers the outbox: it imports offline_queue from its release directory.
DELIVER = """import json, sys
from pathlib import Path
release = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(release))
import offline_queue
from offline_queue import Forwarder, ForwarderConfig, LinkMonitor, Outbox
from offline_queue.crypto import BodyCipher, load_key_file
from offline_queue.http_transport import HttpTransport
assert Path(offline_queue.__file__).resolve().is_relative_to(release), offline_queue.__file__
db, key, url = sys.argv[1:4]
ob = Outbox(Path(db), BodyCipher(load_key_file(Path(key))))
fwd = Forwarder(ob, HttpTransport(url, default_headers={"X-Kiosk-Id": "FZ-TEST-0001"}), link=LinkMonitor(3),
                config=ForwarderConfig(backoff_base_s=0.01, backoff_cap_s=0.1, idle_poll_s=0.2, auth_retry_s=None))
fwd.start(); ok = fwd.flush(20); fwd.stop()
print(json.dumps({"ok": ok, "release": (release / "VERSION").read_text(), "left": ob.undelivered()}))
"""


def next_release_tree(tmp: Path, version: str) -> Path:
    tree = tmp / f"tree-{version}"
    (tree / "bin").mkdir(parents=True)
    (tree / "VERSION").write_text(version)
    (tree / "bin" / "app.py").write_text(DELIVER)
    shutil.copytree(REPO_ROOT / "offline_queue", tree / "offline_queue",
                    ignore=shutil.ignore_patterns("__pycache__"))
    return tree


def test_items_queued_by_n_are_delivered_by_n_plus_1(tmp_path: Path, central: Central,  # noqa: F811
                                                     settings: UpdateSettings) -> None:
    (tmp_path / "old").mkdir()
    install_by_hand(settings, tmp_path, "1.0.0")
    key = tmp_path / "queue.key"
    create_key_file(key)
    db = tmp_path / "queue.sqlite"
    ob = Outbox(db, BodyCipher(load_key_file(key)))  # release N, link down: items wait in the outbox
    keys = [ob.enqueue("POST", ECHO, json.dumps({"n": i}).encode(), service="test").idempotency_key
            for i in range(4)]
    ob.close()

    archive, manifest = build(tmp_path / "dist", "1.1.0", tree=next_release_tree(tmp_path, "1.1.0"))
    assert manifest["queue_schema"] == CURRENT_VERSION
    Lifecycle(settings).apply(archive, "1.1.0", queue=QueueCheck(db, lambda: len(keys)))
    assert releases.current_version(settings.root) == "1.1.0"

    out = subprocess.run([sys.executable, str(settings.current_link / "bin" / "app.py"), str(db), str(key),
                          central.url], capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    assert json.loads(out.stdout) == {"ok": True, "release": "1.1.0", "left": 0}
    effects, _replays = central.effects()
    assert {k: effects.get(k) for k in keys} == {k: 1 for k in keys}


def test_release_that_cannot_read_the_queue_is_refused(tmp_path: Path, settings: UpdateSettings) -> None:
    (tmp_path / "old").mkdir()
    install_by_hand(settings, tmp_path, "1.0.0")
    db = tmp_path / "queue.sqlite"
    key = tmp_path / "queue.key"
    create_key_file(key)
    Outbox(db, BodyCipher(load_key_file(key))).close()
    archive, _ = build(tmp_path / "dist", "0.9.0", tree=next_release_tree(tmp_path, "0.9.0"),
                       queue_schema=CURRENT_VERSION - 1)
    with pytest.raises(releases.ReleaseError, match="queue schema"):
        Lifecycle(settings).apply(archive, "0.9.0", queue=QueueCheck(db, lambda: 0))
    assert releases.current_version(settings.root) == "1.0.0"


def test_schema_raising_release_waits_for_a_drained_outbox(tmp_path: Path, settings: UpdateSettings) -> None:
    (tmp_path / "old").mkdir()
    install_by_hand(settings, tmp_path, "1.0.0")
    db = tmp_path / "queue.sqlite"
    sqlite3.connect(db).execute(f"PRAGMA user_version = {CURRENT_VERSION}").connection.close()
    archive, _ = build(tmp_path / "dist", "2.0.0", tree=next_release_tree(tmp_path, "2.0.0"),
                       queue_schema=CURRENT_VERSION + 1)
    with pytest.raises(releases.ReleaseError, match="outbox is delivered"):
        Lifecycle(settings).apply(archive, "2.0.0", queue=QueueCheck(db, lambda: 2))
    assert releases.current_version(settings.root) == "1.0.0"
    Lifecycle(settings).apply(archive, "2.0.0", queue=QueueCheck(db, lambda: 0))
    assert releases.current_version(settings.root) == "2.0.0"
