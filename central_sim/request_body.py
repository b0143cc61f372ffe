"""Reading a request body defensively: size limit, media type, UTF-8 only, bounded JSON nesting.

Every refusal is an ApiError, so the caller answers with the contract's error envelope: 413 for a
body over the limit (checked on Content-Length and again while reading, so a lying or chunked
sender cannot make the central buffer more), 415 for anything but ``application/json`` (UTF-8),
400 for bytes that are not UTF-8 JSON, nest deeper than MAX_DEPTH, or hold NaN/Infinity or lone
surrogates (they could not be stored or sent back as JSON).
"""

from __future__ import annotations

import json
import math
from typing import Any

from starlette.requests import ClientDisconnect, Request

from central_sim.errors import ApiError

MAX_BODY = 1024 * 1024  # a single request; the largest is an application with its photo (~100 KB)
MAX_BATCH_BODY = 8 * 1024 * 1024  # /v1/batch: 100 items; over it the kiosk's forwarder sends them singly
MAX_ADMIN_BODY = 64 * 1024
MAX_DEPTH = 32


def limit_for(path: str) -> int:
    if path == "/v1/batch":
        return MAX_BATCH_BODY
    return MAX_ADMIN_BODY if path.startswith("/_admin/") else MAX_BODY


def _too_large(limit: int) -> ApiError:
    return ApiError(413, "body_too_large", f"请求体超过 {limit} 字节上限")


async def read_limited(request: Request, limit: int) -> bytes:
    declared = request.headers.get("content-length", "")
    if declared:
        if not declared.isdigit():
            raise ApiError(400, "invalid_content_length", "Content-Length 无效")
        if int(declared) > limit:
            raise _too_large(limit)
    chunks: list[bytes] = []
    size = 0
    try:
        async for chunk in request.stream():
            size += len(chunk)
            if size > limit:
                raise _too_large(limit)
            chunks.append(chunk)
    except ClientDisconnect:
        raise ApiError(400, "client_disconnected", "请求体未完整送达") from None
    return b"".join(chunks)


def check_media_type(request: Request, body: bytes) -> None:
    """A body must be declared ``application/json`` (charset, when given, utf-8); an empty one needs nothing."""
    if not body:
        return
    raw = request.headers.get("content-type", "")
    media, _, params = raw.partition(";")
    if media.strip().lower() != "application/json":
        raise ApiError(415, "unsupported_media_type", "请求体须为 application/json")
    for param in params.split(";"):
        name, _, value = param.strip().partition("=")
        if name.lower() == "charset" and value.strip().strip('"').lower() not in ("utf-8", "utf8"):
            raise ApiError(415, "unsupported_charset", "请求体须为 UTF-8 编码")


def _reject_constant(name: str) -> Any:
    raise ValueError(f"{name} is not JSON")


def _finite_float(text: str) -> float:
    value = float(text)
    if not math.isfinite(value):
        raise ValueError("number out of range")
    return value


def _check_tree(value: Any) -> None:
    """Depth and string checks without recursion (the parsed tree may be as deep as the parser allowed)."""
    stack: list[tuple[Any, int]] = [(value, 1)]
    while stack:
        node, depth = stack.pop()
        if isinstance(node, dict | list):
            if depth > MAX_DEPTH:
                raise ApiError(400, "json_too_deep", f"JSON 嵌套超过 {MAX_DEPTH} 层")
            items = node.items() if isinstance(node, dict) else enumerate(node)
            for key, child in items:
                if isinstance(key, str):
                    _check_text(key)
                stack.append((child, depth + 1))
        elif isinstance(node, str):
            _check_text(node)


def _check_text(s: str) -> None:
    try:
        s.encode("utf-8")
    except UnicodeEncodeError:
        raise ApiError(400, "invalid_json", "JSON 字符串含有无效的 Unicode 代理项") from None


def parse_json(raw: bytes) -> Any:
    """The body as JSON (None when empty); strict UTF-8, finite numbers, at most MAX_DEPTH levels."""
    if not raw.strip():
        return None
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        raise ApiError(400, "invalid_encoding", "请求体不是有效的 UTF-8") from None
    try:
        value = json.loads(text, parse_constant=_reject_constant, parse_float=_finite_float)
    except RecursionError:
        raise ApiError(400, "json_too_deep", f"JSON 嵌套超过 {MAX_DEPTH} 层") from None
    except ValueError:
        raise ApiError(400, "invalid_json", "请求体不是有效的 JSON") from None
    _check_tree(value)
    return value
