"""Malformed or unexpected answers become CentralProtocolError (never a crash), against a real HTTP server."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import ClassVar

import httpx
import pytest

from central_sim.cli import build_parser, faults_from_args
from kiosk.central.client import CentralClient
from kiosk.central.errors import CentralProtocolError, CentralRejected, CentralUnavailable
from kiosk.central.events import EventUploader
from kiosk.central.heartbeat import HeartbeatSender

ROOT = Path(__file__).resolve().parents[2]


class Canned(BaseHTTPRequestHandler):
    answers: ClassVar[dict[str, tuple[int, bytes]]] = {}

    def _answer(self) -> None:
        length = int(self.headers.get("content-length") or 0)
        self.rfile.read(length)
        status, body = self.answers.get(self.path, (404, b"{}"))
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    do_GET = do_POST = _answer

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def canned() -> Iterator[tuple[str, dict[str, tuple[int, bytes]]]]:
    answers: dict[str, tuple[int, bytes]] = {}
    handler = type("H", (Canned,), {"answers": answers})
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    t = threading.Thread(target=server.serve_forever, daemon=True)
    t.start()
    yield f"http://127.0.0.1:{server.server_address[1]}", answers
    server.shutdown()
    server.server_close()


def test_malformed_and_unexpected_answers(canned: tuple[str, dict[str, tuple[int, bytes]]]) -> None:
    url, answers = canned
    with CentralClient(url, "K1") as c:
        answers["/v1/health"] = (200, b"<html>proxy login</html>")
        with pytest.raises(CentralProtocolError):
            c.health()
        answers["/v1/persons/lookup"] = (200, json.dumps({
            "insured": True, "medical_insurance": "resident", "insured_city": "350100", "photo_on_file": True,
            "applications": [], "cards": [{"card_no": "A1", "city": "350100", "status": "teleported"}]}).encode())
        with pytest.raises(CentralProtocolError):
            c.lookup_person("350102199003070012", "x")
        answers["/v1/cards/loss-report"] = (200, b'{"status": "loss_reported"}')  # effective_at missing
        with pytest.raises(CentralProtocolError):
            c.report_loss(card_no="A1", reported_at="2026-01-01T00:00:00+08:00")
        answers["/v1/cards/loss-cancel"] = (409, b"not json")
        with pytest.raises(CentralRejected) as err:
            c.cancel_loss("A1", "350102199003070012")
        assert (err.value.status, err.value.code) == (409, "http_409")
        answers["/v1/applications/status"] = (502, b"")
        with pytest.raises(CentralUnavailable):
            c.application_status("350102199003070012")


def test_an_unknown_command_is_reported_and_the_others_still_run(
        canned: tuple[str, dict[str, tuple[int, bytes]]], tmp_path: Path) -> None:
    url, answers = canned
    answers["/v1/kiosks/K1/heartbeat"] = (200, json.dumps({"server_time": "x", "commands": [
        {"id": "c1", "type": "self_destruct"}, {"id": "c2", "type": "reload_config"}, "junk"]}).encode())
    sent: list[list[dict[str, object]]] = []
    with CentralClient(url, "K1") as c:
        hb = HeartbeatSender(c, lambda: {"mode": "in_service"}, tmp_path / "seq",
                             events=EventUploader(lambda events, key: sent.append(events)))
        hb.register("reload_config", lambda cmd: "reloaded")
        assert hb.send_now() and hb.run_pending() == 1
        assert hb.events is not None and hb.events.flush() == 3
    assert sorted(str(e["code"]) for e in sent[0]) == ["?_failed", "reload_config_ok", "self_destruct_failed"]


def test_cli_faults_and_the_kiosk_command(tmp_path: Path) -> None:
    args = build_parser().parse_args(["--fault-path", "/v1/persons", "--fault-error-rate", "0.5", "--no-seed"])
    rules = faults_from_args(args).describe()
    assert not args.seed and rules[0]["path"] == "/v1/persons" and rules[0]["error_rate"] == 0.5
    assert faults_from_args(build_parser().parse_args([])).describe() == []
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    proc = subprocess.Popen([sys.executable, "-m", "kiosk.cli", "central-sim", "--port", str(port), "--db",
                             str(tmp_path / "c.sqlite"), "--fault-path", "/v1/persons", "--fault-error-rate", "1"],
                            cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, env={**os.environ})
    try:
        deadline = time.monotonic() + 20
        while True:
            try:
                assert httpx.get(f"http://127.0.0.1:{port}/v1/health").json()["status"] == "ok"
                break
            except httpx.TransportError:
                if time.monotonic() > deadline or proc.poll() is not None:
                    raise
                time.sleep(0.1)
        r = httpx.post(f"http://127.0.0.1:{port}/v1/persons/lookup", json={}, headers={"X-Kiosk-Id": "K"})
        assert r.status_code == 503
    finally:
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(10) == 0


# ---- the request table (kiosk/central/requests.py) -------------------------------------------------
def test_every_row_of_the_request_table_is_a_route_of_the_reference_central() -> None:
    import central_sim.central  # noqa: F401  (registers the routes)
    from central_sim.routes import ROUTES
    from kiosk.central import requests as rq

    central = {(r.method, r.name): r.idempotent for r in ROUTES}
    served_apart = {"health", "batch"}  # served by the server itself, not the route table
    assert len({q.name for q in rq.ALL}) == len(rq.ALL)
    for q in rq.ALL:
        if q.name in served_apart:
            continue
        path = q.path.partition("?")[0]  # a query template (the payment long poll's ?wait=) is not the route
        assert (q.method, path) in central, q.name
        # The kiosk sends an Idempotency-Key exactly where the central requires one.
        assert q.idempotent == central[(q.method, path)], q.name
        if q.route in (rq.Route.QUEUED, rq.Route.ALWAYS_QUEUED):
            assert q.idempotent, q.name  # a queued request must be safe to resend


def test_the_serializer_leaves_out_unset_fields_and_escapes_path_parameters() -> None:
    from kiosk.central import requests as rq
    from kiosk.central.bodies import LossReportBody, ProductionResultBody

    wire = rq.encode(rq.REPORT_LOSS, LossReportBody(reported_at="2026-11-01T09:00:00+08:00", id_number="35010219"))
    assert (wire.method, wire.path) == ("POST", "/v1/cards/loss-report")
    assert json.loads(wire.content or b"") == {"reported_at": "2026-11-01T09:00:00+08:00", "id_number": "35010219"}
    odd = rq.encode(rq.PRODUCTION_RESULT, ProductionResultBody(result="failed"), application_id="A/../x")
    assert odd.path == "/v1/applications/A%2F..%2Fx/production-result"
    with pytest.raises(ValueError, match="application_id"):
        rq.encode(rq.PRODUCTION_RESULT, ProductionResultBody(result="failed"))
    with pytest.raises(TypeError):
        rq.encode(rq.REPORT_LOSS, ProductionResultBody(result="failed"))  # type: ignore[arg-type]
