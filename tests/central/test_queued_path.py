"""The client's queued path: enqueue into the real offline queue, the forwarder delivers to the central once."""

from __future__ import annotations

from pathlib import Path

import httpx

from central_sim.seed import citizen
from central_sim.server import ServerHandle
from kiosk.central import requests as rq
from kiosk.central.bodies import LossReportBody
from kiosk.central.client import CentralClient
from offline_queue import BodyCipher, Bounds, Forwarder, ForwarderConfig, Outbox, create_key_file, load_key_file
from offline_queue.http_transport import HttpTransport
from tests.central.tls_fixtures import KIOSK_ID


def test_queued_loss_report_survives_downtime_and_applies_once(central: ServerHandle, tmp_path: Path,
                                                               admin: httpx.Client) -> None:
    p = citizen("adult_active_card")
    create_key_file(tmp_path / "q.key")
    outbox = Outbox(tmp_path / "q.sqlite", BodyCipher(load_key_file(tmp_path / "q.key")), Bounds())
    transport = HttpTransport(central.url, default_headers={"X-Kiosk-Id": KIOSK_ID}, read_timeout_s=2)
    forwarder = Forwarder(outbox, transport, config=ForwarderConfig(backoff_base_s=0.05, backoff_cap_s=0.2))
    admin.post("/_admin/faults", json={"path": "*", "down_for_s": 0.5}).raise_for_status()
    with CentralClient(central.url, KIOSK_ID, outbox=outbox) as client:
        body = LossReportBody(card_no="A10000002", reported_at="2026-11-01T09:00:00+08:00")
        key = client.enqueue(rq.REPORT_LOSS, body, service="loss_report", priority=0,
                             ordering_key=p["id_number"], summary="loss report 3501****0012")
        [queued] = outbox.claim_due(1)  # the queue holds exactly the bytes the direct call sends
        assert (queued.method, queued.path, queued.body) == tuple(vars(rq.encode(rq.REPORT_LOSS, body)).values())
        outbox.release([queued.id])
        forwarder.start()
        try:
            assert forwarder.flush(timeout=15)
        finally:
            forwarder.stop()
        card = client.lookup_person(p["id_number"], p["name"]).cards[0]
        assert card.status == "loss_reported"
        # the direct path with the same key is a replay of the queued delivery, not a second report
        again = client.report_loss(card_no="A10000002", reported_at=body.reported_at, idempotency_key=key)
        assert again.cards[0].effective_at == again.effective_at
    with central.central.db.read() as tx:
        assert tx.scalar("SELECT COUNT(*) FROM loss_reports WHERE card_no = 'A10000002'") == 1
    outbox.close()
    transport.close()
