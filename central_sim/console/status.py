"""What a heartbeat says about a kiosk: its fleet status, how severe its problems are and which they are.

One place for the rule (the console's KPIs, exception list, map and kiosk page all read it). A kiosk is
*silent* after 3 missed heartbeats (fleet.OFFLINE_AFTER_MISSED); that depends on the time, so it is decided
when reading (console_status.silent_after), not here.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

OLD_QUEUE_S = 3600.0  # the oldest queued request older than this is a problem (alert KioskQueueItemOld)
BROKEN_DEVICE = ("hardware_error", "offline", "power_off")
NOT_SERVING_MODES = ("out_of_service", "maintenance", "starting")
# Severity ranks (higher first in the exception list). SILENT is only given when reading.
OK, WARNING, MAJOR, CRITICAL, SILENT = 0, 1, 2, 3, 4
SEVERITY_NAMES = {OK: "ok", WARNING: "warning", MAJOR: "major", CRITICAL: "critical", SILENT: "critical"}


@dataclass
class Assessment:
    status: str  # in_service / degraded / out_of_service (silent is decided when reading)
    severity: int
    problems: list[dict[str, str]] = field(default_factory=list)  # {kind, code, device?, detail?}
    device_class: str = "service"
    reduced: bool = False  # some service is closed (a broken device, a supply out, the link down)

    def add(self, severity: int, kind: str, code: str, *, reduces: bool = False, **extra: str) -> None:
        self.severity = max(self.severity, severity)
        self.reduced = self.reduced or reduces
        self.problems.append({"kind": kind, "code": code, **extra})


def _obj(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def assess(state: dict[str, Any], open_alarms: list[dict[str, Any]], audit_problem: str = "") -> Assessment:
    """``state``: the last heartbeat body; ``open_alarms``: unresolved device alarms (severity, code, device);
    ``audit_problem``: the central's own finding on the kiosk's anchored audit chain (central_sim/audit_anchor.py)."""
    a = Assessment("in_service", OK)
    mode = str(state.get("mode", ""))
    devices = _obj(state.get("devices"))
    issuer = _obj(devices.get("issuer"))
    a.device_class = "issuing" if issuer and issuer.get("state") != "no_device" else "service"
    for name, dev in sorted(devices.items()):
        d = _obj(dev)
        st = str(d.get("state", ""))
        if st in BROKEN_DEVICE:
            a.add(CRITICAL, "device", st, reduces=True, device=name, detail=str(d.get("last_error") or ""))
        elif st == "user_error":
            a.add(WARNING, "device", st, device=name, detail=str(d.get("last_error") or ""))
        for supply, level in sorted(_obj(d.get("supplies")).items()):
            if level == "out":
                a.add(CRITICAL, "supply", "out", reduces=True, device=name, detail=supply)
            elif level == "low":
                a.add(WARNING, "supply", "low", device=name, detail=supply)
    queue = _obj(state.get("queue"))
    if int(queue.get("dead_letters") or 0) > 0:
        a.add(MAJOR, "dead_letters", str(int(queue["dead_letters"])))
    if float(queue.get("oldest_age_s") or 0) > OLD_QUEUE_S:
        a.add(MAJOR, "queue_old", str(int(float(queue["oldest_age_s"]))))
    if _obj(state.get("link")).get("online") is False:
        a.add(MAJOR, "link_down", reduces=True, code=str(_obj(state.get("link")).get("consecutive_failures", "")))
    if audit_problem:
        a.add(CRITICAL, "audit", "chain_broken", detail=audit_problem)
    for alarm in open_alarms:
        a.add(CRITICAL if alarm["severity"] == "critical" else WARNING, "alarm", str(alarm["code"]),
              device=str(alarm.get("device") or ""))
    if mode in NOT_SERVING_MODES:
        a.status = "out_of_service"
        a.add(MAJOR if mode == "out_of_service" else WARNING, "mode", mode)
    elif a.reduced:
        a.status = "degraded"
    return a
