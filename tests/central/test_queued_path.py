"""The client's queued path: enqueue into the real offline queue, the forwarder delivers to the central once."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from central_sim.seed import citizen
from central_sim.server import ServerHandle
from kiosk.central import requests as rq
from kiosk.central.bodies import ContactBody, LossReportBody
from kiosk.central.client import CentralClient
from kiosk.central.delivery import DeliveryService
from kiosk.central.gateway import CentralGateway
from kiosk.central.outcomes import Accepted, Queued, Refused
from kiosk.domain.services import SERVICES, ServiceId
from offline_queue import (
    BodyCipher,
    Bounds,
    Forwarder,
    ForwarderConfig,
    LinkMonitor,
    Outbox,
    create_key_file,
    load_key_file,
)
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


# ---- the gateway's queued verbs: durable first, then the outcome as data -------------------------
class Kiosk:
    """A kiosk's queue side on real files: outbox, forwarder (not started), link, delivery, gateway."""

    def __init__(self, central: ServerHandle, tmp_path: Path) -> None:
        create_key_file(tmp_path / "q.key")
        self.cipher = BodyCipher(load_key_file(tmp_path / "q.key"))
        self.outbox = Outbox(tmp_path / "q.sqlite", self.cipher, Bounds())
        self.transport = HttpTransport(central.url, default_headers={"X-Kiosk-Id": KIOSK_ID}, read_timeout_s=2)
        self.link = LinkMonitor()
        self.forwarder = Forwarder(self.outbox, self.transport, link=self.link)
        self.delivery = DeliveryService(self.outbox, self.forwarder, self.link, wait_s=10)
        self.client = CentralClient(central.url, KIOSK_ID, outbox=self.outbox)
        self.gateway = CentralGateway(self.client, self.delivery)

    def close(self) -> None:
        self.forwarder.stop()
        self.client.close()
        self.transport.close()
        self.outbox.close()


@pytest.fixture
def kiosk(central: ServerHandle, tmp_path: Path) -> Iterator[Kiosk]:
    k = Kiosk(central, tmp_path)
    yield k
    k.close()


def test_online_a_queued_verb_waits_for_the_central_and_is_accepted(kiosk: Kiosk, central: ServerHandle) -> None:
    p = citizen("adult_active_card")
    kiosk.forwarder.start()
    outcome = kiosk.gateway.report_loss(id_number=p["id_number"], card_no="A10000002",
                                        reported_at="2026-11-01T09:00:00+08:00")
    assert isinstance(outcome, Accepted)
    info = kiosk.outbox.find(outcome.idempotency_key)
    assert info is not None and info.priority == 0 and info.service == "loss_report"
    with central.central.db.read() as tx:
        assert tx.scalar("SELECT status FROM cards WHERE card_no = 'A10000002'") == "loss_reported"


def test_a_refusal_comes_back_with_its_code_and_every_reason(kiosk: Kiosk) -> None:
    p = citizen("adult_active_card")
    kiosk.forwarder.start()
    outcome = kiosk.gateway.change_contact(ContactBody(id_number=p["id_number"], mobile="123", postal_code="x"))
    assert isinstance(outcome, Refused)
    assert outcome.code == "invalid_request"  # the error code, beside each reason
    assert set(outcome.codes) == {"invalid_mobile", "invalid_postal_code"}
    assert all(message for _, message in outcome.reasons)
    dead = kiosk.outbox.find(outcome.idempotency_key)
    assert dead is not None and dead.state == "dead" and dead.error_code == outcome.code


def test_offline_a_queued_verb_is_queued_at_once(kiosk: Kiosk) -> None:
    for _ in range(kiosk.link.down_after):
        kiosk.link.report_failure()
    assert not kiosk.link.online
    outcome = kiosk.gateway.activate_card(service=ServiceId.ACTIVATE, card_no="A10000002",
                                          id_number=citizen("adult_active_card")["id_number"],
                                          requested_at="2026-12-01T09:30:00+08:00")
    assert isinstance(outcome, Queued)
    info = kiosk.outbox.find(outcome.idempotency_key)
    assert info is not None and info.state == "pending" and info.priority == SERVICES[ServiceId.ACTIVATE].queue_priority


def test_with_the_forwarder_in_another_process_the_outcome_is_still_seen(kiosk: Kiosk, central: ServerHandle,
                                                                         tmp_path: Path) -> None:
    """central.sync = external: `kiosk sync` sends from its own connection; this process only enqueues."""
    sync_outbox = Outbox(tmp_path / "q.sqlite", kiosk.cipher, Bounds())
    sync = Forwarder(sync_outbox, kiosk.transport, config=ForwarderConfig(other_writers_poll_s=0.05))
    sync.start()
    try:
        assert not kiosk.forwarder.running
        outcome = kiosk.gateway.activate_card(service=ServiceId.ACTIVATE, card_no="A10000002",
                                              id_number=citizen("adult_active_card")["id_number"],
                                              requested_at="2026-12-01T09:30:00+08:00")
        assert isinstance(outcome, Accepted)
    finally:
        sync.stop()
        sync_outbox.close()
