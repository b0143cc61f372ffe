"""A simulated fleet for the console's screenshots, benches and demos: N kiosks over Fuzhou's districts
sending heartbeats (and transaction events) to a reference central over HTTP, with a realistic mix of
problems. The central's clock is moved to make some kiosks silent and to give consumption rates.

    python -m central_sim.fleet_demo --kiosks 2000 --port 8080 --config console.json

(then open http://127.0.0.1:8080/console). Deterministic for a given seed.
"""

from __future__ import annotations

import datetime as dt
import json
import random
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx

from central_sim.clock import CST, rfc3339
from central_sim.console.auth import hash_password
from hal.atomic_file import write_atomic

# Share of kiosks per district (the urban districts have most sites).
DISTRICT_WEIGHTS = {"GL": 14, "TJ": 10, "CS": 12, "JA": 11, "MW": 5, "CL": 8, "MH": 9, "LJ": 5, "LY": 3,
                    "MQ": 3, "YT": 3, "FQ": 12, "PT": 5}
DISTRICT_ZH = {"GL": "鼓楼", "TJ": "台江", "CS": "仓山", "JA": "晋安", "MW": "马尾", "CL": "长乐", "MH": "闽侯",
               "LJ": "连江", "LY": "罗源", "MQ": "闽清", "YT": "永泰", "FQ": "福清", "PT": "平潭"}
KIOSKS_PER_BRANCH = 4
SERVICES = ("apply", "replace", "loss_report", "pin_change", "activate", "progress_query", "contact_change")


class SimClock:
    def __init__(self, start: dt.datetime | None = None) -> None:
        self.now = start or dt.datetime.now(CST).replace(microsecond=0)

    def __call__(self) -> dt.datetime:
        return self.now

    def advance(self, **delta: float) -> None:
        self.now += dt.timedelta(**delta)


@dataclass
class SimKiosk:
    kiosk_id: str
    district: str
    branch: str
    kind: str  # healthy / supply_low / supply_out / device_fault / dead_letters / out_of_service / silent / link_down
    version: str
    service_kiosk: bool
    fed: int


def plan(n: int, seed: int = 20261206) -> list[SimKiosk]:
    rng = random.Random(seed)
    total_w = sum(DISTRICT_WEIGHTS.values())
    kinds = (["healthy"] * 860 + ["supply_low"] * 40 + ["supply_out"] * 15 + ["device_fault"] * 20
             + ["dead_letters"] * 12 + ["out_of_service"] * 18 + ["silent"] * 20 + ["link_down"] * 15)
    counts = {d: n * w // total_w for d, w in DISTRICT_WEIGHTS.items()}
    for d in sorted(DISTRICT_WEIGHTS, key=lambda d: -DISTRICT_WEIGHTS[d])[: n - sum(counts.values())]:
        counts[d] += 1  # the rounding remainder goes to the biggest districts
    out: list[SimKiosk] = []
    for district, count in counts.items():
        for i in range(count):
            version = rng.choices(("0.1.0", "0.1.1", "0.2.0"), (70, 25, 5))[0]
            branch = f"{DISTRICT_ZH[district]}第{i // KIOSKS_PER_BRANCH + 1}服务网点"
            out.append(SimKiosk(f"FZ-{district}-{i + 1:04d}", district, branch, rng.choice(kinds), version,
                                rng.random() < 0.15, rng.randint(500, 20000)))
    return out


def sites(kiosks: list[SimKiosk]) -> dict[str, dict[str, str]]:
    return {k.kiosk_id: {"district": k.district, "branch": k.branch, "name": ""} for k in kiosks}


def state(k: SimKiosk, seq: int) -> dict[str, Any]:
    kind = k.kind
    issuer_state = "hardware_error" if kind == "device_fault" else "online"
    blank = "out" if kind == "supply_out" else "low" if kind == "supply_low" else "ok"
    devices: dict[str, Any] = {
        "id_reader": {"state": "online", "supplies": {}, "counters": {}, "last_error": None},
        "card_reader": {"state": "online", "supplies": {}, "counters": {}, "last_error": None},
        "pin_pad": {"state": "online", "supplies": {}, "counters": {}, "last_error": None},
        "camera": {"state": "online", "supplies": {}, "counters": {}, "last_error": None},
        "receipt_printer": {"state": "online", "supplies": {"paper": "low" if seq % 7 == 0 and kind == "supply_low"
                                                             else "ok"},
                            "counters": {"receipts_printed": k.fed * 2 + seq * 6}, "last_error": None},
    }
    if not k.service_kiosk:
        devices["issuer"] = {"state": issuer_state, "supplies": {"blank_cards": blank, "ribbon": "ok"},
                             "counters": {"cards_fed": k.fed + seq * (3 + len(k.kiosk_id) % 5)},
                             "last_error": "card_jam" if kind == "device_fault" else None}
    return {
        "kiosk_id": k.kiosk_id, "seq": seq, "sent_at": "", "app_version": k.version, "uptime_s": 3600 * seq,
        "mode": "out_of_service" if kind == "out_of_service" else "in_service", "in_transaction": False,
        "devices": devices,
        "link": {"online": kind != "link_down", "last_success_at": None,
                 "consecutive_failures": 5 if kind == "link_down" else 0},
        "queue": {"depth": 14 if kind in ("dead_letters", "link_down") else 0,
                  "oldest_age_s": 5400.0 if kind == "link_down" else 30.0 if kind == "dead_letters" else 0,
                  "dead_letters": 2 if kind == "dead_letters" else 0, "bytes": 0},
        "disk_free_bytes": 20 * 10**9,
    }


def send_round(client: httpx.Client, kiosks: list[SimKiosk], seq: int) -> None:
    for k in kiosks:
        body = state(k, seq)
        body["sent_at"] = rfc3339(dt.datetime.now(CST))
        r = client.post(f"/v1/kiosks/{k.kiosk_id}/heartbeat", json=body, headers={"X-Kiosk-Id": k.kiosk_id})
        r.raise_for_status()


def send_transactions(client: httpx.Client, kiosks: list[SimKiosk], rng: random.Random) -> int:
    sent = 0
    for k in kiosks:
        if k.kind in ("silent", "out_of_service"):
            continue
        events = [{"event_id": str(uuid.UUID(int=rng.getrandbits(128))), "at": rfc3339(dt.datetime.now(CST)),
                   "type": "transaction_outcome", "severity": "info",
                   "code": f"{rng.choice(SERVICES)}.{rng.choices(('done', 'cancelled'), (9, 1))[0]}",
                   "message": "ok"} for _ in range(rng.randint(0, 6))]
        if events:
            r = client.post(f"/v1/kiosks/{k.kiosk_id}/events", json={"events": events},
                            headers={"X-Kiosk-Id": k.kiosk_id, "Idempotency-Key": str(uuid.uuid4())})
            r.raise_for_status()
            sent += len(events)
        if k.kind == "device_fault":
            alarm = {"event_id": str(uuid.UUID(int=rng.getrandbits(128))), "at": rfc3339(dt.datetime.now(CST)),
                     "type": "device_alarm", "device": "issuer", "severity": "critical", "code": "card_jam",
                     "message": "card jam in the transport"}
            client.post(f"/v1/kiosks/{k.kiosk_id}/events", json={"events": [alarm]},
                        headers={"X-Kiosk-Id": k.kiosk_id, "Idempotency-Key": str(uuid.uuid4())}).raise_for_status()
    return sent


def populate(url: str, clock: SimClock, kiosks: list[SimKiosk], seed: int = 7) -> None:
    """Round 1 for every kiosk; an hour later round 2 for all but the silent ones; then today's transactions."""
    rng = random.Random(seed)
    with httpx.Client(base_url=url, timeout=30) as client:
        send_round(client, kiosks, 1)
        clock.advance(hours=1)
        send_round(client, [k for k in kiosks if k.kind != "silent"], 2)
        send_transactions(client, kiosks, rng)


def write_config(directory: Path, kiosks: list[SimKiosk], users: dict[str, tuple[str, str]],
                 duties: dict[str, list[str]] | None = None) -> Path:
    """A console config with ``users`` (name → (role, password)), their ``duties`` and the simulated site
    registry."""
    directory.mkdir(parents=True, exist_ok=True)
    write_atomic(directory / "sites.json", json.dumps(sites(kiosks), ensure_ascii=False).encode("utf-8"))
    config = {"secret": uuid.uuid4().hex * 2, "sites": "sites.json",
              "users": [{"name": n, "role": r, "duties": (duties or {}).get(n, []),
                         "password": hash_password(p, iterations=1000)} for n, (r, p) in users.items()]}
    path = directory / "console.json"
    write_atomic(path, json.dumps(config).encode("utf-8"), mode=0o600)  # holds the session secret
    return path
