"""Builds the configured drivers. Which driver runs is configuration; imports are lazy so a
kiosk without, say, a camera never loads OpenCV's driver code."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from dataclasses import dataclass, fields
from pathlib import Path
from typing import Any

from hal.doccam import DocumentCamera
from hal.interfaces import AudioOutput, Camera, CardIssuer, CardReader, IdCardReader, PinPad, ReceiptPrinter
from hal.scanner.types import Scanner
from hal.sim.audio import SimAudio
from hal.sim.camera import SimCamera
from hal.sim.card_reader import SimCardReader
from hal.sim.document_camera import SimDocumentCamera
from hal.sim.id_reader import SimIdCardReader
from hal.sim.issuer import SimCardIssuer
from hal.sim.pin_pad import SimPinPad
from hal.sim.receipt_printer import SimReceiptPrinter
from hal.sim.scanner import SimScanner
from hal.status import DeviceError, DeviceState, DeviceStatus
from kiosk.config import Config, DeviceSection
from kiosk.domain.services import Device as ServiceDevice

log = logging.getLogger("kiosk.devices")
_SERVICE_DEVICES = frozenset(d.value for d in ServiceDevice)


@dataclass
class DeviceSet:
    id_reader: IdCardReader | None = None
    card_reader: CardReader | None = None
    encoder: CardReader | None = None
    issuer: CardIssuer | None = None
    camera: Camera | None = None
    pin_pad: PinPad | None = None
    receipt_printer: ReceiptPrinter | None = None
    audio: AudioOutput | None = None  # voice prompts; no service needs it (a mute kiosk still serves)
    scanner: Scanner | None = None  # QR codes for e-card sign-in (a scanner, or the camera read by zxing)
    document_camera: DocumentCamera | None = None  # 高拍仪; only guardian and proxy steps need it

    def items(self) -> Iterator[tuple[str, Any]]:
        for f in fields(self):
            yield f.name, getattr(self, f.name)

    def statuses(self) -> dict[str, DeviceStatus]:
        out: dict[str, DeviceStatus] = {}
        for name, dev in self.items():
            if dev is None:
                out[name] = DeviceStatus(DeviceState.NO_DEVICE)
                continue
            try:
                out[name] = dev.status()
            except Exception as exc:  # a driver bug must not take the kiosk down
                out[name] = DeviceStatus(DeviceState.HARDWARE_ERROR, last_error=type(exc).__name__)
        return out

    def usable(self, statuses: dict[str, DeviceStatus] | None = None) -> set[ServiceDevice]:
        statuses = statuses or self.statuses()
        # Only devices a service can need count; the speaker is not one (see _SERVICE_DEVICES).
        return {ServiceDevice(name) for name, st in statuses.items() if st.usable and name in _SERVICE_DEVICES}

    def open_all(self) -> None:
        for name, dev in self.items():
            if dev is None:
                continue
            try:
                dev.open()
            except DeviceError as exc:
                log.warning("device did not open", extra={"device": name, "code": exc.code})

    def close_all(self) -> None:
        for _, dev in self.items():
            if dev is not None:
                try:
                    dev.close()
                except Exception:
                    log.exception("device close failed")


def _real(kind: str, section: DeviceSection, data_dir: Path) -> Any:
    """Real drivers, imported only when configured."""
    drv = section.driver
    if kind == "id_reader" and drv == "sam-serial":
        from hal.idreader.sam_serial import SamSerialIdReader

        return SamSerialIdReader(section.port, section.baud, wlt_decoder=section.plugin or None)  # WLT plug-in
    if kind in ("card_reader", "encoder") and drv == "pcsc":
        from hal.sscard.pcsc_reader import PcscCardReader

        return PcscCardReader(section.reader or None, name=kind)
    if kind == "issuer" and drv == "evolis-usb":
        from hal.issuer.evolis_usb import EvolisUsbIssuer

        return EvolisUsbIssuer(data_dir / "issuer_counters.json", vendor_id=section.usb_vid or 0x0F49,
                               product_id=section.usb_pid or None, name="issuer")
    if kind == "receipt_printer" and drv == "escpos-serial":
        from hal.receipt.escpos_printer import EscPosReceiptPrinter

        return EscPosReceiptPrinter.serial(section.port, section.baud,
                                           counters_path=data_dir / "receipt_counters.json")
    if kind == "receipt_printer" and drv == "escpos-usb":
        from hal.receipt.escpos_printer import EscPosReceiptPrinter

        return EscPosReceiptPrinter.usb(section.usb_vid, section.usb_pid or None,
                                        counters_path=data_dir / "receipt_counters.json")
    if kind == "camera" and drv == "opencv":
        from hal.camera.opencv_camera import OpenCvCamera

        source: int | str = int(section.source) if section.source.isdigit() else (section.source or 0)
        return OpenCvCamera(source, width=section.width, height=section.height)
    if kind == "camera" and drv == "file":
        from hal.camera.opencv_camera import FileCamera

        return FileCamera(section.source, size=(section.width, section.height))
    if kind == "document_camera" and drv == "opencv":
        from hal.doccam.opencv_doccam import OpenCvDocumentCamera

        return OpenCvDocumentCamera(section.source, width=section.width, height=section.height)
    if kind == "pin_pad" and drv == "zt588":
        from hal.pinpad.zt588_serial import Zt588PinPad

        return Zt588PinPad(section.port, section.baud)
    if kind == "pin_pad" and drv == "onscreen":
        from hal.pinpad.onscreen import OnScreenPinPad

        return OnScreenPinPad(name="pin_pad")
    if kind == "audio" and drv == "sdl":
        from hal.audio.sdl_audio import SdlAudio

        return SdlAudio(name="audio")
    if kind == "scanner" and drv == "honeywell-serial":
        from hal.scanner.serial_scanner import HoneywellSerialScanner

        return HoneywellSerialScanner(section.port, section.baud, suffix=section.suffix)
    if kind == "scanner" and drv == "evdev":
        from hal.scanner.evdev_wedge import EvdevWedgeScanner

        return EvdevWedgeScanner(section.port)
    raise DeviceError("driver_unavailable", f"{kind}: driver {drv!r} is not available in this build")


def _camera_scanner(camera: Camera | None) -> Scanner | None:
    """The kiosk's camera read by zxing-cpp, for kiosks without a scanner (none without a camera)."""
    if camera is None:
        return None
    try:
        from hal.scanner.camera_scanner import CameraQrScanner
    except ImportError:  # zxing-cpp missing from this build: no e-card sign-in, everything else runs
        log.warning("zxing-cpp not installed: no QR decoding from the camera")
        return None
    return CameraQrScanner(camera, name="scanner")


def build_devices(cfg: Config) -> DeviceSet:
    d = cfg.devices
    data_dir = Path(cfg.kiosk.data_dir)
    encoder: Any = None
    if d.encoder.driver == "sim":
        encoder = SimCardReader("encoder")
    elif d.encoder.driver != "none":
        encoder = _real("encoder", d.encoder, data_dir)
    ds = DeviceSet(encoder=encoder)
    sims: dict[str, Any] = {
        "id_reader": lambda: SimIdCardReader(),
        "card_reader": lambda: SimCardReader(),
        "issuer": lambda: SimCardIssuer(encoder if isinstance(encoder, SimCardReader) else SimCardReader(),
                                        state_path=data_dir / "sim_issuer.json"),  # survives a kill
        "camera": lambda: SimCamera(width=d.camera.width, height=d.camera.height),
        "pin_pad": lambda: SimPinPad(),
        "receipt_printer": lambda: SimReceiptPrinter(),
        "audio": lambda: SimAudio(),
        "scanner": lambda: SimScanner(),
        "document_camera": lambda: SimDocumentCamera(),
    }
    for kind, make_sim in sims.items():
        section: DeviceSection = getattr(d, kind)
        if section.driver == "none":
            continue
        if kind == "scanner" and section.driver == "camera":
            ds.scanner = _camera_scanner(ds.camera)
            continue
        setattr(ds, kind, make_sim() if section.driver == "sim" else _real(kind, section, data_dir))
    if ds.audio is not None:
        ds.audio.set_volume(cfg.voice.volume)
    return ds
