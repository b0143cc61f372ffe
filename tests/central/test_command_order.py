"""Remote commands reach a kiosk in the order they were queued, even many within one second
(``created_at`` has one-second precision; the database's scan order is no promise on either backend)."""

from __future__ import annotations

import uuid

import httpx

from central_sim.fleet import command_id, deliver_commands, queue_command
from central_sim.server import ServerHandle
from tests.central.pg_fixtures import BOTH_BACKENDS

KIOSK = "FZ-ORDER-0001"
SAME_SECOND = "2026-12-07T10:00:00+08:00"


def test_command_ids_sort_in_the_order_they_were_made() -> None:
    made = [command_id() for _ in range(5000)]  # thousands within one millisecond: the counter orders them
    assert sorted(made) == made and len(set(made)) == len(made)
    assert all(uuid.UUID(i).version == 7 for i in made[:10])


@BOTH_BACKENDS
def test_commands_queued_in_one_second_are_delivered_in_queue_order(central: ServerHandle) -> None:
    db = central.central.db
    with db.transaction() as tx:
        queued = [queue_command(tx, KIOSK, {"type": "set_mode", "mode": "in_service" if i % 2 else "maintenance"},
                                SAME_SECOND)["id"] for i in range(40)]
    with db.transaction() as tx:
        delivered = [c["id"] for c in deliver_commands(tx, KIOSK, SAME_SECOND)]
    assert delivered == queued


def test_through_the_admin_endpoint_too(central: ServerHandle, admin: httpx.Client) -> None:
    kinds = ["flush_queue", "run_self_tests", "upload_diagnostics", "reload_config"] * 3
    ids = []
    for kind in kinds:
        r = admin.post(f"/_admin/kiosks/{KIOSK}/commands", json={"type": kind})
        assert r.status_code == 201, r.text
        ids.append(r.json()["id"])
    with central.central.db.transaction() as tx:
        assert [c["id"] for c in deliver_commands(tx, KIOSK, SAME_SECOND)] == ids
