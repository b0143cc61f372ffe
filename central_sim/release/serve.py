"""The release repository on the reference central: /updates/ (public files) and /_admin/rollout.

Only ``metadata/`` and ``targets/`` are served (never the keys); the files are static, so the
same tree works from nginx or a USB stick. FileResponse answers Range requests, which the
kiosk's resumable download uses. Served on the central's port, so behind its mutual TLS.
"""

from __future__ import annotations

import ipaddress
import json
from pathlib import Path
from typing import Any

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import FileResponse, JSONResponse, Response
from starlette.routing import BaseRoute, Route

from central_sim.release import rollout


def routes(central: Any, updates_dir: str | Path) -> list[BaseRoute]:
    base = Path(updates_dir).resolve()

    async def files(request: Request) -> Response:
        rel = request.path_params["path"]
        kind = request.path_params["kind"]
        if kind not in ("metadata", "targets"):
            return JSONResponse({"error": {"code": "not_found", "message": "无此文件"}}, status_code=404)
        path = (base / kind / rel).resolve()
        if not path.is_relative_to(base / kind) or not path.is_file():
            return JSONResponse({"error": {"code": "not_found", "message": "无此文件"}}, status_code=404)
        media = "application/json" if path.suffix == ".json" else "application/octet-stream"
        return FileResponse(path, media_type=media, headers={"Cache-Control": "no-store"})

    async def admin_rollout(request: Request) -> Response:
        host = request.client.host if request.client else ""
        try:
            if not ipaddress.ip_address(host).is_loopback:
                raise ValueError
        except ValueError:
            return JSONResponse({"error": {"code": "admin_loopback_only", "message": "管理接口仅限本机"}},
                                status_code=403)
        if request.method == "POST":
            try:
                spec = json.loads(await request.body())
                if not isinstance(spec, dict):
                    raise ValueError("a JSON object is expected")
                rollout.start(base, spec)
            except (ValueError, TypeError) as exc:
                return JSONResponse({"error": {"code": "invalid_rollout", "message": str(exc)}}, status_code=400)
        r = await run_in_threadpool(rollout.tick, central, base)
        return JSONResponse(r.to_json() if r is not None else {"status": "none"})

    return [
        Route("/updates/{kind:str}/{path:path}", files, methods=["GET", "HEAD"]),
        Route("/_admin/rollout", admin_rollout, methods=["GET", "POST"]),
    ]
