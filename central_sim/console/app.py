"""The console's routes on the reference central: HTML pages under /console and the JSON API under
/console/api that the pages' data comes from (a production central serves the same API; docs/fleet/console.md).
"""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qs, urlencode

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from starlette.routing import Route

from central_sim import fleet, reviews
from central_sim.console import actions, pages, store
from central_sim.console.auth import SESSION_COOKIE, SESSION_S, ConsoleConfig, Operator
from central_sim.console.labels import table as label_table

if TYPE_CHECKING:
    from central_sim.central import Central

LANG_COOKIE = "console_lang"
PRUNE_EVERY_S = 3600.0


def load_sites(path: str) -> dict[str, store.Site]:
    """``{"FZ-GL-0001": {"district": "GL", "branch": "鼓楼区社保中心", "name": "东街口"}}``."""
    if not path:
        return {}
    data = json.loads(Path(path).read_text(encoding="utf-8"))
    return {k: store.Site(str(v.get("district", "")), str(v.get("branch", "")), str(v.get("name", "")))
            for k, v in data.items()}


class Console:
    def __init__(self, central: Central, config: ConsoleConfig | None = None) -> None:
        self.central = central
        self.config = config or ConsoleConfig.load()
        self.sites = load_sites(self.config.sites_file)
        store.create_tables(central.db)
        self._pruned = 0.0
        central.after_flush.append(self.sync)  # keeps the timeline even while nobody is looking

    def now(self) -> dt.datetime:
        return self.central.now()

    def sync(self, force: tuple[str, ...] = ()) -> int:
        now = self.now().timestamp()
        if now - self._pruned > PRUNE_EVERY_S:
            self._pruned = now
            store.prune_history(self.central.db, now)
        return store.sync(self.central.db, now, self.sites, force)

    def fresh(self) -> float:
        """Flush buffered heartbeats and sync, so a page shows what the kiosks last said; returns now."""
        self.central.heartbeats.flush()
        self.sync()
        return self.now().timestamp()

    # --- reads shared by the pages and the API ---

    def overview(self, q: store.Query) -> dict[str, Any]:
        now = self.fresh()
        with self.central.db.read() as tx:
            total, rows = store.list_kiosks(tx, q, now)
            return {"now": now, "kpis": store.kpis(tx, now), "facets": store.facets(tx, q.district), "total": total,
                    "rows": rows}

    def kiosk(self, kiosk_id: str) -> dict[str, Any] | None:
        now = self.fresh()
        with self.central.db.read() as tx:
            return store.kiosk_detail(tx, kiosk_id, now)

    def summary(self) -> dict[str, Any]:
        now = self.fresh()
        with self.central.db.read() as tx:
            return store.kpis(tx, now)

    def sites_map(self) -> list[dict[str, Any]]:
        now = self.fresh()
        with self.central.db.read() as tx:
            return store.map_sites(tx, now)

    def act(self, op: Operator | None, kiosk_id: str, action: str, reason: str, confirmed: bool) -> dict[str, Any]:
        cmd = actions.perform(self.central.db, op, kiosk_id, action, reason, confirmed, self.now())
        self.central.heartbeats.command_queued(kiosk_id)
        return cmd

    def alarm(self, op: Operator | None, event_id: str, what: str, assignee: str, note: str) -> str:
        kiosk_id = actions.handle_alarm(self.central.db, op, event_id, what, assignee, note, self.now())
        self.sync(force=(kiosk_id,))
        return kiosk_id

    # --- the 户口簿 review desk (central_sim/reviews.py) ---

    def transaction(self, number: str) -> dict[str, Any] | None:
        """The outcome filed under a receipt's 交易号 (result.receipt: the counter looks it up here)."""
        with self.central.db.read() as tx:
            row = fleet.find_transaction(tx, number)
        return dict(row) if row is not None else None

    def reviews(self, op: Operator | None) -> list[dict[str, Any]]:
        actions.need_duty(op, "review")
        with self.central.db.read() as tx:
            return reviews.pending(tx)

    def review_case(self, op: Operator | None, application_id: str) -> dict[str, Any]:
        actions.need_duty(op, "review")
        try:
            with self.central.db.read() as tx:
                return reviews.case(tx, application_id)
        except reviews.ReviewError as exc:
            raise actions.Refused(exc.status, exc.code, exc.message) from None

    def review_decide(self, op: Operator | None, application_id: str, decision: str, refusal: str) -> str:
        op = actions.need_duty(op, "review")
        now = self.now()
        try:
            with self.central.db.transaction() as tx:
                app = reviews.decide(tx, application_id, decision, refusal, now)
                store.audit(tx, now, op.name, op.role, str(app["kiosk_id"]), f"review_{decision}", refusal,
                            detail=application_id)
        except reviews.ReviewError as exc:
            raise actions.Refused(exc.status, exc.code, exc.message) from None
        return decision


def _lang(request: Request) -> str:
    lang = request.query_params.get("lang") or request.cookies.get(LANG_COOKIE, "zh")
    return "en" if lang == "en" else "zh"


def _remember_lang(request: Request, response: Response, lang: str) -> Response:
    if request.query_params.get("lang"):
        response.set_cookie(LANG_COOKIE, lang, max_age=365 * 86400, samesite="strict")
    return response


async def _form(request: Request) -> dict[str, str]:
    body = (await request.body()).decode("utf-8", "replace")
    return {k: v[0] for k, v in parse_qs(body, keep_blank_values=True).items()}


def routes(central: Central, config: ConsoleConfig | None = None) -> list[Route]:
    """The console's routes for the central's Starlette app."""
    console = Console(central, config)
    cfg = console.config

    def who(request: Request) -> Operator | None:
        return cfg.operator(request.cookies.get(SESSION_COOKIE))

    def csrf_ok(request: Request, token: str) -> bool:
        cookie = request.cookies.get(SESSION_COOKIE, "")
        return bool(cookie) and token == cfg.csrf(cookie)

    def to_login(request: Request) -> Response:
        return RedirectResponse("/console/login?" + urlencode({"next": request.url.path}), status_code=303)

    async def login_form(request: Request) -> Response:
        lang = _lang(request)
        page = pages.login_page(lang, request.query_params.get("failed") == "1",
                                request.query_params.get("next", "/console"))
        return _remember_lang(request, HTMLResponse(page), lang)

    async def login(request: Request) -> Response:
        form = await _form(request)
        op = await run_in_threadpool(cfg.login, form.get("user", ""), form.get("password", ""))
        nxt = form.get("next", "/console")
        nxt = nxt if nxt.startswith("/console") else "/console"
        if op is None:
            return RedirectResponse("/console/login?" + urlencode({"failed": "1", "next": nxt}), status_code=303)
        response = RedirectResponse(nxt, status_code=303)
        response.set_cookie(SESSION_COOKIE, cfg.session(op), max_age=SESSION_S, httponly=True, samesite="strict",
                            secure=request.url.scheme == "https")
        return response

    async def logout(request: Request) -> Response:
        response = RedirectResponse("/console/login", status_code=303)
        response.delete_cookie(SESSION_COOKIE)
        return response

    async def overview(request: Request) -> Response:
        op = who(request)
        if op is None:
            return to_login(request)
        lang = _lang(request)
        q = store.Query.from_params(dict(request.query_params))
        data = await run_in_threadpool(console.overview, q)
        page = pages.overview(data["kpis"], q, data["facets"], data["total"], data["rows"], data["now"], lang, op)
        return _remember_lang(request, HTMLResponse(page), lang)

    async def kiosk_page(request: Request, *, error: str = "", status: int = 200) -> Response:
        op = who(request)
        if op is None:
            return to_login(request)
        lang = _lang(request)
        detail = await run_in_threadpool(console.kiosk, request.path_params["kiosk_id"])
        if detail is None:
            return HTMLResponse(pages.layout("404", "<p>无此终端 No such kiosk</p>", lang, op), status_code=404)
        flash = pages.t("done", lang) if request.query_params.get("done") else ""
        html = pages.kiosk_page(detail, lang, op, cfg.csrf(request.cookies.get(SESSION_COOKIE, "")), flash, error)
        return _remember_lang(request, HTMLResponse(html, status_code=status), lang)

    async def kiosk_view(request: Request) -> Response:
        return await kiosk_page(request)

    async def action_form(request: Request) -> Response:
        form = await _form(request)
        kiosk_id = request.path_params["kiosk_id"]
        try:
            if not csrf_ok(request, form.get("csrf", "")):
                raise actions.Refused(403, "csrf", "会话已失效，请刷新页面 Session expired, reload the page")
            await run_in_threadpool(console.act, who(request), kiosk_id, form.get("action", ""),
                                    form.get("reason", ""), form.get("confirm") == "yes")
        except actions.Refused as exc:
            if exc.status == 401:
                return to_login(request)
            return await kiosk_page(request, error=exc.message, status=exc.status)
        return RedirectResponse(f"/console/kiosks/{kiosk_id}?done=1", status_code=303)

    async def alarm_form(request: Request) -> Response:
        form = await _form(request)
        try:
            if not csrf_ok(request, form.get("csrf", "")):
                raise actions.Refused(403, "csrf", "会话已失效，请刷新页面 Session expired, reload the page")
            kiosk_id = await run_in_threadpool(console.alarm, who(request), request.path_params["event_id"],
                                               form.get("op", ""), form.get("assignee", ""), form.get("note", ""))
        except actions.Refused as exc:
            if exc.status == 401:
                return to_login(request)
            return HTMLResponse(pages.error_page("error", exc.message, _lang(request), who(request)),
                                status_code=exc.status)
        return RedirectResponse(f"/console/kiosks/{kiosk_id}", status_code=303)

    async def map_view(request: Request) -> Response:
        op = who(request)
        if op is None:
            return to_login(request)
        lang = _lang(request)
        return _remember_lang(request, HTMLResponse(pages.map_page(await run_in_threadpool(console.sites_map), lang,
                                                                   op)), lang)

    async def transaction_view(request: Request) -> Response:
        op, lang = who(request), _lang(request)
        if op is None:
            return to_login(request)
        number = request.query_params.get("no", "").strip()[:64]
        found = await run_in_threadpool(console.transaction, number) if number else None
        return _remember_lang(request, HTMLResponse(pages.transaction_page(number, found, lang, op)), lang)

    async def reviews_view(request: Request) -> Response:
        op, lang = who(request), _lang(request)
        if op is None:
            return to_login(request)
        try:
            rows = await run_in_threadpool(console.reviews, op)
        except actions.Refused as exc:
            return HTMLResponse(pages.error_page(str(exc.status), exc.message, lang, op), status_code=exc.status)
        flash = pages.t("review_done", lang) if request.query_params.get("done") else ""
        return _remember_lang(request, HTMLResponse(pages.reviews_page(rows, lang, op, flash)), lang)

    async def review_view(request: Request, *, error: str = "", status: int = 200) -> Response:
        op, lang = who(request), _lang(request)
        if op is None:
            return to_login(request)
        try:
            case = await run_in_threadpool(console.review_case, op, request.path_params["application_id"])
        except actions.Refused as exc:
            return HTMLResponse(pages.error_page(str(exc.status), exc.message, lang, op), status_code=exc.status)
        html = pages.review_page(case, reviews.REFUSALS, lang, op, cfg.csrf(request.cookies.get(SESSION_COOKIE, "")),
                                 error)
        return _remember_lang(request, HTMLResponse(html, status_code=status), lang)

    async def review_form(request: Request) -> Response:
        form = await _form(request)
        try:
            if not csrf_ok(request, form.get("csrf", "")):
                raise actions.Refused(403, "csrf", "会话已失效，请刷新页面 Session expired, reload the page")
            await run_in_threadpool(console.review_decide, who(request), request.path_params["application_id"],
                                    form.get("decision", ""), form.get("refusal", ""))
        except actions.Refused as exc:
            if exc.status == 401:
                return to_login(request)
            return await review_view(request, error=exc.message, status=exc.status)
        return RedirectResponse("/console/reviews?done=1", status_code=303)

    async def api_body(request: Request) -> dict[str, Any]:
        """A JSON API POST's body: the session's CSRF token checked, a JSON object."""
        if not csrf_ok(request, request.headers.get("x-csrf-token", "")):
            raise actions.Refused(403, "csrf", "缺少或错误的 X-CSRF-Token Missing or wrong X-CSRF-Token")
        try:
            body = json.loads(await request.body())
            if not isinstance(body, dict):
                raise ValueError
        except ValueError:
            raise actions.Refused(400, "invalid_json", "请求体须为 JSON 对象 A JSON object is expected") from None
        return body

    async def api_reviews(request: Request) -> Response:
        op = who(request)
        try:
            if "application_id" not in request.path_params:
                return JSONResponse({"items": await run_in_threadpool(console.reviews, op)})
            aid = request.path_params["application_id"]
            if request.method == "GET":
                return JSONResponse(await run_in_threadpool(console.review_case, op, aid))
            body = await api_body(request)
            decision = await run_in_threadpool(console.review_decide, op, aid, str(body.get("decision", "")),
                                               str(body.get("refusal", "")))
            return JSONResponse({"application_id": aid, "decision": decision})
        except actions.Refused as exc:
            return api_error(exc)

    async def script(request: Request) -> Response:
        return Response(pages.CONSOLE_JS, media_type="text/javascript; charset=utf-8",
                        headers={"Cache-Control": "max-age=3600"})

    # --- JSON API (same session; POSTs carry the X-CSRF-Token the session endpoint returns) ---

    def api_error(exc: actions.Refused) -> Response:
        return JSONResponse(exc.body(), status_code=exc.status)

    async def api_login(request: Request) -> Response:
        try:
            body = json.loads(await request.body())
            op = await run_in_threadpool(cfg.login, str(body.get("user", "")), str(body.get("password", "")))
        except (ValueError, AttributeError):
            op = None
        if op is None:
            return api_error(actions.Refused(401, "login_failed", "用户名或密码错误 Wrong user name or password"))
        cookie = cfg.session(op)
        response = JSONResponse({"operator": op.name, "role": op.role, "csrf": cfg.csrf(cookie)})
        response.set_cookie(SESSION_COOKIE, cookie, max_age=SESSION_S, httponly=True, samesite="strict",
                            secure=request.url.scheme == "https")
        return response

    async def api_read(request: Request) -> Response:
        op = who(request)
        if op is None:
            return api_error(actions.Refused(401, "login_required", "请先登录 Please log in"))
        what = request.path_params.get("what", "")
        if what == "summary":
            return JSONResponse(await run_in_threadpool(console.summary))
        if what == "kiosks":
            q = store.Query.from_params(dict(request.query_params))
            data = await run_in_threadpool(console.overview, q)
            items = [{**r, "problems": json.loads(r["problems"])} for r in data["rows"]]
            return JSONResponse({"total": data["total"], "page": q.page, "per_page": q.per_page, "items": items,
                                 "facets": data["facets"]})
        if what == "map":
            return JSONResponse({"sites": await run_in_threadpool(console.sites_map)})
        if what == "labels":
            return JSONResponse(label_table())
        if what == "session":
            return JSONResponse({"operator": op.name, "role": op.role,
                                 "csrf": cfg.csrf(request.cookies.get(SESSION_COOKIE, ""))})
        return JSONResponse({"error": "not_found"}, status_code=404)

    async def api_kiosk(request: Request) -> Response:
        if who(request) is None:
            return api_error(actions.Refused(401, "login_required", "请先登录 Please log in"))
        detail = await run_in_threadpool(console.kiosk, request.path_params["kiosk_id"])
        if detail is None:
            return api_error(actions.Refused(404, "unknown_kiosk", "无此终端 No such kiosk"))
        return JSONResponse(detail)

    async def api_post(request: Request) -> Response:
        try:
            body = await api_body(request)
            op = who(request)
            if "kiosk_id" in request.path_params:
                cmd = await run_in_threadpool(console.act, op, request.path_params["kiosk_id"],
                                              str(body.get("action", "")), str(body.get("reason", "")),
                                              body.get("confirm") is True)
                return JSONResponse({"command": cmd}, status_code=201)
            kiosk_id = await run_in_threadpool(console.alarm, op, request.path_params["event_id"],
                                               str(body.get("op", "")), str(body.get("assignee", "")),
                                               str(body.get("note", "")))
            return JSONResponse({"kiosk_id": kiosk_id})
        except actions.Refused as exc:
            return api_error(exc)

    return [
        Route("/console", overview, methods=["GET"]),
        Route("/console/login", login_form, methods=["GET"]),
        Route("/console/login", login, methods=["POST"]),
        Route("/console/logout", logout, methods=["POST"]),
        Route("/console/map", map_view, methods=["GET"]),
        Route("/console/static/console.js", script, methods=["GET"]),
        Route("/console/kiosks/{kiosk_id}", kiosk_view, methods=["GET"]),
        Route("/console/kiosks/{kiosk_id}/actions", action_form, methods=["POST"]),
        Route("/console/alarms/{event_id}", alarm_form, methods=["POST"]),
        Route("/console/transactions", transaction_view, methods=["GET"]),
        Route("/console/reviews", reviews_view, methods=["GET"]),
        Route("/console/reviews/{application_id}", review_view, methods=["GET"]),
        Route("/console/reviews/{application_id}", review_form, methods=["POST"]),
        Route("/console/api/login", api_login, methods=["POST"]),
        Route("/console/api/reviews", api_reviews, methods=["GET"]),
        Route("/console/api/reviews/{application_id}", api_reviews, methods=["GET", "POST"]),
        Route("/console/api/kiosks/{kiosk_id}/actions", api_post, methods=["POST"]),
        Route("/console/api/alarms/{event_id}", api_post, methods=["POST"]),
        Route("/console/api/kiosks/{kiosk_id}", api_kiosk, methods=["GET"]),
        Route("/console/api/{what}", api_read, methods=["GET"]),
    ]
