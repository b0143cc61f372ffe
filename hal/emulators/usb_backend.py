"""A pyusb backend that emulates USB devices, for tests without hardware.

The kernel here has no USB emulation (no dummy_hcd, no USB/IP), so the emulation sits
at pyusb's backend seam: drivers call ``usb.core.find(backend=...)`` and then the usual
``Device``/``Endpoint`` API, exactly as with libusb. A device model (subclass of
``UsbDeviceModel``) supplies the descriptors and answers bulk OUT transfers by queueing
bulk IN data. ``unplug()``/``replug()`` make the device vanish from enumeration; handles
opened before an unplug fail with ENODEV like libusb's LIBUSB_ERROR_NO_DEVICE.
"""

from __future__ import annotations

import array
import errno
import threading
import time
from collections import deque
from dataclasses import dataclass, field
from typing import Any

import usb.backend
import usb.core

LIBUSB_ERROR_NO_DEVICE = -4
LIBUSB_ERROR_TIMEOUT = -7
LIBUSB_ERROR_PIPE = -9

BULK = 0x02
PRINTER_CLASS = 0x07
_DT_STRING = 0x03
_GET_DESCRIPTOR = 0x06
_GET_DEVICE_ID = 0x00  # USB printer class request
_GET_PORT_STATUS = 0x01


def timeout_error() -> usb.core.USBTimeoutError:
    return usb.core.USBTimeoutError("timeout", LIBUSB_ERROR_TIMEOUT, errno.ETIMEDOUT)


def no_device_error() -> usb.core.USBError:
    return usb.core.USBError("No such device (it may have been disconnected)", LIBUSB_ERROR_NO_DEVICE,
                             errno.ENODEV)


@dataclass(frozen=True)
class EndpointSpec:
    address: int  # bit 7 set = IN
    attributes: int = BULK
    max_packet: int = 512


@dataclass(frozen=True)
class InterfaceSpec:
    number: int = 0
    alt: int = 0
    cls: int = PRINTER_CLASS
    subclass: int = 1
    protocol: int = 2  # bidirectional printer
    endpoints: tuple[EndpointSpec, ...] = (EndpointSpec(0x01), EndpointSpec(0x82))


class _Desc:
    """A descriptor as pyusb reads it: plain attributes."""

    def __init__(self, **fields: Any) -> None:
        self.__dict__.update(fields)


class UsbDeviceModel:
    """Base of a device model: descriptors, an IN queue, and hooks for OUT data.

    Subclasses override ``on_bulk_out`` (and optionally ``device_id``/``port_status``).
    ``muted`` makes the device swallow OUT data and never answer (reads time out).
    """

    vendor_id = 0x0000
    product_id = 0x0000
    manufacturer = "Emulated"
    product = "USB device"
    serial = "0001"
    interfaces: tuple[InterfaceSpec, ...] = (InterfaceSpec(),)

    def __init__(self) -> None:
        self._cond = threading.Condition()
        self._in: deque[bytes] = deque()
        self._backend: EmulatedUsbBackend | None = None
        self.muted = False
        self.out_log: list[bytes] = []  # raw OUT transfers, for tests that check bytes

    # -- the device's side ------------------------------------------------------------
    def on_bulk_out(self, ep: int, data: bytes) -> None:
        raise NotImplementedError

    def device_id(self) -> str:
        """IEEE 1284 device ID for the printer-class GET_DEVICE_ID request."""
        return f"MFG:{self.manufacturer};MDL:{self.product};CMD:;CLS:PRINTER;"

    def port_status(self) -> int:
        """Printer-class GET_PORT_STATUS byte: 0x18 = selected, no error."""
        return 0x18

    def send_in(self, data: bytes) -> None:
        """Queue data for the host's next bulk IN read."""
        with self._cond:
            self._in.append(bytes(data))
            self._cond.notify_all()

    def clear_in(self) -> None:
        with self._cond:
            self._in.clear()

    # -- plug state, delegated to the backend it is attached to -----------------------
    @property
    def plugged(self) -> bool:
        return self._backend is not None and self._backend.is_plugged(self)

    def unplug(self) -> None:
        if self._backend is not None:
            self._backend.unplug(self)

    def replug(self) -> None:
        if self._backend is not None:
            self._backend.replug(self)

    # -- called by the backend --------------------------------------------------------
    def _write(self, ep: int, data: bytes) -> None:
        self.out_log.append(data)
        if not self.muted:
            self.on_bulk_out(ep, data)

    def _read(self, size: int, timeout_ms: int, alive: Any) -> bytes:
        deadline = time.monotonic() + (timeout_ms / 1000.0 if timeout_ms > 0 else 3600.0)
        with self._cond:
            while not self._in:
                if not alive():
                    raise no_device_error()
                left = deadline - time.monotonic()
                if left <= 0:
                    raise timeout_error()
                self._cond.wait(min(left, 0.05))
            if not alive():
                raise no_device_error()
            chunk = self._in.popleft()
            if len(chunk) > size:  # the rest stays for the next read, as with real packets
                self._in.appendleft(chunk[size:])
                chunk = chunk[:size]
            return chunk

    def _wake(self) -> None:
        with self._cond:
            self._cond.notify_all()


@dataclass
class _Slot:
    model: UsbDeviceModel
    bus: int
    address: int
    plugged: bool = True
    generation: int = 0


@dataclass(frozen=True, eq=False)
class _DevRef:
    slot: _Slot
    generation: int


@dataclass
class _Handle:
    ref: _DevRef
    config: int = 0
    claimed: set[int] = field(default_factory=set)


class EmulatedUsbBackend(usb.backend.IBackend):  # type: ignore[misc]
    """pass as ``backend=`` to ``usb.core.find``; ``attach`` device models to it."""

    def __init__(self) -> None:
        super().__init__()
        self._slots: list[_Slot] = []
        self._lock = threading.Lock()
        self._next_address = 2

    # -- test control -----------------------------------------------------------------
    def attach(self, model: UsbDeviceModel, bus: int = 1) -> UsbDeviceModel:
        with self._lock:
            self._slots.append(_Slot(model, bus, self._next_address))
            self._next_address += 1
        model._backend = self
        return model

    def _slot(self, model: UsbDeviceModel) -> _Slot:
        for s in self._slots:
            if s.model is model:
                return s
        raise KeyError("model not attached")

    def is_plugged(self, model: UsbDeviceModel) -> bool:
        return self._slot(model).plugged

    def unplug(self, model: UsbDeviceModel) -> None:
        with self._lock:
            s = self._slot(model)
            s.plugged = False
            s.generation += 1
        model.clear_in()
        model._wake()

    def replug(self, model: UsbDeviceModel) -> None:
        """Re-enumerate with a new address, as the hub does after a replug."""
        with self._lock:
            s = self._slot(model)
            s.plugged = True
            s.generation += 1
            s.address = self._next_address
            self._next_address += 1
        model.clear_in()

    # -- helpers ----------------------------------------------------------------------
    @staticmethod
    def _alive(ref: _DevRef) -> bool:
        return ref.slot.plugged and ref.slot.generation == ref.generation

    def _check(self, handle: _Handle) -> UsbDeviceModel:
        if not self._alive(handle.ref):
            raise no_device_error()
        return handle.ref.slot.model

    @staticmethod
    def _intf(model: UsbDeviceModel, intf: int, alt: int) -> InterfaceSpec:
        numbers = sorted({i.number for i in model.interfaces})
        if intf >= len(numbers):
            raise IndexError("no such interface")
        alts = [i for i in model.interfaces if i.number == numbers[intf]]
        if alt >= len(alts):  # pyusb enumerates alternate settings until IndexError
            raise IndexError("no such alternate setting")
        return alts[alt]

    # -- IBackend ---------------------------------------------------------------------
    def enumerate_devices(self) -> Any:
        with self._lock:
            refs = [_DevRef(s, s.generation) for s in self._slots if s.plugged]
        yield from refs

    def get_parent(self, dev: _DevRef) -> None:
        return None

    def get_device_descriptor(self, dev: _DevRef) -> _Desc:
        m = dev.slot.model
        return _Desc(
            bLength=18, bDescriptorType=1, bcdUSB=0x0200, bDeviceClass=0, bDeviceSubClass=0,
            bDeviceProtocol=0, bMaxPacketSize0=64, idVendor=m.vendor_id, idProduct=m.product_id,
            bcdDevice=0x0100, iManufacturer=1, iProduct=2, iSerialNumber=3, bNumConfigurations=1,
            address=dev.slot.address, bus=dev.slot.bus, port_number=dev.slot.address,
            port_numbers=(dev.slot.address,), speed=3,
        )

    def get_configuration_descriptor(self, dev: _DevRef, config: int) -> _Desc:
        if config != 0:
            raise IndexError("no such configuration")
        m = dev.slot.model
        return _Desc(
            bLength=9, bDescriptorType=2, wTotalLength=32,
            bNumInterfaces=len({i.number for i in m.interfaces}), bConfigurationValue=1,
            iConfiguration=0, bmAttributes=0xC0, bMaxPower=50, extra_descriptors=[],
        )

    def get_interface_descriptor(self, dev: _DevRef, intf: int, alt: int, config: int) -> _Desc:
        if config != 0:
            raise IndexError("no such configuration")
        i = self._intf(dev.slot.model, intf, alt)
        return _Desc(
            bLength=9, bDescriptorType=4, bInterfaceNumber=i.number, bAlternateSetting=i.alt,
            bNumEndpoints=len(i.endpoints), bInterfaceClass=i.cls, bInterfaceSubClass=i.subclass,
            bInterfaceProtocol=i.protocol, iInterface=0, extra_descriptors=[],
        )

    def get_endpoint_descriptor(self, dev: _DevRef, ep: int, intf: int, alt: int, config: int) -> _Desc:
        i = self._intf(dev.slot.model, intf, alt)
        if ep >= len(i.endpoints):
            raise IndexError("no such endpoint")
        e = i.endpoints[ep]
        return _Desc(
            bLength=7, bDescriptorType=5, bEndpointAddress=e.address, bmAttributes=e.attributes,
            wMaxPacketSize=e.max_packet, bInterval=0, bRefresh=0, bSynchAddress=0, extra_descriptors=[],
        )

    def open_device(self, dev: _DevRef) -> _Handle:
        if not self._alive(dev):
            raise no_device_error()
        return _Handle(dev)

    def close_device(self, dev_handle: _Handle) -> None:
        dev_handle.claimed.clear()

    def set_configuration(self, dev_handle: _Handle, config_value: int) -> None:
        self._check(dev_handle)
        dev_handle.config = config_value

    def get_configuration(self, dev_handle: _Handle) -> int:
        self._check(dev_handle)
        return dev_handle.config or 1

    def set_interface_altsetting(self, dev_handle: _Handle, intf: int, altsetting: int) -> None:
        self._check(dev_handle)

    def claim_interface(self, dev_handle: _Handle, intf: int) -> None:
        self._check(dev_handle)
        dev_handle.claimed.add(intf)

    def release_interface(self, dev_handle: _Handle, intf: int) -> None:
        dev_handle.claimed.discard(intf)

    def is_kernel_driver_active(self, dev_handle: _Handle, intf: int) -> bool:
        self._check(dev_handle)
        return False

    def detach_kernel_driver(self, dev_handle: _Handle, intf: int) -> None:
        self._check(dev_handle)

    def attach_kernel_driver(self, dev_handle: _Handle, intf: int) -> None:
        self._check(dev_handle)

    def clear_halt(self, dev_handle: _Handle, ep: int) -> None:
        self._check(dev_handle)

    def reset_device(self, dev_handle: _Handle) -> None:
        self._check(dev_handle).clear_in()

    def bulk_write(self, dev_handle: _Handle, ep: int, intf: int, data: array.array[int],
                   timeout: int) -> int:
        model = self._check(dev_handle)
        payload = bytes(data)
        model._write(ep, payload)
        return len(payload)

    def bulk_read(self, dev_handle: _Handle, ep: int, intf: int, buff: array.array[int], timeout: int) -> int:
        model = self._check(dev_handle)
        chunk = model._read(len(buff), timeout, lambda: self._alive(dev_handle.ref))
        buff[: len(chunk)] = array.array("B", chunk)
        return len(chunk)

    def ctrl_transfer(self, dev_handle: _Handle, bmRequestType: int, bRequest: int, wValue: int,
                      wIndex: int, data: array.array[int], timeout: int) -> int:
        model = self._check(dev_handle)
        if not bmRequestType & 0x80:  # OUT: accepted and ignored
            return len(data)
        reply = self._control_in(model, bmRequestType, bRequest, wValue)
        n = min(len(reply), len(data))
        data[:n] = array.array("B", reply[:n])
        return n

    @staticmethod
    def _control_in(model: UsbDeviceModel, req_type: int, req: int, value: int) -> bytes:
        kind = (req_type >> 5) & 3
        if kind == 0 and req == _GET_DESCRIPTOR and value >> 8 == _DT_STRING:
            index = value & 0xFF
            if index == 0:
                return bytes([4, _DT_STRING, 0x09, 0x04])  # LANGID en-US
            text = {1: model.manufacturer, 2: model.product, 3: model.serial}.get(index, "")
            raw = text.encode("utf-16-le")
            return bytes([2 + len(raw), _DT_STRING]) + raw
        if kind == 1 and req == _GET_DEVICE_ID:
            raw = model.device_id().encode("ascii")
            return (len(raw) + 2).to_bytes(2, "big") + raw
        if kind == 1 and req == _GET_PORT_STATUS:
            return bytes([model.port_status()])
        raise usb.core.USBError("Pipe error", LIBUSB_ERROR_PIPE, errno.EPIPE)
