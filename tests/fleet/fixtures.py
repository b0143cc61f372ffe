"""Heartbeat bodies shaped like the kiosk's (kiosk/link_heartbeat.py state_fields) for fleet tests and benches."""

from __future__ import annotations

from typing import Any


def heartbeat_state(*, mode: str = "in_service", depth: int = 0, oldest_s: float = 0.0, dead_letters: int = 0,
                    issuer: str = "online", printer: str = "online", ribbon: str = "ok", paper: str = "ok",
                    blank_cards: str = "ok", cards_fed: int = 0, version: str = "0.1.0",
                    audit_seq: int | None = None, link_online: bool = True) -> dict[str, Any]:
    state: dict[str, Any] = {
        "app_version": version, "uptime_s": 3600, "mode": mode, "in_transaction": False,
        "devices": {
            "issuer": {"state": issuer, "supplies": {"ribbon": ribbon, "blank_cards": blank_cards},
                            "counters": {"cards_fed": cards_fed, "cards_rejected": 0},
                            "last_error": None if issuer == "online" else "card_jam"},
            "receipt_printer": {"state": printer, "supplies": {"paper": paper}, "counters": {"receipts_printed": 7},
                                "last_error": None if printer == "online" else "paper_jam"},
            "id_reader": {"state": "online", "supplies": {}, "counters": {}, "last_error": None},
        },
        "link": {"online": link_online, "last_success_at": None, "consecutive_failures": 0 if link_online else 4},
        "queue": {"depth": depth, "oldest_age_s": oldest_s, "dead_letters": dead_letters, "bytes": 100 * depth},
        "disk_free_bytes": 10**10,
    }
    if audit_seq is not None:  # the audit head as kiosks send it (kiosk/audit.py); the central judges the chain
        state["audit"] = {"seq": audit_seq, "head": f"{audit_seq:02x}" * 32 if audit_seq < 256 else "9f" * 32}
    return state
