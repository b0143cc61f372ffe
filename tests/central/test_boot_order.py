"""Heartbeat ordering across restarts (issue 18, item 4): ``boot_id`` + ``seq``. A new boot_id starts a
new ordering (a kiosk restored from an older disk image sends a lower seq and must not be ignored
forever); within one boot a lower seq is a stale duplicate; a late heartbeat of a boot the kiosk has
left behind is stale too. The fleet page shows the boot (short form) and the restart count."""

from __future__ import annotations

import uuid
from pathlib import Path
from typing import Any

import httpx

from central_sim.server import ServerHandle
from kiosk.central import heartbeat
from kiosk.central.client import CentralClient
from kiosk.central.heartbeat import HeartbeatSender
from tests.central.pg_fixtures import BOTH_BACKENDS
from tests.central.test_heartbeat_monitor import kiosk_state

KIOSK = "FZ-BOOT"


def _sender(h: ServerHandle, seq_file: Path, boot_id: str, mode: str) -> tuple[HeartbeatSender, CentralClient]:
    client = CentralClient(h.url, KIOSK)
    return HeartbeatSender(client, lambda: kiosk_state(mode), seq_file, boot_id=boot_id), client


def _stored(h: ServerHandle) -> dict[str, Any]:
    h.central.heartbeats.flush()
    with h.central.db.read() as tx:
        row = tx.one("SELECT k.last_seq, k.state, b.boot_id, b.restarts FROM kiosks k"
                     " JOIN kiosk_boots b ON b.kiosk_id = k.kiosk_id WHERE k.kiosk_id = ?", (KIOSK,))
    assert row is not None
    return row


def _post(h: ServerHandle, seq: int, boot: str, mode: str) -> int:
    body = {**kiosk_state(mode), "kiosk_id": KIOSK, "seq": seq, "boot_id": boot}
    return httpx.post(f"{h.url}/v1/kiosks/{KIOSK}/heartbeat", json=body, headers={"X-Kiosk-Id": KIOSK}).status_code


@BOTH_BACKENDS
def test_a_kiosk_restored_from_an_image_is_heard_again(central: ServerHandle, tmp_path: Path) -> None:
    seq_file = tmp_path / "seq"
    first, c1 = _sender(central, seq_file, str(uuid.uuid4()), "in_service")
    for _ in range(5):
        assert first.send_now()
    assert _stored(central)["last_seq"] == 5
    c1.close()
    seq_file.write_text("1", encoding="ascii")  # the disk image was taken when seq was 1
    boot = str(uuid.uuid4())
    restored, c2 = _sender(central, seq_file, boot, "maintenance")
    assert restored.send_now()  # seq 2 < 5, but a new boot
    row = _stored(central)
    assert (row["last_seq"], row["boot_id"], row["restarts"]) == (2, boot, 1)
    assert '"maintenance"' in row["state"]
    c2.close()


@BOTH_BACKENDS
def test_stale_duplicates_and_late_beats_of_an_old_boot_are_ignored(central: ServerHandle) -> None:
    a, b = str(uuid.uuid4()), str(uuid.uuid4())
    assert _post(central, 10, a, "in_service") == 200
    assert _stored(central)["restarts"] == 0
    assert _post(central, 3, b, "maintenance") == 200  # restart
    assert _stored(central)["last_seq"] == 3
    assert _post(central, 2, b, "out_of_service") == 200  # same boot, lower seq: stale duplicate
    assert _post(central, 11, a, "starting") == 200  # the old process's late heartbeat
    row = _stored(central)
    assert (row["last_seq"], row["boot_id"], row["restarts"]) == (3, b, 1) and '"maintenance"' in row["state"]
    assert _post(central, 4, b, "in_service") == 200
    assert _stored(central)["last_seq"] == 4


def test_the_same_within_one_flush_window(central: ServerHandle) -> None:
    """The buffer applies the same rule before anything is written (several beats per kiosk per flush)."""
    a, b, c = (str(uuid.uuid4()) for _ in range(3))
    assert _post(central, 10, a, "in_service") == 200
    _stored(central)
    for seq, boot, mode in ((3, b, "maintenance"), (11, a, "starting"), (2, b, "out_of_service"),
                            (1, c, "in_service"), (4, b, "starting")):
        assert _post(central, seq, boot, mode) == 200
    row = _stored(central)
    assert (row["last_seq"], row["boot_id"], row["restarts"]) == (1, c, 2)


def test_the_fleet_page_and_metrics_show_boot_and_restarts(central: ServerHandle) -> None:
    a, b = "0b7a3c1e-5d2f-4f8e-9a6b-1c2d3e4f5a6b", "7d1e2f3a-4b5c-4d6e-8f70-8192a3b4c5d6"
    assert _post(central, 9, a, "in_service") == 200
    _stored(central)
    assert _post(central, 1, b, "in_service") == 200
    page = httpx.get(central.url + "/monitor").text
    assert "boot 7d1e2f3a" in page and "restarts 1" in page
    assert f'sscard_kiosk_restarts{{kiosk="{KIOSK}"}} 1' in httpx.get(central.url + "/metrics").text


def test_the_kiosk_sends_one_boot_id_per_process(central: ServerHandle, tmp_path: Path) -> None:
    with CentralClient(central.url, KIOSK) as client:
        s1 = HeartbeatSender(client, lambda: kiosk_state(), tmp_path / "s1")
        s2 = HeartbeatSender(client, lambda: kiosk_state(), tmp_path / "s2")
        b1, b2 = s1.body(), s2.body()
    assert b1["boot_id"] == b2["boot_id"] == heartbeat.BOOT_ID
    assert str(uuid.UUID(b1["boot_id"])) == b1["boot_id"]
