"""Simulated receipt printer: keeps what it printed (masked by the caller) for tests and the demo."""

from __future__ import annotations

from collections import deque

from hal.sim.base import SimDevice
from hal.status import Action, DeviceError, Supply
from hal.types import Receipt


class SimReceiptPrinter(SimDevice):
    def __init__(self, name: str = "receipt_printer", latency_s: float = 0.0, paper: int = 500) -> None:
        super().__init__(name, latency_s)
        self.paper = paper
        self.printed: deque[Receipt] = deque(maxlen=100)  # the last ones: bounded over a long run

    def _supplies(self) -> dict[str, Supply]:
        level = Supply.OUT if self.paper <= 0 else Supply.LOW if self.paper < 50 else Supply.OK
        return {"receipt_paper": level}

    def print_receipt(self, receipt: Receipt) -> None:
        self._operation("print")
        with self._lock:
            if self.paper <= 0:
                raise DeviceError("paper_out", "receipt paper is out", Action.CLEAR)
            self.paper -= 1
            self.printed.append(receipt)
            self._count("receipts")

    def _steer(self, action: str, params: dict[str, object]) -> str:
        if action == "paper":
            self.paper = int(str(params.get("count", 500)))
            return f"paper={self.paper}"
        return super()._steer(action, params)
