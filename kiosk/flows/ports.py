"""What a flow may touch besides the screen, typed: the kiosk's local services and its devices.

The runtime (kiosk.runtime.Services, kiosk.devices.DeviceSet) provides them; the central is the
kiosk.central.port.Central protocol. Typed here so that mypy checks every flow's use of them.
"""

from __future__ import annotations

import datetime as dt
from typing import Protocol, TypeVar

from hal.doccam import DocumentCamera
from hal.interfaces import Camera, CardIssuer, CardReader, IdCardReader, PinPad, ReceiptPrinter
from hal.scanner.types import Scanner
from hal.status import DeviceError
from hal.types import Receipt
from kiosk.alarms import Severity
from kiosk.devices import DeviceSet
from kiosk.flows.face_limits import FaceFailures
from kiosk.issuance_journal import IssuanceJournal
from kiosk.pin_journal import PinJournal
from kiosk.stock_ledger import CardRecord, StockLedger

D = TypeVar("D")


class FlowServices(Protocol):
    """kiosk.runtime.Services: the local stores and actions flows use."""

    @property
    def journal(self) -> IssuanceJournal: ...
    @property
    def stock_ledger(self) -> StockLedger: ...
    @property
    def face_failures(self) -> FaceFailures: ...
    @property
    def pin_journal(self) -> PinJournal: ...

    def keep_for_recovery(self, application_id: str, record: CardRecord) -> None: ...
    def alarm(self, code: str, message: str, *, device: str | None = None, severity: Severity = "warning") -> None: ...
    def submit_stock_ledger(self, day: dt.date) -> None: ...
    def link_online(self) -> bool: ...
    def block_card_locally(self, identifier: str) -> None: ...
    def unblock_card_locally(self, *identifiers: str) -> None: ...
    def card_blocked_locally(self, *identifiers: str) -> bool: ...
    def print_receipt(self, receipt: Receipt) -> bool: ...


class DeviceMissing(DeviceError):
    """A flow reached for a device this kiosk does not have (availability should have kept it from
    starting): ends the flow as a device fault, like any other."""

    def __init__(self, name: str) -> None:
        super().__init__(f"{name}_missing", "not configured")


def _need(device: D | None, name: str) -> D:
    if device is None:
        raise DeviceMissing(name)
    return device


class FlowDevices:
    """The devices a flow drives, never None: a missing one raises DeviceMissing (a fault end)."""

    def __init__(self, devices: DeviceSet) -> None:
        self._d = devices

    @property
    def id_reader(self) -> IdCardReader:
        return _need(self._d.id_reader, "id_reader")

    @property
    def card_reader(self) -> CardReader:
        return _need(self._d.card_reader, "card_reader")

    @property
    def encoder(self) -> CardReader:
        return _need(self._d.encoder, "encoder")

    @property
    def issuer(self) -> CardIssuer:
        return _need(self._d.issuer, "issuer")

    @property
    def camera(self) -> Camera:
        return _need(self._d.camera, "camera")

    @property
    def document_camera(self) -> DocumentCamera | None:
        """Optional: without it, the steps that need a document go to the counter (kiosk.flows.documents)."""
        return self._d.document_camera

    @property
    def pin_pad(self) -> PinPad:
        return _need(self._d.pin_pad, "pin_pad")

    @property
    def scanner(self) -> Scanner:
        return _need(self._d.scanner, "scanner")

    @property
    def receipt_printer(self) -> ReceiptPrinter | None:
        """Optional in a flow: a receipt that cannot print is reported, not a fault."""
        return self._d.receipt_printer
