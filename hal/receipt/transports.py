"""Byte links to a receipt printer: serial (pyserial) or USB printer class (pyusb).

Both bound every read and write by a timeout and turn a vanished device into
``DeviceUnavailable`` after closing, so the next ``open()`` reconnects.
"""

from __future__ import annotations

import logging
from typing import Any, Protocol

import serial

from hal.issuer.usb_link import UsbPrinterLink
from hal.status import DeviceTimeout, DeviceUnavailable

log = logging.getLogger(__name__)


class ReceiptTransport(Protocol):
    label: str

    @property
    def is_open(self) -> bool: ...

    def open(self) -> None: ...

    def close(self) -> None: ...

    def write(self, data: bytes, timeout_s: float | None = None) -> None: ...

    def read(self, size: int, timeout_s: float | None = None) -> bytes:
        """At least one byte, or DeviceTimeout."""
        ...

    def drain(self) -> None: ...


class SerialTransport:
    """A serial port by path (a stable udev symlink in production, a pty in tests).

    Modem lines are left alone (no DTR/RTS flow control): ptys and many adapters
    refuse those ioctls.
    """

    def __init__(self, port: str, baudrate: int = 115200, *, timeout_s: float = 3.0) -> None:
        self.port = port
        self.baudrate = baudrate
        self.timeout_s = timeout_s
        self.label = "receipt printer (serial)"
        self._ser: serial.Serial | None = None

    @property
    def is_open(self) -> bool:
        return self._ser is not None

    def open(self) -> None:
        if self._ser is not None:
            return
        try:
            self._ser = serial.Serial(port=self.port, baudrate=self.baudrate, timeout=self.timeout_s,
                                      write_timeout=self.timeout_s, rtscts=False, dsrdtr=False,
                                      xonxoff=False, exclusive=True)
        except (serial.SerialException, OSError) as exc:
            raise DeviceUnavailable(f"{self.label} cannot be opened") from exc
        log.info("%s opened", self.label)

    def close(self) -> None:
        ser, self._ser = self._ser, None
        if ser is not None:
            try:
                ser.close()
            except (serial.SerialException, OSError):
                log.debug("closing a dead serial port failed", exc_info=True)

    def _gone(self, exc: BaseException) -> DeviceUnavailable:
        self.close()
        return DeviceUnavailable(f"{self.label} disconnected ({type(exc).__name__})")

    def write(self, data: bytes, timeout_s: float | None = None) -> None:
        self.open()
        assert self._ser is not None
        try:
            _set_if_changed(self._ser, "write_timeout", self.timeout_s if timeout_s is None else timeout_s)
            self._ser.write(data)
            self._ser.flush()
        except serial.SerialTimeoutException as exc:
            raise DeviceTimeout(f"{self.label} did not take the data in time") from exc
        except (serial.SerialException, OSError) as exc:
            raise self._gone(exc) from exc

    def read(self, size: int, timeout_s: float | None = None) -> bytes:
        self.open()
        assert self._ser is not None
        try:
            _set_if_changed(self._ser, "timeout", self.timeout_s if timeout_s is None else timeout_s)
            data = self._ser.read(size)
        except (serial.SerialException, OSError) as exc:
            raise self._gone(exc) from exc
        if not data:
            raise DeviceTimeout(f"{self.label} did not answer in time")
        return bytes(data)

    def drain(self) -> None:
        if self._ser is not None:
            try:
                self._ser.reset_input_buffer()
            except (serial.SerialException, OSError) as exc:
                raise self._gone(exc) from exc


def _set_if_changed(ser: serial.Serial, attr: str, value: float) -> None:
    # each assignment reconfigures the tty (tcsetattr): skip it when nothing changes
    if getattr(ser, attr) != value:
        setattr(ser, attr, value)


class UsbTransport:
    """A USB printer-class receipt printer (bulk OUT for data, bulk IN for status)."""

    def __init__(self, vendor_id: int, product_id: int | None = None, *, backend: Any = None,
                 serial_number: str | None = None, timeout_s: float = 3.0) -> None:
        self.label = "receipt printer (usb)"
        self._link = UsbPrinterLink(vendor_id, product_id, backend=backend, serial_number=serial_number,
                                    timeout_s=timeout_s, label=self.label)

    @property
    def is_open(self) -> bool:
        return self._link.is_open

    def open(self) -> None:
        self._link.open()

    def close(self) -> None:
        self._link.close()

    def write(self, data: bytes, timeout_s: float | None = None) -> None:
        self._link.write(data, timeout_s)

    def read(self, size: int, timeout_s: float | None = None) -> bytes:
        return self._link.read(size, timeout_s)

    def drain(self) -> None:
        if self._link.is_open:
            self._link.drain()
