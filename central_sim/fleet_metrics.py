"""The /metrics series the alert rules need beyond liveness (deploy/prometheus/rules.yml reads them).

Dead letters, supply levels, audit-chain state (from each kiosk's last heartbeat); cards produced and
spoiled and instant issues over the 20-minute limit (art. 21) from the central's own records; the
server certificate's expiry. Counters only ever grow: they count append-only timeline rows.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from central_sim.clock import parse_rfc3339
from central_sim.storage import Tx

ISSUANCE_LIMIT_S = 1200.0  # regulation art. 21: an instant card is made on the spot within 20 minutes
# hal.status.Supply values (the central does not import hal); unknown is -1 so "> 0" means low or out.
SUPPLY_VALUE = {"ok": 0, "low": 1, "near_end": 1, "out": 2, "empty": 2}
OPEN_INSTANT = ("approved", "account_opened")


def label(value: str) -> str:
    return value.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")


def _obj(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _family(name: str, kind: str, help_text: str, lines: Iterable[str]) -> list[str]:
    return [f"# HELP {name} {help_text}", f"# TYPE {name} {kind}", *lines]


def heartbeat_series(kiosks: list[dict[str, Any]]) -> list[str]:
    """Series read from each kiosk's last heartbeat (``fleet.fleet`` rows)."""
    dead, supply, audit = [], [], []
    for k in kiosks:
        kid = label(k["kiosk_id"])
        state = k["state"]
        dead.append(f'sscard_kiosk_queue_dead_letters{{kiosk="{kid}"}} '
                    f'{float(_obj(state.get("queue")).get("dead_letters") or 0):g}')
        for device, d in sorted(_obj(state.get("devices")).items()):
            for name, level in sorted(_obj(_obj(d).get("supplies")).items()):
                supply.append(f'sscard_kiosk_supply_level{{kiosk="{kid}",device="{label(device)}",'
                              f'supply="{label(name)}"}} {SUPPLY_VALUE.get(str(level), -1)}')
        anchored = k.get("audit")  # the central's own finding (audit_anchor.view), not a kiosk's self-report
        if isinstance(anchored, dict):  # only kiosks that anchor their audit chain
            audit.append(f'sscard_kiosk_audit_chain_ok{{kiosk="{kid}"}} {0 if anchored.get("problem") else 1}')
    return [
        *_family("sscard_kiosk_queue_dead_letters", "gauge",
                 "Queued requests the central refused for good (need a person).", dead),
        *_family("sscard_kiosk_supply_level", "gauge", "Consumable level: 0 ok, 1 low, 2 out, -1 unknown.", supply),
        *_family("sscard_kiosk_audit_chain_ok", "gauge",
                 "0 once the central found the kiosk's anchored audit chain rewound or forked, else 1.", audit),
    ]


def _seconds_between(start: str, end: str) -> float | None:
    a, b = parse_rfc3339(start), parse_rfc3339(end)
    return None if a is None or b is None else (b - a).total_seconds()


def issuance_series(tx: Tx, now: dt.datetime) -> list[str]:
    """Cards produced / spoiled and art. 21 overruns per kiosk, from applications and their timeline."""
    produced: dict[str, int] = {}
    spoiled: dict[str, int] = {}
    over: dict[str, int] = {}
    open_over: dict[str, int] = {}
    rows = tx.all("SELECT a.kiosk_id, a.delivery, a.created_at, t.status, t.at FROM application_timeline t"
                  " JOIN applications a ON a.application_id = t.application_id"
                  " WHERE t.status IN ('produced', 'production_failed')")
    for r in rows:
        kid = str(r["kiosk_id"])
        if r["status"] == "production_failed":
            spoiled[kid] = spoiled.get(kid, 0) + 1
            continue
        produced[kid] = produced.get(kid, 0) + 1
        took = _seconds_between(str(r["created_at"]), str(r["at"]))
        if r["delivery"] == "instant" and took is not None and took > ISSUANCE_LIMIT_S:
            over[kid] = over.get(kid, 0) + 1
    for r in tx.all("SELECT kiosk_id, created_at FROM applications WHERE delivery = 'instant' AND status IN (?, ?)",
                    OPEN_INSTANT):
        created = parse_rfc3339(str(r["created_at"]))
        if created is not None and (now - created).total_seconds() > ISSUANCE_LIMIT_S:
            open_over[str(r["kiosk_id"])] = open_over.get(str(r["kiosk_id"]), 0) + 1

    def lines(name: str, values: dict[str, int]) -> list[str]:
        return [f'{name}{{kiosk="{label(k)}"}} {v}' for k, v in sorted(values.items())]

    return [
        *_family("sscard_cards_produced_total", "counter", "Cards whose production succeeded.",
                 lines("sscard_cards_produced_total", produced)),
        *_family("sscard_cards_spoiled_total", "counter", "Production attempts that spoiled a card (art. 27).",
                 lines("sscard_cards_spoiled_total", spoiled)),
        *_family("sscard_issuance_over_limit_total", "counter",
                 "Instant cards produced more than 20 minutes after the application (art. 21).",
                 lines("sscard_issuance_over_limit_total", over)),
        *_family("sscard_issuance_open_over_limit", "gauge",
                 "Instant applications still not produced 20 minutes after they were made (art. 21).",
                 lines("sscard_issuance_open_over_limit", open_over)),
    ]


def certificate_series(certfiles: dict[str, str]) -> list[str]:
    """``certfiles``: role → PEM path (the server certificate when TLS is on; nothing otherwise)."""
    from cryptography import x509  # only needed when a certificate is configured

    lines = []
    for role, path in sorted(certfiles.items()):
        try:
            cert = x509.load_pem_x509_certificate(Path(path).read_bytes())
        except (OSError, ValueError):
            continue
        lines.append(f'sscard_tls_certificate_expiry_timestamp_seconds{{cert="{label(role)}"}} '
                     f"{cert.not_valid_after_utc.timestamp():.0f}")
    return _family("sscard_tls_certificate_expiry_timestamp_seconds", "gauge",
                   "When the certificate stops being valid (Unix time).", lines)
