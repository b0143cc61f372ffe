"""Opens the offline queue and its forwarder from configuration (kiosk and `kiosk sync` alike)."""

from __future__ import annotations

from pathlib import Path

from kiosk.config import Config
from offline_queue.crypto import BodyCipher, create_key_file, load_key_file
from offline_queue.events import EventSink
from offline_queue.forwarder import Forwarder, ForwarderConfig
from offline_queue.http_transport import HttpTransport
from offline_queue.link import LinkMonitor
from offline_queue.store import Bounds, Outbox


def open_queue(cfg: Config, link: LinkMonitor, on_event: EventSink | None
               ) -> tuple[Outbox, Forwarder, HttpTransport, bytes]:
    data = Path(cfg.kiosk.data_dir)
    data.mkdir(parents=True, exist_ok=True)
    data.chmod(0o700)
    key_path = cfg.data_path(cfg.offline.queue_key_file)
    if not key_path.exists() and cfg.kiosk.simulator_mode:
        create_key_file(key_path)  # demo only; production installs its key at provisioning
    key = load_key_file(key_path)
    outbox = Outbox(
        cfg.data_path(cfg.offline.queue_db), BodyCipher(key),
        Bounds(cfg.offline.max_items, cfg.offline.max_bytes, cfg.offline.max_age_days * 86400),
        on_event=on_event,
    )
    transport = HttpTransport(
        cfg.central.url, ca_file=cfg.central.ca_file, cert_file=cfg.central.cert_file,
        key_file=cfg.central.key_file, connect_timeout_s=cfg.central.connect_timeout_s,
        read_timeout_s=cfg.central.read_timeout_s, default_headers={"X-Kiosk-Id": cfg.kiosk.id},
    )
    forwarder = Forwarder(outbox, transport, link=link,
                          config=ForwarderConfig(batch_threshold=cfg.offline.batch_threshold), on_event=on_event)
    return outbox, forwarder, transport, key
