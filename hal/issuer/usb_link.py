"""A bulk OUT/IN link to a USB printer-class device through pyusb, with timeouts and replug.

Shared by the card issuer and the USB receipt printer. Every transfer is bounded by a
timeout; a vanished device (ENODEV, or not found on reopen) becomes ``DeviceUnavailable``
and the link drops its handle so the next ``open()`` finds the re-enumerated device.
"""

from __future__ import annotations

import contextlib
import errno
import logging
from typing import Any

import usb.core
import usb.util

from hal.status import Action, DeviceError, DeviceTimeout, DeviceUnavailable

log = logging.getLogger(__name__)

PRINTER_CLASS = 0x07
_GONE_ERRNOS = {errno.ENODEV, errno.ENOENT, errno.EIO, errno.ESHUTDOWN}


class UsbPrinterLink:
    def __init__(
        self,
        vendor_id: int,
        product_id: int | None = None,
        *,
        backend: Any = None,
        serial_number: str | None = None,
        timeout_s: float = 5.0,
        label: str = "usb printer",
    ) -> None:
        self.vendor_id = vendor_id
        self.product_id = product_id
        self.backend = backend
        self.serial_number = serial_number
        self.timeout_s = timeout_s
        self.label = label
        self._dev: Any = None
        self._ep_out: Any = None
        self._ep_in: Any = None
        self._intf_no = 0

    @property
    def is_open(self) -> bool:
        return self._dev is not None

    def _match(self, dev: Any) -> bool:
        if self.product_id is not None and dev.idProduct != self.product_id:
            return False
        if self.serial_number is not None:
            try:
                if dev.serial_number != self.serial_number:
                    return False
            except (usb.core.USBError, ValueError):
                return False
        return True

    def open(self) -> None:
        if self._dev is not None:
            return
        try:
            dev = usb.core.find(idVendor=self.vendor_id, backend=self.backend, custom_match=self._match)
        except usb.core.NoBackendError as exc:
            raise DeviceUnavailable("no USB backend (libusb missing)") from exc
        if dev is None:
            raise DeviceUnavailable(f"{self.label} not found")
        try:
            try:
                cfg = dev.get_active_configuration()
            except usb.core.USBError:  # unconfigured (bConfigurationValue 0): take the first one
                dev.set_configuration()
                cfg = dev.get_active_configuration()
            intf = usb.util.find_descriptor(cfg, bInterfaceClass=PRINTER_CLASS) or cfg[(0, 0)]
            self._intf_no = intf.bInterfaceNumber
            # Linux binds usblp to printer-class interfaces; take the interface from it.
            try:
                if dev.is_kernel_driver_active(self._intf_no):
                    dev.detach_kernel_driver(self._intf_no)
            except (NotImplementedError, usb.core.USBError):
                pass
            usb.util.claim_interface(dev, self._intf_no)
            ep_out = usb.util.find_descriptor(intf, custom_match=lambda e: _is_bulk(e, usb.util.ENDPOINT_OUT))
            ep_in = usb.util.find_descriptor(intf, custom_match=lambda e: _is_bulk(e, usb.util.ENDPOINT_IN))
        except usb.core.USBError as exc:
            usb.util.dispose_resources(dev)
            raise self._map(exc) from exc
        if ep_out is None:
            usb.util.dispose_resources(dev)
            raise DeviceError("usb_descriptor", f"{self.label} has no bulk OUT endpoint", Action.MAINTENANCE)
        self._dev, self._ep_out, self._ep_in = dev, ep_out, ep_in
        log.info("%s opened (bus %s address %s)", self.label, dev.bus, dev.address)

    def close(self) -> None:
        dev, self._dev = self._dev, None
        self._ep_out = self._ep_in = None
        if dev is not None:
            with contextlib.suppress(usb.core.USBError):  # already gone: nothing to release
                usb.util.release_interface(dev, self._intf_no)
            usb.util.dispose_resources(dev)

    def _ms(self, timeout_s: float | None) -> int:
        return max(1, int(1000 * (self.timeout_s if timeout_s is None else timeout_s)))

    def _map(self, exc: usb.core.USBError) -> DeviceError:
        if isinstance(exc, usb.core.USBTimeoutError):
            return DeviceTimeout(f"{self.label} did not answer in time")
        if exc.errno in _GONE_ERRNOS or exc.backend_error_code == -4:
            self.close()
            return DeviceUnavailable(f"{self.label} disconnected")
        self.close()
        return DeviceError("usb_error", f"{self.label}: {exc.strerror}")

    def write(self, data: bytes, timeout_s: float | None = None) -> None:
        self.open()
        try:
            written = self._ep_out.write(data, self._ms(timeout_s))
        except usb.core.USBError as exc:
            raise self._map(exc) from exc
        if written != len(data):
            raise DeviceError("usb_short_write", f"{self.label}: {written}/{len(data)} bytes written")

    def read(self, size: int = 4096, timeout_s: float | None = None) -> bytes:
        self.open()
        if self._ep_in is None:
            raise DeviceError("usb_descriptor", f"{self.label} has no bulk IN endpoint", Action.MAINTENANCE)
        try:
            return bytes(self._ep_in.read(size, self._ms(timeout_s)))
        except usb.core.USBError as exc:
            raise self._map(exc) from exc

    def drain(self, timeout_s: float = 0.01) -> None:
        """Discard IN data left over from an exchange that timed out."""
        for _ in range(64):
            try:
                self.read(4096, timeout_s)
            except DeviceTimeout:
                return


def _is_bulk(ep: Any, direction: int) -> bool:
    return bool(
        usb.util.endpoint_type(ep.bmAttributes) == usb.util.ENDPOINT_TYPE_BULK
        and usb.util.endpoint_direction(ep.bEndpointAddress) == direction
    )
