"""A throwaway PKI for the mutual-TLS tests (made with `cryptography` via central_sim.pki), with bad variants."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from central_sim.pki import Issued, issue, make_ca

KIOSK_ID = "FZ-TEST-0001"


@dataclass(frozen=True)
class Pki:
    ca: Issued
    server: Issued
    kiosk: Issued
    other_ca: Issued  # not trusted by anyone
    kiosk_from_other_ca: Issued
    kiosk_expired: Issued
    server_expired: Issued


def make_pki(out: Path, kiosk_id: str = KIOSK_ID) -> Pki:
    out.mkdir(parents=True, exist_ok=True)
    ca = make_ca(out, "ca", "sscard test CA")
    other = make_ca(out, "other-ca", "someone else's CA")
    return Pki(
        ca=ca,
        server=issue(out, "server", ca, "central.test", server=True),
        kiosk=issue(out, "kiosk", ca, kiosk_id, server=False),
        other_ca=other,
        kiosk_from_other_ca=issue(out, "kiosk-other", other, kiosk_id, server=False),
        kiosk_expired=issue(out, "kiosk-expired", ca, kiosk_id, server=False, expired=True),
        server_expired=issue(out, "server-expired", ca, "central.test", server=True, expired=True),
    )
