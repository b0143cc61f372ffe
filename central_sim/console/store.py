"""The console's own tables and queries (portable SQL: SQLite and PostgreSQL).

``console_status`` is one row per kiosk with the columns the exception list filters and sorts on (indexed),
kept current from the heartbeat rows by ``sync`` (run after every heartbeat flush and before each console
read). ``console_history`` keeps device, link and mode changes for the kiosk page's timeline;
``console_alarms`` the operators' handling of device alarms; ``console_audit`` every operator action.
"""

from __future__ import annotations

import datetime as dt
import json
import uuid
from dataclasses import dataclass, field
from typing import Any

from central_sim import audit_anchor
from central_sim.clock import CST, rfc3339
from central_sim.console.districts import district_of
from central_sim.console.status import OK, SILENT, assess
from central_sim.fleet import OFFLINE_AFTER_MISSED
from central_sim.storage import Database, Row, Tx

DDL = (
    "CREATE TABLE IF NOT EXISTS console_status (kiosk_id TEXT PRIMARY KEY, seq BIGINT NOT NULL,"
    " last_seen DOUBLE PRECISION NOT NULL, silent_after DOUBLE PRECISION NOT NULL, status TEXT NOT NULL,"
    " severity INTEGER NOT NULL, since DOUBLE PRECISION, problems TEXT NOT NULL, devices TEXT NOT NULL,"
    " supplies TEXT NOT NULL, district TEXT NOT NULL, branch TEXT NOT NULL, site TEXT NOT NULL,"
    " device_class TEXT NOT NULL, version TEXT NOT NULL, mode TEXT NOT NULL, queue_depth BIGINT NOT NULL,"
    " queue_oldest_s DOUBLE PRECISION NOT NULL, dead_letters BIGINT NOT NULL, link_online INTEGER NOT NULL,"
    " open_alarms INTEGER NOT NULL, runs_out_24h INTEGER NOT NULL, rate_at DOUBLE PRECISION, rate_fed BIGINT,"
    " rate_printed BIGINT, fed_per_h DOUBLE PRECISION, printed_per_h DOUBLE PRECISION)",
    "CREATE INDEX IF NOT EXISTS console_status_rank ON console_status (severity, since)",
    "CREATE INDEX IF NOT EXISTS console_status_district ON console_status (district, branch)",
    "CREATE INDEX IF NOT EXISTS console_status_branch ON console_status (branch)",
    "CREATE INDEX IF NOT EXISTS console_status_class ON console_status (device_class)",
    "CREATE INDEX IF NOT EXISTS console_status_version ON console_status (version)",
    "CREATE INDEX IF NOT EXISTS console_status_state ON console_status (status)",
    "CREATE INDEX IF NOT EXISTS console_status_silent ON console_status (silent_after)",
    "CREATE TABLE IF NOT EXISTS console_history (kiosk_id TEXT NOT NULL, at DOUBLE PRECISION NOT NULL,"
    " kind TEXT NOT NULL, name TEXT NOT NULL, value TEXT NOT NULL, detail TEXT NOT NULL)",
    "CREATE INDEX IF NOT EXISTS console_history_kiosk ON console_history (kiosk_id, at)",
    "CREATE TABLE IF NOT EXISTS console_alarms (event_id TEXT PRIMARY KEY, state TEXT NOT NULL,"
    " assignee TEXT NOT NULL, note TEXT NOT NULL, updated_by TEXT NOT NULL, updated_at TEXT NOT NULL)",
    "CREATE TABLE IF NOT EXISTS console_audit (entry_id TEXT PRIMARY KEY, at TEXT NOT NULL,"
    " at_epoch DOUBLE PRECISION NOT NULL, operator TEXT NOT NULL, role TEXT NOT NULL, kiosk_id TEXT NOT NULL,"
    " action TEXT NOT NULL, reason TEXT NOT NULL, detail TEXT NOT NULL, command_id TEXT)",
    "CREATE INDEX IF NOT EXISTS console_audit_kiosk ON console_audit (kiosk_id, at_epoch)",
    "CREATE TABLE IF NOT EXISTS console_meta (name TEXT PRIMARY KEY, value TEXT NOT NULL)",
    # Reads the console makes on the shared tables: today's transactions, new events, today's cards.
    "CREATE INDEX IF NOT EXISTS console_events_received ON kiosk_events (received_at)",
    "CREATE INDEX IF NOT EXISTS console_events_type ON kiosk_events (type, received_at)",
    "CREATE INDEX IF NOT EXISTS console_timeline_status ON application_timeline (status, at)",
)

FORECAST_H = 24.0
HISTORY_DAYS = 90
RATE_MIN_WINDOW_S = 900.0  # a consumption rate needs at least 15 minutes of counter history
RATE_MAX_WINDOW_S = 86400.0
# Units left when the kiosk reports "low" (kiosk.maintenance.consumables thresholds; the central does not
# import the kiosk). A heartbeat may carry exact counts in devices.<name>.supply_remaining instead.
LOW_LEFT = {"blank_cards": 20, "ribbon": 20, "paper": 30}
ISSUER_SUPPLIES = ("blank_cards", "ribbon")
SORTS = {
    "severity": "sev DESC, since_eff ASC, kiosk_id ASC",
    "kiosk": "kiosk_id ASC",
    "last_seen": "last_seen ASC, kiosk_id ASC",
    "queue": "queue_depth DESC, kiosk_id ASC",
    "version": "version ASC, kiosk_id ASC",
    "district": "district ASC, branch ASC, kiosk_id ASC",
}
STATES = ("in_service", "degraded", "out_of_service", "silent")
MAX_PER_PAGE = 200


@dataclass(frozen=True)
class Site:
    district: str
    branch: str
    name: str = ""


def create_tables(db: Database) -> None:
    with db.transaction() as tx:
        for statement in DDL:
            tx.execute(statement)


def _obj(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _counter(devices: dict[str, Any], device: str, name: str) -> int:
    value = _obj(_obj(devices.get(device)).get("counters")).get(name)
    return int(value) if isinstance(value, int) and not isinstance(value, bool) else 0


def open_alarms(tx: Tx, kiosk_id: str) -> list[Row]:
    return tx.all(
        "SELECT e.event_id, e.at, e.device, e.severity, e.code, e.message, COALESCE(a.state, 'open') AS state,"
        " COALESCE(a.assignee, '') AS assignee, COALESCE(a.note, '') AS note FROM kiosk_events e"
        " LEFT JOIN console_alarms a ON a.event_id = e.event_id WHERE e.kiosk_id = ? AND e.type = 'device_alarm'"
        " AND e.cleared = 0 AND (a.state IS NULL OR a.state <> 'resolved') ORDER BY e.at DESC", (kiosk_id,))


def _forecast(devices: dict[str, Any], fed_per_h: float | None, printed_per_h: float | None) -> dict[str, Any]:
    """Each supply's level and, where a rate is known, the hours until it runs out."""
    out: dict[str, Any] = {}
    for name, dev in sorted(devices.items()):
        d = _obj(dev)
        remaining = _obj(d.get("supply_remaining"))
        for supply, level in sorted(_obj(d.get("supplies")).items()):
            rate = fed_per_h if supply in ISSUER_SUPPLIES else printed_per_h if supply == "paper" else None
            left = remaining.get(supply)
            if not isinstance(left, int):
                left = 0 if level == "out" else LOW_LEFT.get(supply) if level == "low" else None
            hours = 0.0 if left == 0 else (left / rate if left is not None and rate else None)
            out[f"{name}.{supply}"] = {"level": str(level), "hours_left": None if hours is None else round(hours, 1)}
    return out


def _refresh(tx: Tx, k: Row, old: Row | None, now: float, sites: dict[str, Site]) -> None:
    kid = str(k["kiosk_id"])
    state: dict[str, Any] = json.loads(k["state"])
    # when it changed: the heartbeat's arrival, or now for a refresh caused by events or an operator
    new_beat = old is None or int(old["seq"]) != int(k["last_seq"]) or float(old["last_seen"]) != float(k["last_seen"])
    at = float(k["last_seen"]) if new_beat else now
    alarms = open_alarms(tx, kid)
    anchored = audit_anchor.view(tx, kid) or {}
    a = assess(state, alarms, str(anchored.get("problem") or ""))
    devices = _obj(state.get("devices"))
    queue, link = _obj(state.get("queue")), _obj(state.get("link"))
    link_online = 0 if link.get("online") is False else 1
    mode = str(state.get("mode", ""))
    # consumption rates from the issuer's and printer's counters
    fed, printed = _counter(devices, "issuer", "cards_fed"), _counter(devices, "receipt_printer", "receipts_printed")
    # (rates are measured between heartbeat arrivals, not syncs)
    rate_at, rate_fed, rate_printed = (old["rate_at"], old["rate_fed"], old["rate_printed"]) if old else (None, 0, 0)
    fed_h, printed_h = (old["fed_per_h"], old["printed_per_h"]) if old else (None, None)
    if rate_at is None or fed < int(rate_fed or 0) or printed < int(rate_printed or 0):
        rate_at, rate_fed, rate_printed = at, fed, printed  # first sample, or the counters were reset
    elif at - float(rate_at) >= RATE_MIN_WINDOW_S:
        hours = (at - float(rate_at)) / 3600
        fed_h, printed_h = (fed - int(rate_fed or 0)) / hours, (printed - int(rate_printed or 0)) / hours
        if at - float(rate_at) > RATE_MAX_WINDOW_S:
            rate_at, rate_fed, rate_printed = at, fed, printed
    supplies = _forecast(devices, fed_h, printed_h)
    runs_out = sum(1 for s in supplies.values() if s["hours_left"] is not None and s["hours_left"] <= FORECAST_H)
    since = old["since"] if old and int(old["severity"]) > OK else None
    if a.severity > OK and since is None:
        since = at
    if a.severity == OK:
        since = None
    site = sites.get(kid) or Site(district_of(kid), "")
    dev_states = {n: f'{_obj(d).get("state", "")}|{_obj(d).get("last_error") or ""}' for n, d in devices.items()}
    history: list[tuple[str, str, str, str]] = []
    old_devices: dict[str, str] = json.loads(old["devices"]) if old else {}
    for name, value in sorted(dev_states.items()):
        if old_devices.get(name) != value:
            st, _, err = value.partition("|")
            history.append(("device", name, st, err))
    if old is None or int(old["link_online"]) != link_online:
        history.append(("link", "link", "online" if link_online else "offline",
                        str(link.get("consecutive_failures", ""))))
    if old is None or old["mode"] != mode:
        history.append(("mode", "mode", mode, ""))
    if old is not None and float(old["silent_after"]) < float(k["last_seen"]):
        gap = float(k["last_seen"]) - float(old["last_seen"])
        history.append(("heartbeat", "heartbeat", "resumed", f"{gap:.0f}"))
    for kind, name, value, detail in history:
        tx.execute("INSERT INTO console_history (kiosk_id, at, kind, name, value, detail) VALUES (?,?,?,?,?,?)",
                   (kid, at, kind, name, value, detail[:200]))
    values = (
        kid, int(k["last_seq"]), float(k["last_seen"]),
        float(k["last_seen"]) + OFFLINE_AFTER_MISSED * float(k["interval_s"]), a.status, a.severity, since,
        json.dumps(a.problems, ensure_ascii=False), json.dumps(dev_states, ensure_ascii=False),
        json.dumps(supplies), site.district, site.branch, site.name, a.device_class,
        str(state.get("app_version", "")), mode, int(queue.get("depth") or 0), float(queue.get("oldest_age_s") or 0),
        int(queue.get("dead_letters") or 0), link_online, len(alarms), runs_out, rate_at, rate_fed, rate_printed,
        fed_h, printed_h,
    )
    cols = ("kiosk_id, seq, last_seen, silent_after, status, severity, since, problems, devices, supplies, district,"
            " branch, site, device_class, version, mode, queue_depth, queue_oldest_s, dead_letters, link_online,"
            " open_alarms, runs_out_24h, rate_at, rate_fed, rate_printed, fed_per_h, printed_per_h")
    updates = ", ".join(f"{c.strip()} = excluded.{c.strip()}" for c in cols.split(",")[1:])
    tx.execute(f"INSERT INTO console_status ({cols}) VALUES ({','.join('?' * len(values))})"
               f" ON CONFLICT (kiosk_id) DO UPDATE SET {updates}", values)


def prune_history(db: Database, now: float) -> int:
    """Forget timeline entries older than HISTORY_DAYS (the operator log is kept: it is an audit record)."""
    with db.transaction() as tx:
        return tx.execute("DELETE FROM console_history WHERE at < ?", (now - HISTORY_DAYS * 86400,))


def sync(db: Database, now: float, sites: dict[str, Site], force: tuple[str, ...] = ()) -> int:
    """Bring console_status up to date with the kiosks' last heartbeats and new events; returns rows refreshed."""
    with db.transaction() as tx:
        cursor = tx.scalar("SELECT value FROM console_meta WHERE name = 'events_cursor'") or ""
        newest = tx.scalar("SELECT MAX(received_at) FROM kiosk_events WHERE received_at > ?", (cursor,))
        with_events: set[str] = set(force)
        if newest:
            with_events |= {r["kiosk_id"] for r in tx.all(
                "SELECT DISTINCT kiosk_id FROM kiosk_events WHERE received_at > ?", (cursor,))}
            tx.execute("INSERT INTO console_meta (name, value) VALUES ('events_cursor', ?)"
                       " ON CONFLICT (name) DO UPDATE SET value = excluded.value", (newest,))
        changed = tx.all(
            "SELECT k.kiosk_id, k.last_seen, k.last_seq, k.interval_s, k.state FROM kiosks k"
            " LEFT JOIN console_status s ON s.kiosk_id = k.kiosk_id"
            " WHERE s.kiosk_id IS NULL OR s.seq <> k.last_seq OR s.last_seen <> k.last_seen")
        todo = {str(r["kiosk_id"]): r for r in changed}
        for kid in with_events - set(todo):
            row = tx.one("SELECT kiosk_id, last_seen, last_seq, interval_s, state FROM kiosks WHERE kiosk_id = ?",
                         (kid,))
            if row:
                todo[kid] = row
        for kid, row in todo.items():
            _refresh(tx, row, tx.one("SELECT * FROM console_status WHERE kiosk_id = ?", (kid,)), now, sites)
        return len(todo)


# --- reading -------------------------------------------------------------------------------------------------


@dataclass
class Query:
    q: str = ""
    district: str = ""
    branch: str = ""
    device_class: str = ""
    state: str = ""
    version: str = ""
    everything: bool = False  # False: only kiosks with a problem (the exception list)
    sort: str = "severity"
    page: int = 1
    per_page: int = 50
    problems: list[str] = field(default_factory=list)

    @classmethod
    def from_params(cls, params: dict[str, str]) -> Query:
        def num(name: str, default: int) -> int:
            try:
                return max(1, int(params.get(name, default)))
            except ValueError:
                return default

        return cls(q=params.get("q", "").strip()[:64], district=params.get("district", ""),
                   branch=params.get("branch", "")[:80], device_class=params.get("device_class", ""),
                   state=params.get("state", "") if params.get("state", "") in STATES else "",
                   version=params.get("version", "")[:40], everything=params.get("all", "") in ("1", "on", "true"),
                   sort=params.get("sort", "severity") if params.get("sort") in SORTS else "severity",
                   page=num("page", 1), per_page=min(num("per_page", 50), MAX_PER_PAGE))

    def params(self, **over: Any) -> dict[str, str]:
        """The query string form (for links that keep the filters)."""
        values = {"q": self.q, "district": self.district, "branch": self.branch, "device_class": self.device_class,
                  "state": self.state, "version": self.version, "all": "1" if self.everything else "",
                  "sort": self.sort if self.sort != "severity" else "", "page": str(self.page) if self.page > 1 else "",
                  "per_page": str(self.per_page) if self.per_page != 50 else ""}
        values.update({k: str(v) for k, v in over.items()})
        return {k: v for k, v in values.items() if v}


EFFECTIVE = ("CASE WHEN silent_after < ? THEN ? ELSE severity END AS sev,"
             " CASE WHEN silent_after < ? THEN silent_after ELSE since END AS since_eff,"
             " CASE WHEN silent_after < ? THEN 'silent' ELSE status END AS state")


def _where(query: Query, now: float) -> tuple[str, list[Any]]:
    clauses: list[str] = []
    args: list[Any] = []
    if not query.everything and not query.state:
        clauses.append("(severity > 0 OR silent_after < ?)")
        args.append(now)
    if query.q:
        clauses.append("(LOWER(kiosk_id) LIKE ? OR LOWER(branch) LIKE ? OR LOWER(site) LIKE ?)")
        args += [f"%{query.q.lower()}%"] * 3
    for column in ("district", "branch", "device_class", "version"):
        value = getattr(query, column)
        if value:
            clauses.append(f"{column} = ?")
            args.append(value)
    if query.state == "silent":
        clauses.append("silent_after < ?")
        args.append(now)
    elif query.state:
        clauses.append("status = ? AND silent_after >= ?")
        args += [query.state, now]
    return (" WHERE " + " AND ".join(clauses)) if clauses else "", args


def list_kiosks(tx: Tx, query: Query, now: float) -> tuple[int, list[Row]]:
    where, args = _where(query, now)
    total = int(tx.scalar(f"SELECT COUNT(*) FROM console_status{where}", args) or 0)
    rows = tx.all(
        f"SELECT kiosk_id, last_seen, status, severity, problems, district, branch, site, device_class, version,"
        f" mode, queue_depth, queue_oldest_s, dead_letters, link_online, open_alarms, runs_out_24h, {EFFECTIVE}"
        f" FROM console_status{where} ORDER BY {SORTS[query.sort]} LIMIT ? OFFSET ?",
        [now, SILENT, now, now, *args, query.per_page, (query.page - 1) * query.per_page])
    return total, rows


def facets(tx: Tx, district: str = "") -> dict[str, list[str]]:
    """The values the filters offer (distinct, indexed columns). Branches only within a chosen district: a
    city has hundreds, and listing them all would weigh more than the page."""
    out = {c: [str(r[c]) for r in tx.all(f"SELECT DISTINCT {c} FROM console_status WHERE {c} <> '' ORDER BY {c}")]
           for c in ("district", "device_class", "version")}
    out["branch"] = [str(r["branch"]) for r in tx.all(
        "SELECT DISTINCT branch FROM console_status WHERE district = ? AND branch <> '' ORDER BY branch",
        (district,))] if district else []
    return out


def _day_start(now: float) -> str:
    day = dt.datetime.fromtimestamp(now, CST).replace(hour=0, minute=0, second=0, microsecond=0)
    return rfc3339(day)


def kpis(tx: Tx, now: float) -> dict[str, Any]:
    states = dict.fromkeys(STATES, 0)
    for r in tx.all("SELECT s, COUNT(*) AS n FROM (SELECT CASE WHEN silent_after < ? THEN 'silent' ELSE status END"
                    " AS s FROM console_status) x GROUP BY s", (now,)):
        states[str(r["s"])] = int(r["n"])
    start = _day_start(now)
    by_service: dict[str, int] = {}
    for r in tx.all("SELECT code, COUNT(*) AS n FROM kiosk_events WHERE type = 'transaction_outcome'"
                    " AND received_at >= ? GROUP BY code", (start,)):
        service = str(r["code"]).split(".", 1)[0]
        by_service[service] = by_service.get(service, 0) + int(r["n"])
    queue = tx.one("SELECT COALESCE(SUM(queue_depth), 0) AS depth, COALESCE(MAX(queue_oldest_s), 0) AS oldest,"
                   " COALESCE(SUM(dead_letters), 0) AS dead, COALESCE(SUM(runs_out_24h), 0) AS runs_out"
                   " FROM console_status") or {}
    cards = {str(r["status"]): int(r["n"]) for r in tx.all(
        "SELECT status, COUNT(*) AS n FROM application_timeline WHERE status IN ('produced', 'production_failed')"
        " AND at >= ? GROUP BY status", (start,))}
    return {
        "kiosks": states, "total": sum(states.values()), "transactions_today": dict(sorted(by_service.items())),
        "queue_depth": int(queue.get("depth") or 0), "queue_oldest_s": float(queue.get("oldest") or 0),
        "dead_letters": int(queue.get("dead") or 0), "cards_issued_today": cards.get("produced", 0),
        "cards_spoiled_today": cards.get("production_failed", 0),
        "supplies_out_24h": int(queue.get("runs_out") or 0), "day_start": start,
    }


def kiosk_detail(tx: Tx, kiosk_id: str, now: float) -> dict[str, Any] | None:
    row = tx.one(f"SELECT *, {EFFECTIVE} FROM console_status WHERE kiosk_id = ?", (now, SILENT, now, now, kiosk_id))
    beat = tx.one("SELECT state, first_seen, interval_s FROM kiosks WHERE kiosk_id = ?", (kiosk_id,))
    if row is None or beat is None:
        return None
    state: dict[str, Any] = json.loads(beat["state"])
    return {
        "kiosk_id": kiosk_id, "state": row["state"], "severity": int(row["sev"]), "since": row["since_eff"],
        "last_seen": float(row["last_seen"]), "age_s": max(0.0, now - float(row["last_seen"])),
        "first_seen": beat["first_seen"], "interval_s": float(beat["interval_s"]),
        "district": row["district"], "branch": row["branch"], "site": row["site"],
        "device_class": row["device_class"], "version": row["version"], "mode": row["mode"],
        "problems": json.loads(row["problems"]), "supplies": json.loads(row["supplies"]),
        "devices": _obj(state.get("devices")), "queue": _obj(state.get("queue")), "link": _obj(state.get("link")),
        "audit": audit_anchor.view(tx, kiosk_id) or {}, "uptime_s": state.get("uptime_s"),
        "disk_free_bytes": state.get("disk_free_bytes"), "in_transaction": bool(state.get("in_transaction")),
        "consumption": {"cards_fed_per_h": row["fed_per_h"], "receipts_per_h": row["printed_per_h"]},
        "history": tx.all("SELECT at, kind, name, value, detail FROM console_history WHERE kiosk_id = ?"
                          " ORDER BY at DESC LIMIT 200", (kiosk_id,)),
        "alarms": open_alarms(tx, kiosk_id),
        "commands": tx.all("SELECT command_id, command, created_at, delivered_at, outcome FROM kiosk_commands"
                           " WHERE kiosk_id = ? ORDER BY created_at DESC LIMIT 50", (kiosk_id,)),
        "audit_log": tx.all("SELECT at, operator, role, action, reason, detail, command_id FROM console_audit"
                            " WHERE kiosk_id = ? ORDER BY at_epoch DESC LIMIT 100", (kiosk_id,)),
    }


def map_sites(tx: Tx, now: float) -> list[Row]:
    """Per site (district + branch): kiosk count and the worst effective severity."""
    return tx.all(
        "SELECT district, branch, COUNT(*) AS kiosks,"
        " MAX(CASE WHEN silent_after < ? THEN ? ELSE severity END) AS worst,"
        " SUM(CASE WHEN silent_after < ? THEN 1 ELSE 0 END) AS silent"
        " FROM console_status WHERE district <> '' GROUP BY district, branch ORDER BY district, branch",
        (now, SILENT, now))


def audit(tx: Tx, at: dt.datetime, operator: str, role: str, kiosk_id: str, action: str, reason: str,
          detail: str = "", command_id: str | None = None) -> None:
    tx.execute("INSERT INTO console_audit (entry_id, at, at_epoch, operator, role, kiosk_id, action, reason, detail,"
               " command_id) VALUES (?,?,?,?,?,?,?,?,?,?)",
               (str(uuid.uuid4()), rfc3339(at), at.timestamp(), operator, role, kiosk_id, action, reason[:500],
                detail[:500], command_id))
