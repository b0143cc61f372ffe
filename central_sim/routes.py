"""The route table shared by direct requests and /v1/batch items, and body-reading helpers."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from central_sim.errors import ApiError, Reasons
from central_sim.idnumber import birth_date_of
from central_sim.storage import Tx


@dataclass(frozen=True)
class Ctx:
    kiosk_id: str
    now: dt.datetime
    params: dict[str, str]
    idempotency_key: str = ""

    @property
    def today(self) -> dt.date:
        return self.now.date()


Handler = Callable[[Tx, Ctx, dict[str, Any]], tuple[int, dict[str, Any]]]


@dataclass(frozen=True)
class Route:
    method: str
    pattern: re.Pattern[str]
    handler: Handler
    idempotent: bool  # state-changing: needs an Idempotency-Key, outcome stored
    name: str


ROUTES: list[Route] = []


def route(method: str, template: str, *, idempotent: bool) -> Callable[[Handler], Handler]:
    """Register a handler; ``{name}`` in the template matches one path segment."""
    regex = re.compile("^" + re.sub(r"\{(\w+)\}", r"(?P<\1>[A-Za-z0-9._-]{1,64})", template) + "$")

    def register(fn: Handler) -> Handler:
        ROUTES.append(Route(method, regex, fn, idempotent, template))
        return fn

    return register


def find(method: str, path: str) -> tuple[Route, dict[str, str]]:
    allowed = False
    for r in ROUTES:
        m = r.pattern.match(path)
        if m:
            if r.method == method:
                return r, m.groupdict()
            allowed = True
    if allowed:
        raise ApiError(405, "method_not_allowed", "不支持的请求方法")
    raise ApiError(404, "not_found", "无此接口")


# --- body helpers: each adds a reason instead of failing, so all problems are reported at once ---


def text(body: dict[str, Any], name: str, reasons: Reasons, label: str, *, required: bool = True) -> str:
    value = body.get(name)
    if value is None or value == "":
        if required:
            reasons.add(f"missing_{name}", f"缺少{label}")
        return ""
    if not isinstance(value, str):
        reasons.add(f"invalid_{name}", f"{label}格式不正确")
        return ""
    return value


def id_number(body: dict[str, Any], reasons: Reasons, name: str = "id_number") -> str:
    value = text(body, name, reasons, "证件号码")
    if value and birth_date_of(value) is None:
        reasons.add(f"invalid_{name}", "证件号码校验不通过")
    return value


def need_object(body: Any) -> dict[str, Any]:
    if not isinstance(body, dict):
        raise ApiError(400, "invalid_request", "请求体必须是 JSON 对象")
    return body


def bad_request(reasons: Reasons) -> None:
    reasons.raise_if_any(400, "invalid_request", "请求内容不完整或格式不正确")
