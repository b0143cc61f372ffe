"""GET /monitor (server-rendered fleet page) and GET /metrics (Prometheus text)."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from central_sim.central import Central


def render_page(central: Central) -> str:
    return "<!doctype html><title>fleet</title>"


def render_metrics(central: Central) -> str:
    return ""
