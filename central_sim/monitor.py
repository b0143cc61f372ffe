"""GET /monitor (fleet page rendered on the server: works without scripts, refreshes itself) and
GET /metrics (Prometheus text exposition with per-kiosk gauges)."""

from __future__ import annotations

import html
import logging
import time
from typing import TYPE_CHECKING, Any

from central_sim import fleet_metrics, payments
from central_sim.fleet import finite_number, fleet
from central_sim.release.status import update_cell

if TYPE_CHECKING:
    from central_sim.central import Central

log = logging.getLogger("central_sim")
REFRESH_S = 10
# hal.status.DeviceState values (the central does not import hal): 0 fine, 1 needs a person, 2 broken, 3 gone.
DEVICE_STATE_VALUE = {"online": 0, "busy": 0, "user_error": 1, "hardware_error": 2, "offline": 3, "power_off": 3,
                      "no_device": 3}

_CSS = """
body{font-family:"Noto Sans CJK SC","Noto Sans",sans-serif;margin:1.2em;color:#1b1b1b;background:#f6f7f9}
h1{font-size:1.4em;margin:0 0 .2em} .sub{color:#555;margin-bottom:1em}
table{border-collapse:collapse;width:100%;background:#fff} th,td{border:1px solid #d5d9de;padding:.35em .5em;
text-align:left;vertical-align:top;font-size:.9em} th{background:#e9edf2}
.ok{color:#17693a}.warn{color:#9a6400}.bad{color:#b3261e;font-weight:bold}
tr.offline td{background:#fdecea} .dev{white-space:nowrap} .tag{display:inline-block;padding:0 .4em;border-radius:3px}
.tag.offline{background:#b3261e;color:#fff}.tag.online{background:#17693a;color:#fff}
"""


def _e(value: object) -> str:
    return html.escape(str(value), quote=True)


def _age(seconds: float) -> str:
    if seconds < 90:
        return f"{seconds:.0f} s"
    if seconds < 5400:
        return f"{seconds / 60:.0f} min"
    return f"{seconds / 3600:.1f} h"


def _state_class(state: str) -> str:
    return {"online": "ok", "busy": "ok", "user_error": "warn", "no_device": "warn"}.get(state, "bad")


def _devices(devices: Any) -> str:
    if not isinstance(devices, dict) or not devices:
        return "—"
    lines = []
    for name, d in sorted(devices.items()):
        d = d if isinstance(d, dict) else {}
        state = str(d.get("state", "?"))
        err = f" ({_e(d['last_error'])})" if d.get("last_error") else ""
        lines.append(f'<div class="dev">{_e(name)}: <span class="{_state_class(state)}">{_e(state)}</span>{err}</div>')
    return "".join(lines)


def _supplies(devices: Any) -> str:
    if not isinstance(devices, dict):
        return "—"
    items = []
    for name, d in sorted(devices.items()):
        supplies = d.get("supplies") if isinstance(d, dict) else None
        if isinstance(supplies, dict):
            for s, level in sorted(supplies.items()):
                cls = "bad" if str(level) in ("empty", "out") else "warn" if str(level) in ("low", "near_end") else ""
                items.append(f'<div class="dev">{_e(name)}.{_e(s)}: <span class="{cls}">{_e(level)}</span></div>')
    return "".join(items) or "—"


def _obj(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _boot(k: dict[str, Any]) -> str:
    boot = str(k.get("boot_id") or "")
    if not boot:
        return ""
    return f'<br><small title="{_e(boot)}">boot {_e(boot[:8])} · 重启 restarts {int(k.get("restarts") or 0)}</small>'


def _row(k: dict[str, Any]) -> str:
    s = _obj(k["state"])
    queue, link = _obj(s.get("queue")), _obj(s.get("link"))
    alarms = "".join(
        f'<div class="{"bad" if a["severity"] == "critical" else "warn"}">{_e(a["device"] or "-")}: '
        f'{_e(a["code"])} — {_e(a["message"])}</div>' for a in k["alarms"]) or "—"
    status = '<span class="tag offline">离线 offline</span>' if k["offline"] else \
        '<span class="tag online">在线 online</span>'
    return (
        f'<tr class="{"offline" if k["offline"] else ""}"><td>{_e(k["kiosk_id"])}<br>{status}</td>'
        f'<td>{_age(k["age_s"])}<br><small>seq {_e(k["seq"])}</small>{_boot(k)}</td>'
        f'<td>{_e(s.get("mode", "?"))}{" · 交易中" if s.get("in_transaction") is True else ""}</td>'
        f"<td>{update_cell(s)}</td>"
        f'<td>{_devices(s.get("devices"))}</td><td>{_supplies(s.get("devices"))}</td>'
        f'<td>{_e(queue.get("depth", "?"))}</td><td>{_age(finite_number(queue.get("oldest_age_s")))}</td>'
        f'<td>{_e(queue.get("dead_letters", 0))}</td>'
        f'<td>{"up" if link.get("online", True) else "down"} / {_e(link.get("consecutive_failures", 0))}</td>'
        f"<td>{alarms}</td><td>{_audit(k.get('audit'))}</td></tr>"
    )


def _audit(audit: Any) -> str:
    """The audit chain as the central has anchored it: the head, or the problem found (forked/rewound)."""
    if not isinstance(audit, dict):
        return "—"
    if audit.get("problem"):
        return f'<span class="bad">审计链异常 {_e(audit["problem"])}</span><br><small>{_e(audit["problem_at"])}</small>'
    if audit.get("seq") is None:
        return "—"
    return f'<span class="ok">#{_e(audit["seq"])}</span> <small>{_e(str(audit.get("head") or "")[:12])}</small>'


def render_page(central: Central) -> str:
    central.heartbeats.flush()
    with central.db.read() as tx:
        kiosks = fleet(tx, time.time())
        refunds = payments.refunds(tx)
    offline = sum(1 for k in kiosks if k["offline"])
    rows = []
    for k in kiosks:
        try:
            rows.append(_row(k))
        except Exception:  # odd stored data: this kiosk's row says so, the page still renders
            log.exception("monitor row failed", extra={"kiosk_id": str(k.get("kiosk_id"))[:64]})
            rows.append(f'<tr class="offline"><td>{_e(k.get("kiosk_id", "?"))}</td>'
                        '<td colspan="11" class="bad">状态数据无法显示 state unreadable</td></tr>')
    body = "".join(rows) or '<tr><td colspan="12">尚无终端上报心跳 No kiosk has reported yet.</td></tr>'
    return (
        f'<!doctype html><html lang="zh-CN"><head><meta charset="utf-8">'
        f'<meta http-equiv="refresh" content="{REFRESH_S}"><title>终端监控 Kiosk fleet</title>'
        f"<style>{_CSS}</style></head><body><h1>社保卡自助终端监控 Kiosk fleet</h1>"
        f'<div class="sub">{len(kiosks)} kiosks · {offline} offline (3 missed heartbeats) · '
        f"refreshes every {REFRESH_S} s · {_e(time.strftime('%Y-%m-%d %H:%M:%S'))}</div>"
        "<table><thead><tr><th>终端 Kiosk</th><th>心跳 Last heartbeat</th><th>模式 Mode</th><th>版本 Version</th>"
        "<th>设备 Devices</th><th>耗材 Supplies</th><th>队列 Queue</th><th>最久 Oldest</th><th>死信 Dead</th>"
        f"<th>链路 Link</th><th>告警 Alarms</th><th>审计链 Audit chain</th></tr></thead><tbody>{body}</tbody></table>"
        f"{_refunds(refunds)}</body></html>"
    )


def _refunds(rows: list[dict[str, Any]]) -> str:
    """Fee payments refunded (paid after the order was voided, or twice): staff see each one."""
    if not rows:
        return ""
    cells = "".join(f"<tr><td>{_e(r['payment_id'])}</td><td>{_e(r['kiosk_id'])}</td><td>{_e(r['application_id'])}</td>"
                    f"<td>{int(r['refund_fen']) / 100:.2f}</td><td>{_e(r['void_reason'] or '—')}</td>"
                    f"<td>{_e(r['refunded_at'] or '')}</td></tr>" for r in rows)
    return ("<h2>退款 Refunds (late or duplicate fee payments)</h2><table><thead><tr><th>订单 Order</th>"
            "<th>终端 Kiosk</th><th>申请 Application</th><th>退款 Refund ¥</th><th>作废原因 Void reason</th>"
            f"<th>退款时间 Refunded at</th></tr></thead><tbody>{cells}</tbody></table>")


def _label(value: str) -> str:
    return value.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")


def render_metrics(central: Central) -> str:
    central.heartbeats.flush()
    with central.db.read() as tx:
        kiosks = fleet(tx, time.time())
        issuance = fleet_metrics.issuance_series(tx, central.now())
    out = [
        "# HELP sscard_kiosk_heartbeat_age_seconds Seconds since the kiosk's last heartbeat.",
        "# TYPE sscard_kiosk_heartbeat_age_seconds gauge",
    ]
    out += [f'sscard_kiosk_heartbeat_age_seconds{{kiosk="{_label(k["kiosk_id"])}"}} {k["age_s"]:.1f}' for k in kiosks]
    out += ["# HELP sscard_kiosk_up 1 if the kiosk heartbeated within 3 intervals.", "# TYPE sscard_kiosk_up gauge"]
    out += [f'sscard_kiosk_up{{kiosk="{_label(k["kiosk_id"])}"}} {0 if k["offline"] else 1}' for k in kiosks]
    out += ["# HELP sscard_kiosk_queue_depth Requests waiting in the kiosk's offline queue.",
            "# TYPE sscard_kiosk_queue_depth gauge"]
    out += ["# HELP sscard_kiosk_queue_oldest_age_seconds Age of the oldest queued request.",
            "# TYPE sscard_kiosk_queue_oldest_age_seconds gauge"]
    queue_lines, oldest_lines, mode_lines, dev_lines, alarm_lines, boot_lines = [], [], [], [], [], []
    for k in kiosks:
        try:
            kid = _label(k["kiosk_id"])
            s = _obj(k["state"])
            q = _obj(s.get("queue"))
            queue_lines.append(f'sscard_kiosk_queue_depth{{kiosk="{kid}"}} {finite_number(q.get("depth")):g}')
            oldest_lines.append(f'sscard_kiosk_queue_oldest_age_seconds{{kiosk="{kid}"}} '
                                f'{finite_number(q.get("oldest_age_s")):g}')
            mode_lines.append(f'sscard_kiosk_mode{{kiosk="{kid}",mode="{_label(str(s.get("mode", "")))}"}} 1')
            for name, d in sorted(_obj(s.get("devices")).items()):
                state = str(d.get("state", "")) if isinstance(d, dict) else ""
                dev_lines.append(f'sscard_kiosk_device_state{{kiosk="{kid}",device="{_label(str(name))}",'
                                 f'state="{_label(state)}"}} {DEVICE_STATE_VALUE.get(state, 2)}')
            alarm_lines.append(f'sscard_kiosk_active_alarms{{kiosk="{kid}"}} {len(k["alarms"])}')
            boot_lines.append(f'sscard_kiosk_restarts{{kiosk="{kid}"}} {int(k.get("restarts") or 0)}')
        except Exception:  # one kiosk's odd data must not cost the fleet its metrics
            log.exception("metrics for a kiosk failed", extra={"kiosk_id": str(k.get("kiosk_id"))[:64]})
    out += [*queue_lines, *oldest_lines]
    out += ["# HELP sscard_kiosk_mode The kiosk's reported mode (value 1 on the current one).",
            "# TYPE sscard_kiosk_mode gauge", *mode_lines]
    out += ["# HELP sscard_kiosk_device_state Device state: 0 online/busy, 1 user_error, 2 hardware_error, "
            "3 offline/power_off/no_device.",
            "# TYPE sscard_kiosk_device_state gauge", *dev_lines]
    out += ["# HELP sscard_kiosk_active_alarms Device alarms not yet recovered.",
            "# TYPE sscard_kiosk_active_alarms gauge", *alarm_lines]
    out += ["# HELP sscard_kiosk_restarts Kiosk process restarts (new boot_id) seen by the central.",
            "# TYPE sscard_kiosk_restarts gauge", *boot_lines]
    out += ["# HELP sscard_kiosks Kiosks known to the central.", "# TYPE sscard_kiosks gauge",
            f"sscard_kiosks {len(kiosks)}"]
    out += fleet_metrics.heartbeat_series(kiosks) + issuance + fleet_metrics.certificate_series(central.certfiles)
    return "\n".join(out) + "\n"
