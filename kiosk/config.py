"""The kiosk's configuration: one TOML file, every key documented in config/kiosk.example.toml.

Loading checks every key's type and allowed range; a wrong value raises ConfigError naming the
key (e.g. ``central.url``). The defaults are production's and fail closed: real drivers, no
simulator mode. Simulators run only where a file asks for them by name (config/demo.toml) or a
test calls ``simulated()``.
"""

from __future__ import annotations

import dataclasses
import math
import os
import stat
import tomllib
import types
import typing
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from kiosk.domain.device_layout import LayoutSection
from kiosk.domain.eligibility import ISSUANCE_LIMIT_S
from offline_queue.http_transport import is_loopback


class ConfigError(ValueError):
    def __init__(self, key: str, problem: str) -> None:
        super().__init__(f"配置错误 configuration error: {key}: {problem}")
        self.key = key
        self.problem = problem


@dataclass(frozen=True)
class KioskSection:
    id: str = "FZ-DEMO-0001"
    language: typing.Literal["zh", "en"] = "zh"
    data_dir: str = "var/kiosk"
    outlet_name: str = "福州市鼓楼区示范网点"
    hotline: str = "12333"
    counter_message: str = "请到就近的合作银行网点柜台办理 / Please visit the nearest partner bank counter"
    bank_code: str = "FZB"
    simulator_mode: bool = False  # true: clear PINs to the central, simulator control (demo/tests only)
    run_dir: str = ""  # UI state and command spool shared with `kiosk sync` ("" = <data_dir>/run)


@dataclass(frozen=True)
class CentralSection:
    url: str = "http://127.0.0.1:8480"
    embedded: bool = False  # start the reference central in-process on loopback (demo)
    embedded_db: str = "var/central.sqlite"
    ca_file: str = ""
    cert_file: str = ""
    key_file: str = ""
    connect_timeout_s: float = 3.0
    read_timeout_s: float = 10.0
    # How long the citizen waits for the answer to a request that goes through the queue (loss report,
    # activation, contact change) before the page says "pending, we'll text you the result". At least
    # the central's central_sim.notices.LATE_AFTER_S (8 s): it texts every outcome decided later.
    answer_wait_s: float = 10.0
    heartbeat_interval_s: float = 30.0
    # in_process: the forwarder and heartbeat run inside the kiosk (demo, single unit);
    # external: `kiosk sync` runs them as kiosk-sync.service, so they go on while the UI restarts.
    sync: typing.Literal["in_process", "external"] = "in_process"


@dataclass(frozen=True)
class DeviceSection:
    driver: str = ""  # "" only before loading: each device's default is its production driver
    port: str = ""  # serial devices
    baud: int = 115200
    reader: str = ""  # PC/SC reader name pattern
    usb_vid: int = 0
    usb_pid: int = 0
    source: str = ""  # camera: index, device path, image/video file or directory
    width: int = 640
    height: int = 480
    plugin: str = ""  # dotted path of an optional plug-in (e.g. the WLT photo decoder)
    suffix: str = "cr"  # scanner: what ends a code on the wire (cr | crlf | lf | tab), programmed at open


_DEVICE_DRIVERS: dict[str, tuple[str, ...]] = {
    "id_reader": ("sim", "sam-serial", "none"),
    "card_reader": ("sim", "pcsc", "none"),
    "encoder": ("sim", "pcsc", "none"),
    "issuer": ("sim", "evolis-usb", "none"),
    "camera": ("sim", "opencv", "file", "none"),
    "pin_pad": ("sim", "zt588", "onscreen", "none"),
    "receipt_printer": ("sim", "escpos-serial", "escpos-usb", "none"),
    "audio": ("sim", "sdl", "none"),
    "scanner": ("sim", "honeywell-serial", "evdev", "camera", "none"),  # e-card sign-in (QR)
    "document_camera": ("sim", "opencv", "none"),
}


# A device whose table (or driver line) is missing gets its real driver, never the simulator.
PRODUCTION_DRIVERS: dict[str, str] = {
    "id_reader": "sam-serial",
    "card_reader": "pcsc",
    "encoder": "pcsc",
    "issuer": "evolis-usb",
    "camera": "opencv",
    "pin_pad": "zt588",
    "receipt_printer": "escpos-usb",
    "audio": "sdl",
    "scanner": "camera",  # no scanner configured: the kiosk's own camera reads the QR code
    "document_camera": "opencv",  # source "" = the second camera (index 1)
}


# A device's own defaults where DeviceSection's (115200 baud, 640x480) are not its own.
DEVICE_DEFAULTS: dict[str, dict[str, Any]] = {
    "pin_pad": {"baud": 9600},  # the ZT588's factory setting (hal/pinpad/zt588_serial.py)
    # 高拍仪: a page at 640 px across is ~77 dpi, below what a reviewer can read (~150 dpi)
    "document_camera": {"width": 1600, "height": 1200},
}


def _device_defaults(name: str) -> dict[str, Any]:
    """What a device's table gets for a line it leaves out."""
    return {"driver": PRODUCTION_DRIVERS[name], **DEVICE_DEFAULTS.get(name, {})}


def _production(name: str) -> DeviceSection:
    return DeviceSection(**_device_defaults(name))


@dataclass(frozen=True)
class DevicesSection:
    id_reader: DeviceSection = field(default_factory=partial(_production, "id_reader"))
    card_reader: DeviceSection = field(default_factory=partial(_production, "card_reader"))
    encoder: DeviceSection = field(default_factory=partial(_production, "encoder"))
    issuer: DeviceSection = field(default_factory=partial(_production, "issuer"))
    camera: DeviceSection = field(default_factory=partial(_production, "camera"))
    pin_pad: DeviceSection = field(default_factory=partial(_production, "pin_pad"))
    receipt_printer: DeviceSection = field(default_factory=partial(_production, "receipt_printer"))
    audio: DeviceSection = field(default_factory=partial(_production, "audio"))  # speaker for the voice prompts
    scanner: DeviceSection = field(default_factory=partial(_production, "scanner"))  # e-card QR sign-in
    # 高拍仪: proofs of relationship and proxies' authorisations (arts. 16, 51)
    document_camera: DeviceSection = field(default_factory=partial(_production, "document_camera"))


@dataclass(frozen=True)
class TimeoutsSection:
    idle_s: float = 60.0  # default per-screen idle timeout
    idle_warning_s: float = 15.0  # the "need more time?" prompt shows this long before expiry
    id_card_read_s: float = 30.0
    card_insert_s: float = 30.0
    pin_entry_s: float = 60.0
    card_take_s: float = 60.0
    liveness_s: float = 60.0  # the blink challenge of the face check (人证核验)
    issuance_limit_s: float = float(ISSUANCE_LIMIT_S)  # regulation art. 21: on the spot within 20 minutes
    payment_s: float = 300.0  # the fee's payment QR code waits this long (the central's order lasts 5 minutes)


@dataclass(frozen=True)
class OfflineSection:
    accept_applications_for_later: bool = False
    queue_db: str = "queue.sqlite"  # relative to kiosk.data_dir
    queue_key_file: str = "queue.key"  # relative to kiosk.data_dir; must be 0600
    max_items: int = 10000
    max_bytes: int = 512 * 1024 * 1024
    max_age_days: float = 14.0
    link_down_after_failures: int = 3
    batch_threshold: int = 20


@dataclass(frozen=True)
class PhotoSection:
    jpeg_min_kb: int = 14  # the card photo's file size range (cities use 9-20 KB or 14-40 KB)
    jpeg_max_kb: int = 40
    steady_frames: int = 5  # frames that must pass every check before auto-capture
    whiten_background: bool = True
    # Face verification (PIN reset): largest accepted 128-d embedding distance. The central
    # accepts a similarity (1 - distance) of at least 0.5, so this may not exceed 0.5.
    match_distance: float = 0.5
    face_failures_per_day: int = 3  # per ID card, every face-checking service (identity checks are limited)

    def settings(self) -> Any:
        """The photo pipeline's settings (kiosk.photo.settings.PhotoSettings)."""
        from kiosk.photo.settings import PhotoSettings

        return PhotoSettings(jpeg_min_bytes=self.jpeg_min_kb * 1024, jpeg_max_bytes=self.jpeg_max_kb * 1024,
                             steady_frames=self.steady_frames, whiten_background=self.whiten_background,
                             match_threshold=self.match_distance)


@dataclass(frozen=True)
class DocumentsSection:
    """Document capture (高拍仪): the JPEG size range sent for review, and steadiness before capture."""

    jpeg_min_kb: int = 20  # below this a page is unreadable for the reviewer: refused
    jpeg_max_kb: int = 400  # one image per request, well under the central's 1 MB body limit
    steady_frames: int = 3  # consecutive good frames, corners still, before the picture is taken
    retakes: int = 3  # captures a citizen may discard before the counter referral


@dataclass(frozen=True)
class UiSection:
    width: int = 1920
    height: int = 1080
    fullscreen: bool = False
    show_cursor: bool = False
    # Input providers are explicit so an ID or barcode reader (HID) is never taken for a touch
    # screen: e.g. "mtdev:/dev/input/event5" or "hidinput:/dev/input/event5"; "" = mouse only.
    touch_provider: str = ""
    # The panel's pixel density: touch targets are checked in millimetres (15 mm, 20 mm elderly).
    # 96 suits a 23-inch 1920x1080 panel; a 21.5-inch one is 102.
    dpi: float = 96.0


@dataclass(frozen=True)
class VoiceSection:
    enabled: bool = True  # spoken guidance on every screen
    volume: float = 0.8  # 0.0 (mute) to 1.0; the technician's volume setting rewrites it
    elderly_timeout_factor: float = 2.0  # elderly mode multiplies the idle timeouts by this (>= 1)


@dataclass(frozen=True)
class Config:
    kiosk: KioskSection = field(default_factory=KioskSection)
    central: CentralSection = field(default_factory=CentralSection)
    devices: DevicesSection = field(default_factory=DevicesSection)
    timeouts: TimeoutsSection = field(default_factory=TimeoutsSection)
    offline: OfflineSection = field(default_factory=OfflineSection)
    photo: PhotoSection = field(default_factory=PhotoSection)
    documents: DocumentsSection = field(default_factory=DocumentsSection)
    ui: UiSection = field(default_factory=UiSection)
    voice: VoiceSection = field(default_factory=VoiceSection)
    layout: LayoutSection = field(default_factory=LayoutSection)  # where each device sits (direction words)
    source: str = ""  # the file it came from ("" = defaults)

    def run_path(self, name: str) -> Path:
        base = Path(self.kiosk.run_dir) if self.kiosk.run_dir else Path(self.kiosk.data_dir) / "run"
        return base / name

    def data_path(self, name: str) -> Path:
        p = Path(name)
        return p if p.is_absolute() else Path(self.kiosk.data_dir) / p


MAX_FILE_BYTES = 256 * 1024  # a kiosk.toml is a few KB; this bounds what a wrong path can make us read

# Allowed ranges of the numbers (inclusive); "*" stands for any device. Every number is also finite.
RANGES: dict[str, tuple[float, float]] = {
    "central.connect_timeout_s": (0.1, 120.0),
    "central.read_timeout_s": (0.1, 600.0),
    "central.answer_wait_s": (8.0, 60.0),  # below 8 s an outcome could be neither shown nor texted
    "central.heartbeat_interval_s": (0.5, 3600.0),  # 0 would flood the central
    "devices.*.baud": (300, 4_000_000),
    "devices.*.usb_vid": (0, 0xFFFF),
    "devices.*.usb_pid": (0, 0xFFFF),
    "devices.*.width": (1, 16384),
    "devices.*.height": (1, 16384),
    "timeouts.idle_s": (1.0, 3600.0),
    "timeouts.idle_warning_s": (0.0, 3600.0),
    "timeouts.id_card_read_s": (1.0, 3600.0),
    "timeouts.card_insert_s": (1.0, 3600.0),
    "timeouts.pin_entry_s": (1.0, 3600.0),
    "timeouts.card_take_s": (1.0, 3600.0),
    "timeouts.liveness_s": (1.0, 3600.0),
    "timeouts.issuance_limit_s": (1.0, float(ISSUANCE_LIMIT_S)),  # regulation art. 21: never longer
    "timeouts.payment_s": (1.0, 300.0),  # never past the central's order (5 minutes)
    "offline.max_items": (1, 100_000_000),
    "offline.max_bytes": (1, 2**40),
    "offline.max_age_days": (0.01, 3650.0),
    "offline.link_down_after_failures": (1, 1000),
    "offline.batch_threshold": (1, 100_000),
    "photo.jpeg_min_kb": (1, 1024),
    "photo.jpeg_max_kb": (1, 1024),
    "photo.steady_frames": (1, 1000),
    "photo.match_distance": (0.0, 0.5),
    "photo.face_failures_per_day": (1, 100),
    "documents.jpeg_min_kb": (1, 700),  # 700 KB of JPEG is the most one request's body holds in base64
    "documents.jpeg_max_kb": (1, 700),
    "documents.steady_frames": (1, 100),
    "documents.retakes": (0, 20),
    "ui.width": (1, 16384),
    "ui.height": (1, 16384),
    "ui.dpi": (40, 600),
    "voice.volume": (0.0, 1.0),
    "voice.elderly_timeout_factor": (1.0, 10.0),
}


def _in_range(key: str, value: float) -> None:
    parts = key.split(".")
    rule = key if key in RANGES else ".".join([parts[0], "*", *parts[2:]])
    bounds = RANGES.get(rule)
    if bounds is None:
        raise ConfigError(key, "no allowed range is defined for this number")  # keeps RANGES complete
    lo, hi = bounds
    if not lo <= value <= hi:
        raise ConfigError(key, f"must be between {lo:g} and {hi:g}, got {value!r}")


def _convert(key: str, hint: Any, value: Any) -> Any:
    origin = typing.get_origin(hint)
    if origin is typing.Literal:
        allowed = typing.get_args(hint)
        if value not in allowed:
            raise ConfigError(key, f"must be one of {', '.join(map(repr, allowed))}, got {value!r}")
        return value
    if origin in (typing.Union, types.UnionType):
        raise ConfigError(key, "unsupported type")  # not used; keeps the loader honest
    if dataclasses.is_dataclass(hint):
        if not isinstance(value, dict):
            raise ConfigError(key, "must be a table")
        if hint is DeviceSection:  # a table without a driver (or baud) line still gets the device's own
            value = {**_device_defaults(key.rsplit(".", 1)[-1]), **value}
        return _build(hint, value, key + ".")  # type: ignore[arg-type]
    if hint is bool:
        if not isinstance(value, bool):
            raise ConfigError(key, f"must be true or false, got {value!r}")
        return value
    if hint is int:
        if isinstance(value, bool) or not isinstance(value, int):
            raise ConfigError(key, f"must be an integer, got {value!r}")
        _in_range(key, value)
        return value
    if hint is float:
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise ConfigError(key, f"must be a number, got {value!r}")
        if isinstance(value, float) and not math.isfinite(value):
            raise ConfigError(key, f"must be a finite number, got {value!r}")
        _in_range(key, value)  # before float(): a huge integer must not overflow
        return float(value)
    if hint is str:
        if not isinstance(value, str):
            raise ConfigError(key, f"must be a string, got {value!r}")
        return value
    raise ConfigError(key, f"unsupported type {hint!r}")


def _build(cls: type[Any], table: dict[str, Any], prefix: str = "") -> Any:
    hints = typing.get_type_hints(cls)
    names = {f.name for f in dataclasses.fields(cls) if not (cls is Config and f.name == "source")}
    for k in table:
        if k not in names:
            raise ConfigError(prefix + k, "unknown key")
    kwargs = {name: _convert(prefix + name, hints[name], table[name]) for name in names if name in table}
    return cls(**kwargs)


def _check(cfg: Config) -> None:
    url = cfg.central.url
    if not (url.startswith("https://") or url.startswith("http://")):
        raise ConfigError("central.url", "must start with https:// (or http:// for a loopback host)")
    if url.startswith("http://"):  # the transport's own rule, so `kiosk sync` never meets it as a crash
        try:
            host = urlsplit(url).hostname or ""
        except ValueError:  # e.g. an unclosed "[" of an IPv6 address
            host = ""
        if not is_loopback(host):
            raise ConfigError("central.url", "must start with https:// unless the host is loopback "
                                             f"(127.0.0.1, localhost, [::1]), got host {host!r}")
    for dev, drivers in _DEVICE_DRIVERS.items():
        drv = getattr(cfg.devices, dev).driver
        if drv not in drivers:
            raise ConfigError(f"devices.{dev}.driver", f"must be one of {', '.join(drivers)}, got {drv!r}")
    if not cfg.kiosk.id.strip():
        raise ConfigError("kiosk.id", "must not be empty")
    if not 0.0 < cfg.photo.match_distance <= 0.5:
        raise ConfigError("photo.match_distance", "must be above 0 and at most 0.5 (the central's limit)")
    if not 0 < cfg.photo.jpeg_min_kb < cfg.photo.jpeg_max_kb:
        raise ConfigError("photo.jpeg_max_kb", "must be larger than photo.jpeg_min_kb (and both positive)")
    if cfg.devices.scanner.suffix not in ("cr", "crlf", "lf", "tab"):
        raise ConfigError("devices.scanner.suffix", "must be one of cr, crlf, lf, tab")
    if not 0 < cfg.documents.jpeg_min_kb < cfg.documents.jpeg_max_kb:
        raise ConfigError("documents.jpeg_max_kb", "must be larger than documents.jpeg_min_kb (and both positive)")
    if cfg.timeouts.idle_warning_s >= cfg.timeouts.idle_s:
        raise ConfigError("timeouts.idle_warning_s", "must be shorter than timeouts.idle_s")


def _read_file(p: Path) -> bytes:
    """The file's bytes: a regular file of at most MAX_FILE_BYTES (never a device, FIFO or directory)."""
    try:
        # O_NONBLOCK: opening a FIFO must not hang the start; fstat then refuses it.
        fd = os.open(p, os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_CLOEXEC", 0))
    except OSError as exc:
        raise ConfigError("(file)", f"cannot read {p}: {exc.strerror}") from None
    try:
        st = os.fstat(fd)
        if not stat.S_ISREG(st.st_mode):
            raise ConfigError("(file)", f"{p} is not a regular file")
        if st.st_size > MAX_FILE_BYTES:
            raise ConfigError("(file)", f"{p} is {st.st_size} bytes, larger than {MAX_FILE_BYTES}")
        chunks: list[bytes] = []
        size = 0
        while chunk := os.read(fd, 65536):  # the file may grow while we read: stop at the bound
            size += len(chunk)
            if size > MAX_FILE_BYTES:
                raise ConfigError("(file)", f"{p} is larger than {MAX_FILE_BYTES} bytes")
            chunks.append(chunk)
        return b"".join(chunks)
    except OSError as exc:
        raise ConfigError("(file)", f"cannot read {p}: {exc.strerror}") from None
    finally:
        os.close(fd)


def load_config(path: str | Path | None) -> Config:
    """Load and validate; ``None`` gives the documented (production) defaults.

    Raises only ConfigError, whatever the file holds.
    """
    if path is None:
        cfg = Config()
    else:
        p = Path(path)
        raw = _read_file(p)
        try:
            table = tomllib.loads(raw.decode("utf-8"))
        except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
            raise ConfigError("(file)", f"{p} is not valid TOML: {exc}") from None
        except RecursionError:  # tomllib recurses on nested arrays and inline tables
            raise ConfigError("(file)", f"{p} nests arrays or tables too deeply") from None
        cfg = dataclasses.replace(_build(Config, table), source=str(p))
    _check(cfg)
    return cfg


def simulated(cfg: Config) -> Config:
    """``cfg`` on simulators: every device's driver "sim" and simulator mode on. For the demo
    tooling and tests, which must ask for simulators by name (the defaults are production's)."""
    devices = DevicesSection(**{f.name: dataclasses.replace(getattr(cfg.devices, f.name), driver="sim")
                                for f in dataclasses.fields(DevicesSection)})
    return dataclasses.replace(cfg, kiosk=dataclasses.replace(cfg.kiosk, simulator_mode=True), devices=devices)
