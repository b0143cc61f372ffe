"""The contract's error body: {"error": {"code", "message", "reasons": [...]}}."""

from __future__ import annotations

from typing import Any


class ApiError(Exception):
    def __init__(self, status: int, code: str, message: str, reasons: list[dict[str, str]] | None = None) -> None:
        super().__init__(code)
        self.status = status
        self.code = code
        self.message = message
        self.reasons = reasons or []

    def body(self) -> dict[str, Any]:
        return {"error": {"code": self.code, "message": self.message, "reasons": self.reasons}}


def reason(code: str, message: str) -> dict[str, str]:
    return {"code": code, "message": message}


class Reasons:
    """Collects every problem so they are told at once (一次性告知)."""

    def __init__(self) -> None:
        self.items: list[dict[str, str]] = []

    def add(self, code: str, message: str) -> None:
        if all(r["code"] != code for r in self.items):
            self.items.append(reason(code, message))

    def __bool__(self) -> bool:
        return bool(self.items)

    def raise_if_any(self, status: int = 422, code: str = "rejected", message: str = "申请未通过核查") -> None:
        if self.items:
            raise ApiError(status, code, message, self.items)
