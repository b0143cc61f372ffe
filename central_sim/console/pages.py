"""The console's HTML, rendered on the server (works with scripts off; console.js only adds conveniences).

Codes (devices, states, supplies, alarms, districts) are labelled from the shared table (labels.py); the
words of the page itself are in UI below.
"""

from __future__ import annotations

import datetime as dt
import html
import json
from typing import Any
from urllib.parse import urlencode

from central_sim.clock import CST
from central_sim.console.actions import ACTIONS
from central_sim.console.auth import Operator
from central_sim.console.districts import SHAPES, VIEWBOX, site_point
from central_sim.console.labels import label
from central_sim.console.status import SEVERITY_NAMES, SILENT
from central_sim.console.store import STATES, Query

UI: dict[str, tuple[str, str]] = {
    "title": ("社保卡自助终端运维台", "Kiosk fleet console"),
    "in_service": ("服务中", "In service"), "degraded": ("功能受限", "Degraded"),
    "out_of_service": ("暂停服务", "Out of service"), "silent": ("失联", "Silent"),
    "tx_today": ("今日业务", "Transactions today"), "queue": ("队列积压", "Queue backlog"),
    "oldest": ("最久", "oldest"),
    "cards_today": ("今日制卡 / 废卡（第二十七条）", "Cards issued / spoiled today (art. 27)"),
    "supplies_24h": ("24 小时内将用尽的耗材", "Supplies running out within 24 h"),
    "exceptions": ("异常终端", "Exceptions"), "all_kiosks": ("全部终端", "All kiosks"),
    "search": ("搜索", "Search"), "search_ph": ("终端编号 / 网点", "Kiosk id / branch"),
    "district": ("区县", "District"), "branch": ("网点", "Branch"), "device_class": ("机型", "Device class"),
    "state": ("状态", "State"), "version": ("版本", "Version"), "any": ("全部", "Any"), "sort": ("排序", "Sort"),
    "apply": ("筛选", "Filter"), "show_all": ("包括正常终端", "Include healthy kiosks"),
    "kiosk": ("终端", "Kiosk"), "severity": ("级别", "Severity"), "since": ("持续", "For"),
    "problems": ("问题", "Problems"), "last_seen": ("最后心跳", "Last heartbeat"), "none": ("无", "None"),
    "page": ("第 {p} / {n} 页，共 {t} 台", "Page {p} of {n}, {t} kiosks"), "prev": ("上一页", "Previous"),
    "next": ("下一页", "Next"), "map": ("地图", "Map"), "overview": ("总览", "Overview"),
    "logout": ("退出", "Log out"), "login": ("登录", "Log in"), "user": ("用户名", "User name"),
    "password": ("密码", "Password"), "login_failed": ("用户名或密码错误", "Wrong user name or password"),
    "devices": ("设备", "Devices"), "supplies": ("耗材", "Supplies"), "hours_left": ("预计剩余", "Left"),
    "timeline": ("状态时间线", "State timeline"), "alarms": ("告警", "Alarms"),
    "actions": ("远程操作", "Remote actions"), "oplog": ("操作记录", "Operator log"),
    "commands": ("下发命令", "Commands"), "audit_head": ("审计链", "Audit chain"),
    "reason": ("原因", "Reason"), "confirm": ("我确认执行此操作", "I confirm this action"), "run": ("执行", "Run"),
    "note": ("说明", "Note"), "assignee": ("处理人", "Assignee"), "acknowledge": ("确认", "Acknowledge"),
    "assign": ("指派", "Assign"), "resolve": ("解决", "Resolve"), "no_alarms": ("无未解决告警", "No open alarms"),
    "link": ("链路", "Link"), "dead": ("死信", "Dead letters"), "depth": ("队列", "Queued"),
    "mode": ("模式", "Mode"), "uptime": ("运行时长", "Uptime"), "not_reported": ("未上报", "not reported"),
    "role_needed": ("需要 {r} 权限", "needs the {r} role"), "legend": ("图例", "Legend"),
    "sites": ("网点", "sites"), "done": ("已提交，将在下次心跳时下发", "Queued: sent with the kiosk's next heartbeat"),
    "out_of_service_a": ("暂停服务", "Set out of service"), "in_service_a": ("恢复服务", "Set in service"),
    "self_tests_a": ("运行自检", "Run self-tests"), "diagnostics_a": ("收集诊断包", "Collect diagnostic bundle"),
    "ledger_a": ("上传库存台账", "Request ledger upload"), "restart_a": ("重启程序", "Restart app"),
    "flush_queue_a": ("立即发送队列", "Flush queue"), "chain_ok": ("校验通过", "verified"),
    "chain_broken": ("已断裂", "BROKEN"), "consumption": ("消耗速率", "Consumption"),
    "cards_fed_per_h": ("制卡", "cards"), "receipts_per_h": ("凭条", "receipts"), "link_up": ("在线", "online"),
    "link_down": ("中断", "down"), "resumed": ("失联 {gap} 后恢复心跳", "heartbeats resumed after {gap}"),
    "failures": ("连续失败", "failures"), "handle": ("处理", "Handle"), "last_success": ("上次成功", "last success"),
    "reviews": ("户口簿审核", "Register review"), "no_reviews": ("没有待审核的申请", "Nothing waiting for review"),
    "application": ("申请", "Application"), "child": ("申请人（儿童）", "Applicant (child)"),
    "guardian": ("监护人", "Guardian"), "submitted": ("提交时间", "Submitted"), "pages": ("户口簿页", "Register pages"),
    "delivery": ("领取方式", "Delivery"), "name": ("姓名（户籍登记）", "Name (register)"), "sex": ("性别", "Sex"),
    "birth": ("出生日期", "Born"), "approve": ("审核通过", "Approve"), "refuse": ("不通过", "Refuse"),
    "refusal": ("不通过原因", "Why it is refused"), "decided": ("已审核", "Decided"),
    "review_done": ("审核结论已记录", "Decision recorded"), "open": ("查看", "Open"),
    "transactions": ("交易查询", "Transactions"), "txn": ("交易号", "Transaction number"),
    "find": ("查询", "Find"), "service": ("业务", "Service"), "outcome": ("结果", "Outcome"),
    "ended_at": ("结束时间（终端时钟）", "Ended (kiosk clock)"), "received": ("中心收到", "Received"),
    "end_code": ("结果代码", "Outcome code"),
    "txn_hint": ("输入市民回执上的交易号（或扫描回执二维码）",
                 "Enter the number on the citizen's receipt (or scan its QR code)"),
    "txn_none": ("未找到该交易号。终端离线时，交易记录在联网后上传；请核对号码或稍后再查。",
                 "No such transaction. A kiosk that was offline sends its records when its link is back: check "
                 "the number, or try again later."),
    "compare": ("请核对户口簿页与户籍登记：姓名、性别、出生日期、证件号码、与监护人的关系。",
                "Compare the page with the register: name, sex, date of birth, number, and the guardian."),
}
SEXES = {"1": ("男", "male"), "2": ("女", "female"), "9": ("未说明", "unstated")}
DELIVERIES = {"pickup": ("网点领取", "Collect at the branch"), "courier": ("邮寄", "By post")}
SEVERITY_COLOURS = {0: "#17693a", 1: "#b07d00", 2: "#d2691e", 3: "#b3261e", SILENT: "#5b2a86"}
_CSS = """
*{box-sizing:border-box}body{font-family:"Noto Sans CJK SC","Noto Sans",sans-serif;margin:0;color:#1b1b1b;
background:#f4f6f8;font-size:15px}header{background:#12355b;color:#fff;padding:.6em 1.2em;display:flex;gap:1.2em;
align-items:center}header a{color:#fff}header h1{font-size:1.25em;margin:0;flex:1}main{padding:1em 1.2em}
.kpis{display:grid;grid-template-columns:repeat(auto-fit,minmax(170px,1fr));gap:.7em;margin-bottom:1em}
.kpi{background:#fff;border:1px solid #d5d9de;border-radius:6px;padding:.6em .8em}.kpi b{display:block;
font-size:1.7em}.kpi small{color:#555}.kpi.bad b{color:#b3261e}.kpi.warn b{color:#9a6400}
form.filters{display:flex;flex-wrap:wrap;gap:.5em;align-items:end;background:#fff;border:1px solid #d5d9de;
padding:.6em;border-radius:6px;margin-bottom:.8em}label{display:flex;flex-direction:column;font-size:.85em;gap:.2em}
input,select,textarea,button{font:inherit;padding:.3em .4em}button{cursor:pointer}
table{border-collapse:collapse;width:100%;background:#fff}th,td{border:1px solid #d5d9de;padding:.3em .5em;
text-align:left;vertical-align:top}th{background:#e9edf2}.sev{display:inline-block;padding:0 .45em;border-radius:3px;
color:#fff;font-size:.85em}.pager{margin:.6em 0;display:flex;gap:1em;align-items:center}
section{background:#fff;border:1px solid #d5d9de;border-radius:6px;padding:.6em .9em;margin-bottom:1em}
section h2{font-size:1.1em;margin:.2em 0 .5em}.grid{display:grid;grid-template-columns:1fr 1fr;gap:1em}
.flash{background:#e6f4ea;border:1px solid #17693a;padding:.5em;margin-bottom:1em}
.error{background:#fdecea;border:1px solid #b3261e;padding:.5em;margin-bottom:1em}
.muted{color:#666}form.inline{display:inline}details{margin:.3em 0}
"""


def t(key: str, lang: str, **params: object) -> str:
    zh, en = UI[key]
    return (en if lang == "en" else zh).format(**params)


def e(value: object) -> str:
    return html.escape(str(value), quote=True)


def age(seconds: float | None) -> str:
    if seconds is None:
        return "—"
    if seconds < 90:
        return f"{seconds:.0f} s"
    if seconds < 5400:
        return f"{seconds / 60:.0f} min"
    if seconds < 172800:
        return f"{seconds / 3600:.1f} h"
    return f"{seconds / 86400:.1f} d"


def when(epoch: float) -> str:
    return dt.datetime.fromtimestamp(epoch, CST).strftime("%m-%d %H:%M:%S")


def sev_tag(rank: int, lang: str) -> str:
    name = "silent" if rank == SILENT else SEVERITY_NAMES[rank]
    text = label("kiosk_status", "silent", lang) if rank == SILENT else label("severity", name, lang)
    return f'<span class="sev sev-{name}" style="background:{SEVERITY_COLOURS[rank]}">{e(text)}</span>'


def problem_text(p: dict[str, str], lang: str) -> str:
    kind, code, device = p.get("kind", ""), p.get("code", ""), p.get("device", "")
    dev = f"{label('device', device, lang)}: " if device else ""
    if kind == "device":
        extra = f" ({label('alarm', p['detail'], lang)})" if p.get("detail") else ""
        return f"{dev}{label('device_state', code, lang)}{extra}"
    if kind == "supply":
        return f"{dev}{label('supply', p.get('detail', ''), lang)} {label('supply_level', code, lang)}"
    if kind == "alarm":
        return f"{dev}{label('alarm', code, lang)}"
    if kind == "mode":
        return label("mode", code, lang)
    if kind == "queue_old":
        return f"{label('problem', kind, lang)} {age(float(code))}"
    return f"{label('problem', kind, lang)} {code}".strip()


def layout(title: str, body: str, lang: str, op: Operator | None, *, path: str = "/console") -> str:
    other = "en" if lang == "zh" else "zh"
    user = ""
    if op is not None:
        user = (f'<span>{e(op.name)} · {e(op.role)}</span><form class="inline" method="post" '
                f'action="/console/logout"><button>{t("logout", lang)}</button></form>')
    reviews = f'<a href="/console/reviews">{t("reviews", lang)}</a>' if op is not None and "review" in op.duties else ""
    nav = (f'<a href="/console">{t("overview", lang)}</a><a href="/console/map">{t("map", lang)}</a>'
           f'<a href="/console/transactions">{t("transactions", lang)}</a>{reviews}'
           f'<a href="{e(path)}?lang={other}" hreflang="{other}">{"English" if other == "en" else "中文"}</a>')
    return (f'<!doctype html><html lang="{"en" if lang == "en" else "zh-CN"}"><head><meta charset="utf-8">'
            f'<meta name="viewport" content="width=device-width,initial-scale=1"><title>{e(title)}</title>'
            f'<style>{_CSS}</style><script src="/console/static/console.js" defer></script></head><body>'
            f'<header><h1>{t("title", lang)}</h1>{nav}{user}</header><main>{body}</main></body></html>')


def error_page(title: str, message: str, lang: str, op: Operator | None) -> str:
    return layout(title, f'<div class="error">{e(message)}</div>', lang, op)


def login_page(lang: str, failed: bool, next_url: str) -> str:
    err = f'<div class="error" role="alert">{t("login_failed", lang)}</div>' if failed else ""
    body = (f'<section style="max-width:360px">{err}<h2>{t("login", lang)}</h2>'
            f'<form method="post" action="/console/login"><input type="hidden" name="next" value="{e(next_url)}">'
            f'<label>{t("user", lang)}<input name="user" autocomplete="username" required></label>'
            f'<label>{t("password", lang)}<input name="password" type="password" autocomplete="current-password"'
            f' required></label><p><button id="login">{t("login", lang)}</button></p></form></section>')
    return layout(t("login", lang), body, lang, None, path="/console/login")


def _kpis(k: dict[str, Any], lang: str) -> str:
    states = k["kiosks"]
    cells = [
        ("in_service", states["in_service"], ""),
        ("degraded", states["degraded"], "warn" if states["degraded"] else ""),
        ("out_of_service", states["out_of_service"], ""),
        ("silent", states["silent"], "bad" if states["silent"] else ""),
    ]
    out = [f'<div class="kpi {cls}" id="kpi-{key}"><small>{t(key, lang)}</small><b>{n}</b></div>'
           for key, n, cls in cells]
    services = ", ".join(f"{e(label('service', s, lang))} {n}"
                         for s, n in k["transactions_today"].items()) or t("none", lang)
    total_tx = sum(k["transactions_today"].values())
    out.append(f'<div class="kpi" id="kpi-tx"><small>{t("tx_today", lang)}</small><b>{total_tx}</b>'
               f"<small>{services}</small></div>")
    out.append(f'<div class="kpi" id="kpi-queue"><small>{t("queue", lang)}</small><b>{k["queue_depth"]}</b>'
               f'<small>{t("oldest", lang)} {age(k["queue_oldest_s"])} · {t("dead", lang)} {k["dead_letters"]}'
               f"</small></div>")
    out.append(f'<div class="kpi" id="kpi-cards"><small>{t("cards_today", lang)}</small>'
               f'<b>{k["cards_issued_today"]} / {k["cards_spoiled_today"]}</b></div>')
    cls = "bad" if k["supplies_out_24h"] else ""
    out.append(f'<div class="kpi {cls}" id="kpi-supplies"><small>{t("supplies_24h", lang)}</small>'
               f'<b>{k["supplies_out_24h"]}</b></div>')
    return f'<div class="kpis">{"".join(out)}</div>'


def _select(name: str, values: list[str], current: str, lang: str, kind: str | None) -> str:
    opts = [f'<option value="">{t("any", lang)}</option>']
    for v in values:
        text = label(kind, v, lang) if kind else v
        opts.append(f'<option value="{e(v)}"{" selected" if v == current else ""}>{e(text)}</option>')
    return f'<label>{t(name, lang)}<select name="{name}">{"".join(opts)}</select></label>'


def _branch_kept(q: Query) -> str:
    """No district chosen: no branch list (too long), but a branch set by a link is kept."""
    return f'<input type="hidden" name="branch" value="{e(q.branch)}">' if q.branch else ""


def _filters(q: Query, facets: dict[str, list[str]], lang: str) -> str:
    sorts = {"severity": t("severity", lang), "kiosk": t("kiosk", lang), "last_seen": t("last_seen", lang),
             "queue": t("depth", lang), "version": t("version", lang), "district": t("district", lang)}
    sort_opts = "".join(f'<option value="{k}"{" selected" if k == q.sort else ""}>{e(v)}</option>'
                        for k, v in sorts.items())
    states = [f'<option value="">{t("any", lang)}</option>'] + [
        f'<option value="{s}"{" selected" if s == q.state else ""}>{label("kiosk_status", s, lang)}</option>'
        for s in STATES]
    return (
        f'<form class="filters" method="get" action="/console" id="filters">'
        f'<label>{t("search", lang)}<input type="search" name="q" value="{e(q.q)}" '
        f'placeholder="{t("search_ph", lang)}"></label>'
        f'{_select("district", facets["district"], q.district, lang, "district")}'
        f'{_select("branch", facets["branch"], q.branch, lang, None) if q.district else _branch_kept(q)}'
        f'{_select("device_class", facets["device_class"], q.device_class, lang, "device_class")}'
        f'<label>{t("state", lang)}<select name="state">{"".join(states)}</select></label>'
        f'{_select("version", facets["version"], q.version, lang, None)}'
        f'<label>{t("sort", lang)}<select name="sort">{sort_opts}</select></label>'
        f'<label><span><input type="checkbox" name="all" value="1"{" checked" if q.everything else ""}> '
        f'{t("show_all", lang)}</span></label><button id="apply">{t("apply", lang)}</button></form>')


def _rows(rows: list[dict[str, Any]], now: float, lang: str) -> str:
    out = []
    for r in rows:
        problems = json.loads(r["problems"])
        shown = "; ".join(e(problem_text(p, lang)) for p in problems[:4]) + (" …" if len(problems) > 4 else "")
        if r["state"] == "silent":
            shown = e(label("problem", "silent", lang)) + (f"; {shown}" if shown else "")
        since = now - float(r["since_eff"]) if r["since_eff"] is not None else None
        where = " · ".join(x for x in (label("district", r["district"], lang), r["branch"]) if x)
        out.append(
            f'<tr data-kiosk="{e(r["kiosk_id"])}"><td><a href="/console/kiosks/{e(r["kiosk_id"])}">'
            f'{e(r["kiosk_id"])}</a><br><small class="muted">{e(where)}</small></td>'
            f'<td>{sev_tag(int(r["sev"]), lang)}<br><small>{e(label("kiosk_status", r["state"], lang))}</small></td>'
            f"<td>{age(since)}</td><td>{shown or '—'}</td><td>{age(now - float(r['last_seen']))}</td>"
            f'<td>{e(r["queue_depth"])} / {e(r["dead_letters"])}</td>'
            f'<td>{e(label("device_class", r["device_class"], lang))}</td><td>{e(r["version"])}</td></tr>')
    return "".join(out)


def overview(k: dict[str, Any], q: Query, facets: dict[str, list[str]], total: int, rows: list[dict[str, Any]],
             now: float, lang: str, op: Operator) -> str:
    pages = max(1, -(-total // q.per_page))
    nav = []
    if q.page > 1:
        nav.append(f'<a rel="prev" id="prev" href="/console?{urlencode(q.params(page=q.page - 1))}">'
                   f'{t("prev", lang)}</a>')
    nav.append(f'<span id="pageinfo">{t("page", lang, p=q.page, n=pages, t=total)}</span>')
    if q.page < pages:
        nav.append(f'<a rel="next" id="next" href="/console?{urlencode(q.params(page=q.page + 1))}">'
                   f'{t("next", lang)}</a>')
    pager = f'<div class="pager">{"".join(nav)}</div>'
    head = "".join(f"<th>{t(h, lang)}</th>" for h in ("kiosk", "severity", "since", "problems", "last_seen"))
    head += (f'<th>{t("depth", lang)} / {t("dead", lang)}</th><th>{t("device_class", lang)}</th>'
             f'<th>{t("version", lang)}</th>')
    empty = f'<tr><td colspan="8">{t("none", lang)}</td></tr>'
    title = t("all_kiosks" if q.everything else "exceptions", lang)
    body = (f'{_kpis(k, lang)}<h2 id="list-title">{title}</h2>{_filters(q, facets, lang)}{pager}'
            f'<table id="kiosks"><thead><tr>{head}</tr></thead><tbody>{_rows(rows, now, lang) or empty}</tbody>'
            f"</table>{pager}")
    return layout(t("title", lang), body, lang, op)


def _timeline(history: list[dict[str, Any]], lang: str) -> str:
    rows = []
    for h in history:
        kind, name, value = h["kind"], h["name"], h["value"]
        if kind == "device":
            what = f"{label('device', name, lang)}: {label('device_state', value, lang)}"
            if h["detail"]:
                what += f" ({label('alarm', h['detail'], lang)})"
        elif kind == "mode":
            what = f"{t('mode', lang)}: {label('mode', value, lang)}"
        elif kind == "link":
            what = f"{t('link', lang)}: {t('link_up' if value == 'online' else 'link_down', lang)}" + (
                f" ({t('failures', lang)} {h['detail']})" if h["detail"] and value == "offline" else "")
        else:
            what = f"♥ {t('resumed', lang, gap=age(float(h['detail'] or 0)))}"
        rows.append(f'<tr><td>{when(float(h["at"]))}</td><td>{e(what)}</td></tr>')
    return f'<table id="timeline">{"".join(rows) or "<tr><td>—</td></tr>"}</table>'


def _alarm_forms(a: dict[str, Any], lang: str, csrf: str, can: bool) -> str:
    if not can:
        return f'<small class="muted">{t("role_needed", lang, r="operator")}</small>'
    forms = []
    for what in ("acknowledge", "assign", "resolve"):
        extra = (f'<input name="assignee" placeholder="{t("assignee", lang)}" required>' if what == "assign" else "")
        forms.append(
            f'<form method="post" action="/console/alarms/{e(a["event_id"])}" class="alarm-{what}">'
            f'<input type="hidden" name="csrf" value="{e(csrf)}"><input type="hidden" name="op" value="{what}">'
            f'{extra}<input name="note" placeholder="{t("note", lang)}"{" required" if what == "resolve" else ""}>'
            f'<button>{t(what, lang)}</button></form>')
    return f"<details><summary>{t('handle', lang)}</summary>{''.join(forms)}</details>"


def _actions(kiosk_id: str, lang: str, csrf: str, op: Operator) -> str:
    out = []
    for action, (role, _) in ACTIONS.items():
        if not op.can(role):
            out.append(f'<p class="muted">{t(action + "_a", lang)} — {t("role_needed", lang, r=role)}</p>')
            continue
        out.append(
            f'<details><summary>{t(action + "_a", lang)}</summary><form method="post" class="action" '
            f'data-action="{action}" action="/console/kiosks/{e(kiosk_id)}/actions">'
            f'<input type="hidden" name="csrf" value="{e(csrf)}"><input type="hidden" name="action" value="{action}">'
            f'<label>{t("reason", lang)}<textarea name="reason" rows="2" required minlength="4"></textarea></label>'
            f'<label><span><input type="checkbox" name="confirm" value="yes" required> {t("confirm", lang)}</span>'
            f'</label><button>{t("run", lang)}</button></form></details>')
    return "".join(out)


def kiosk_page(d: dict[str, Any], lang: str, op: Operator, csrf: str, flash: str, error: str) -> str:
    kid = d["kiosk_id"]
    devices = "".join(
        f'<tr><td>{e(label("device", n, lang))}</td><td>{e(label("device_state", str(v.get("state", "")), lang))}'
        f'</td><td>{e(label("alarm", str(v.get("last_error")), lang)) if v.get("last_error") else ""}</td></tr>'
        for n, v in sorted(d["devices"].items()) if isinstance(v, dict))
    supplies = "".join(
        f'<tr><td>{e(label("device", k.split(".")[0], lang))} · {e(label("supply", k.split(".", 1)[1], lang))}</td>'
        f'<td>{e(label("supply_level", v["level"], lang))}</td>'
        f'<td>{age(v["hours_left"] * 3600) if v["hours_left"] is not None else "—"}</td></tr>'
        for k, v in d["supplies"].items())
    can_alarm = op.can("operator")
    alarms = "".join(
        f'<tr data-alarm="{e(a["event_id"])}"><td>{e(a["at"])}</td><td>{e(label("device", a["device"], lang))}</td>'
        f'<td>{e(label("alarm", a["code"], lang))}<br><small class="muted">{e(a["message"])}</small></td>'
        f'<td>{e(label("alarm_state", a["state"], lang))}{(" → " + e(a["assignee"])) if a["assignee"] else ""}'
        f'{("<br><small>" + e(a["note"]) + "</small>") if a["note"] else ""}</td>'
        f'<td>{_alarm_forms(a, lang, csrf, can_alarm)}</td></tr>' for a in d["alarms"])
    oplog = "".join(
        f'<tr><td>{e(r["at"])}</td><td>{e(r["operator"])} ({e(r["role"])})</td><td>{e(r["action"])}</td>'
        f'<td>{e(r["reason"])}</td><td>{e(r["detail"])}</td></tr>' for r in d["audit_log"])
    commands = "".join(
        f'<tr><td>{e(r["created_at"])}</td><td>{e(label("command", json.loads(r["command"]).get("type", ""), lang))}'
        f'</td><td>{e(r["delivered_at"] or "—")}</td><td>{e(r["outcome"] or "—")}</td></tr>' for r in d["commands"])
    q, link, audit = d["queue"], d["link"], d["audit"]
    if audit.get("problem"):
        chain = f'{t("chain_broken", lang)}: {e(audit["problem"])} <small>{e(audit.get("problem_at", ""))}</small>'
    elif audit.get("seq") is not None:
        chain = (f'{t("chain_ok", lang)} · #{e(audit["seq"])} '
                 f'<code>{e(str(audit.get("head") or "")[:16])}…</code>')
    else:
        chain = t("not_reported", lang)
    where = " · ".join(x for x in (label("district", d["district"], lang), d["branch"], d["site"]) if x)
    msgs = (f'<div class="flash" role="status">{e(flash)}</div>' if flash else "") + (
        f'<div class="error" role="alert">{e(error)}</div>' if error else "")
    cons = d["consumption"]
    rate = " · ".join(f"{t(k, lang)} {v:.1f}/h" for k, v in cons.items() if v is not None) or "—"
    body = (
        f'{msgs}<h2>{e(kid)} {sev_tag(d["severity"], lang)} <small>{e(where)}</small></h2>'
        f'<p>{t("state", lang)}: <b id="kiosk-state">{e(label("kiosk_status", d["state"], lang))}</b> · '
        f'{t("mode", lang)}: {e(label("mode", d["mode"], lang))} · {t("version", lang)}: <b>{e(d["version"])}</b> · '
        f'{t("last_seen", lang)}: {age(d["age_s"])} · {t("uptime", lang)}: {age(d["uptime_s"])} · '
        f'{t("audit_head", lang)}: <span id="audit-head">{chain}</span></p>'
        f'<div class="grid"><section><h2>{t("devices", lang)}</h2><table id="devices">{devices}</table></section>'
        f'<section><h2>{t("supplies", lang)}</h2><table id="supplies"><tr><th></th><th></th>'
        f'<th>{t("hours_left", lang)}</th></tr>{supplies}</table><p class="muted">{t("consumption", lang)}: '
        f'{e(rate)}</p></section>'
        f'<section><h2>{t("queue", lang)} · {t("link", lang)}</h2><p id="queue">{t("depth", lang)} '
        f'{e(q.get("depth", 0))} · {t("oldest", lang)} {age(float(q.get("oldest_age_s") or 0))} · '
        f'{t("dead", lang)} <b>{e(q.get("dead_letters", 0))}</b></p><p>{t("link", lang)}: '
        f'{t("link_up" if link.get("online", True) else "link_down", lang)} · {t("failures", lang)} '
        f'{e(link.get("consecutive_failures", 0))} · {t("last_success", lang)} {e(link.get("last_success_at") or "—")}'
        '</p></section>'
        f'<section><h2>{t("actions", lang)}</h2>{_actions(kid, lang, csrf, op)}</section></div>'
        f'<section><h2>{t("alarms", lang)}</h2><table id="alarms">'
        f'{alarms or "<tr><td>" + t("no_alarms", lang) + "</td></tr>"}</table></section>'
        f'<div class="grid"><section><h2>{t("timeline", lang)}</h2>{_timeline(d["history"], lang)}</section>'
        f'<section><h2>{t("commands", lang)}</h2><table id="commands">{commands}</table>'
        f'<h2>{t("oplog", lang)}</h2><table id="oplog">{oplog}</table></section></div>')
    return layout(f"{kid} — {t('title', lang)}", body, lang, op, path=f"/console/kiosks/{kid}")


def map_page(sites: list[dict[str, Any]], lang: str, op: Operator) -> str:
    x0, y0, w, h = VIEWBOX
    parts = [f'<svg id="map" xmlns="http://www.w3.org/2000/svg" viewBox="{x0} {y0} {w} {h}" role="img" '
             f'style="width:100%;max-height:80vh;background:#dbe9f4">']
    parts += [f'<polygon points="{points}" fill="#f7f4ea" stroke="#7a8796" stroke-width="1.5"/>'
              for points, _ in SHAPES.values()]
    parts += [f'<text x="{bx}" y="{by - 4}" font-size="13" fill="#333">{e(label("district", code, lang))}</text>'
              for code, (_, (bx, by, _w, _h)) in SHAPES.items()]  # after every shape, so none covers a name
    by_district: dict[str, list[dict[str, Any]]] = {}
    for s in sites:
        by_district.setdefault(str(s["district"]), []).append(s)
    for district, rows in by_district.items():
        if district not in SHAPES:
            continue
        for i, s in enumerate(rows):
            x, y, r = site_point(district, i, len(rows))
            rank = int(s["worst"])
            name = s["branch"] or label("district", district, lang)
            parts.append(f'<circle class="site" data-severity="{rank}" cx="{x:.1f}" cy="{y:.1f}" r="{r:.1f}" '
                         f'fill="{SEVERITY_COLOURS[rank]}" stroke="#fff"><title>{e(name)}: {s["kiosks"]} · '
                         f'{e(SEVERITY_NAMES[rank] if rank != SILENT else "silent")}</title></circle>')
    parts.append("</svg>")
    legend = " ".join(
        f'<span class="sev" style="background:{c}">{e(label("kiosk_status", "silent", lang) if r == SILENT else label("severity", SEVERITY_NAMES[r], lang))}</span>'  # noqa: E501
        for r, c in SEVERITY_COLOURS.items())
    body = (f'<section><h2>{t("map", lang)} · {len(sites)} {t("sites", lang)}</h2>'
            f'<p>{t("legend", lang)}: {legend}</p>{"".join(parts)}</section>')
    return layout(t("map", lang), body, lang, op, path="/console/map")


CONSOLE_JS = """// Progressive: the console works without this. Filters apply on change; the KPIs refresh every 15 s;
// remote actions ask once more before they are sent.
document.addEventListener("DOMContentLoaded", () => {
  const f = document.getElementById("filters");
  if (f) f.querySelectorAll("select").forEach(s => s.addEventListener("change", () => f.submit()));
  document.querySelectorAll("form.action").forEach(form => form.addEventListener("submit", ev => {
    const what = form.closest("details").querySelector("summary").textContent;
    if (!window.confirm(what + "?")) ev.preventDefault();
  }));
  const kpis = document.querySelector(".kpis");
  if (kpis) setInterval(async () => {
    const r = await fetch("/console/api/summary", {credentials: "same-origin"});
    if (!r.ok) return;
    const k = await r.json();
    for (const s of ["in_service", "degraded", "out_of_service", "silent"]) {
      const b = document.querySelector("#kpi-" + s + " b"); if (b) b.textContent = k.kiosks[s];
    }
    const sup = document.querySelector("#kpi-supplies b"); if (sup) sup.textContent = k.supplies_out_24h;
  }, 15000);
});
"""


def _minute(rfc3339: str) -> str:
    return rfc3339[:16].replace("T", " ")


def _pick(table: dict[str, tuple[str, str]], code: str, lang: str) -> str:
    entry = table.get(code)
    return code if entry is None else entry[1 if lang == "en" else 0]


def reviews_page(rows: list[dict[str, Any]], lang: str, op: Operator, flash: str) -> str:
    """The review desk's list: applications waiting, oldest first (numbers masked)."""
    note = f'<div class="flash" role="status">{e(flash)}</div>' if flash else ""
    if not rows:
        body = f'{note}<section><h2>{t("reviews", lang)}</h2><p class="muted">{t("no_reviews", lang)}</p></section>'
        return layout(t("reviews", lang), body, lang, op, path="/console/reviews")
    cols = ("application", "child", "kiosk", "submitted", "pages")
    head = "".join(f"<th>{t(k, lang)}</th>" for k in cols) + "<th></th>"
    items = "".join(
        f'<tr><td>{e(r["application_id"])}</td><td>{e(r["id_masked"])}</td><td>{e(r["kiosk_id"])}</td>'
        f'<td>{e(_minute(r["created_at"]))}</td><td>{r["pages"]}</td>'
        f'<td><a href="/console/reviews/{e(r["application_id"])}">{t("open", lang)}</a></td></tr>' for r in rows)
    body = (f'{note}<section><h2>{t("reviews", lang)} ({len(rows)})</h2><table><tr>{head}</tr>{items}</table>'
            "</section>")
    return layout(t("reviews", lang), body, lang, op, path="/console/reviews")


def review_page(c: dict[str, Any], refusals: dict[str, tuple[str, str]], lang: str, op: Operator, csrf: str,
                error: str) -> str:
    """One case: the register's entry beside the captured pages, and the decision."""
    aid = e(c["application_id"])
    err = f'<div class="error" role="alert">{e(error)}</div>' if error else ""
    child = c["child"]
    facts = "".join(f"<tr><th>{t(k, lang)}</th><td>{v}</td></tr>" for k, v in (
        ("application", aid), ("child", e(c["id_masked"])), ("name", e(child["name"])),
        ("sex", e(_pick(SEXES, child["sex"], lang))), ("birth", e(child["birth_date"])),
        ("guardian", "<br>".join(f'{e(g["name"])} {e(g["id_masked"])}' for g in c["guardians"]) or "—"),
        ("kiosk", e(c["kiosk_id"])), ("submitted", e(_minute(c["created_at"]))),
        ("delivery", e(_pick(DELIVERIES, c["delivery"], lang)))))
    pages = "".join(f'<figure><img alt="{t("pages", lang)} {i + 1}" style="max-width:100%" '
                    f'src="data:image/jpeg;base64,{e(p["jpeg_b64"])}"><figcaption class="muted">'
                    f'{e(_minute(p["captured_at"]))}</figcaption></figure>'
                    for i, p in enumerate(c["pages"]))
    if c["pending"]:
        options = "".join(f'<option value="{e(code)}">{e(_pick(refusals, code, lang))}</option>' for code in refusals)
        decide = (f'<form method="post" action="/console/reviews/{aid}"><input type="hidden" name="csrf" '
                  f'value="{e(csrf)}"><p>{t("compare", lang)}</p><p><button name="decision" value="approve" '
                  f'id="approve">{t("approve", lang)}</button></p><p><label>{t("refusal", lang)}<select '
                  f'name="refusal"><option value=""></option>{options}</select></label> <button name="decision" '
                  f'value="refuse" id="refuse">{t("refuse", lang)}</button></p></form>')
    else:
        decide = f'<p class="muted">{t("decided", lang)}</p>'
    body = (f'{err}<div class="grid"><section><h2>{t("reviews", lang)}</h2><table>{facts}</table>{decide}</section>'
            f'<section><h2>{t("pages", lang)}</h2>{pages or t("none", lang)}</section></div>')
    return layout(t("reviews", lang), body, lang, op, path=f"/console/reviews/{c['application_id']}")


def transaction_page(number: str, found: dict[str, Any] | None, lang: str, op: Operator) -> str:
    """Find a citizen's transaction by the 交易号 on their receipt: which kiosk, which service, how it ended."""
    form = (f'<form method="get" action="/console/transactions"><label>{t("txn", lang)} <input name="no" '
            f'value="{e(number)}" autocomplete="off" spellcheck="false" size="32"></label> '
            f'<button id="find">{t("find", lang)}</button></form><p class="muted">{t("txn_hint", lang)}</p>')
    result = ""
    if found is not None:
        service, _, end = str(found["outcome"]).partition(".")
        rows = (("txn", found["transaction_no"]), ("kiosk", found["kiosk_id"]),
                ("service", label("service", service, lang)), ("outcome", label("transaction_end", end, lang)),
                ("end_code", found["code"] or "—"), ("ended_at", _minute(str(found["at"]))),
                ("received", _minute(str(found["received_at"]))))
        cells = {k: e(v) for k, v in rows}
        cells["kiosk"] = f'<a href="/console/kiosks/{e(found["kiosk_id"])}">{cells["kiosk"]}</a>'
        result = "<table>" + "".join(f"<tr><th>{t(k, lang)}</th><td>{cells[k]}</td></tr>" for k, _ in rows) + "</table>"
    elif number:
        result = f'<div class="error" role="alert">{t("txn_none", lang)}</div>'
    body = f'<section><h2>{t("transactions", lang)}</h2>{form}{result}</section>'
    return layout(t("transactions", lang), body, lang, op, path="/console/transactions")
