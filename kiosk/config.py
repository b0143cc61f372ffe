"""The kiosk's configuration: one TOML file, every key documented in config/kiosk.example.toml.

Loading checks every key's type and allowed values; a wrong or missing value raises
ConfigError naming the key (e.g. ``central.url``).
"""

from __future__ import annotations

import dataclasses
import tomllib
import types
import typing
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any


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
    simulator_mode: bool = True  # allows clear PINs to the central (contract: simulator only)
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
    heartbeat_interval_s: float = 30.0
    # in_process: the forwarder and heartbeat run inside the kiosk (demo, single unit);
    # external: `kiosk sync` runs them as kiosk-sync.service, so they go on while the UI restarts.
    sync: typing.Literal["in_process", "external"] = "in_process"


@dataclass(frozen=True)
class DeviceSection:
    driver: str = "sim"
    port: str = ""  # serial devices
    baud: int = 115200
    reader: str = ""  # PC/SC reader name pattern
    usb_vid: int = 0
    usb_pid: int = 0
    source: str = ""  # camera: index, device path, image/video file or directory
    width: int = 640
    height: int = 480
    plugin: str = ""  # dotted path of an optional plug-in (e.g. the WLT photo decoder)


_DEVICE_DRIVERS: dict[str, tuple[str, ...]] = {
    "id_reader": ("sim", "sam-serial", "none"),
    "card_reader": ("sim", "pcsc", "none"),
    "encoder": ("sim", "pcsc", "none"),
    "issuer": ("sim", "evolis-usb", "none"),
    "camera": ("sim", "opencv", "file", "none"),
    "pin_pad": ("sim", "zt588", "onscreen", "none"),
    "receipt_printer": ("sim", "escpos-serial", "escpos-usb", "none"),
    "audio": ("sim", "sdl", "none"),
}


@dataclass(frozen=True)
class DevicesSection:
    id_reader: DeviceSection = field(default_factory=DeviceSection)
    card_reader: DeviceSection = field(default_factory=DeviceSection)
    encoder: DeviceSection = field(default_factory=DeviceSection)
    issuer: DeviceSection = field(default_factory=DeviceSection)
    camera: DeviceSection = field(default_factory=DeviceSection)
    pin_pad: DeviceSection = field(default_factory=DeviceSection)
    receipt_printer: DeviceSection = field(default_factory=DeviceSection)
    audio: DeviceSection = field(default_factory=DeviceSection)  # speaker for the voice prompts


@dataclass(frozen=True)
class TimeoutsSection:
    idle_s: float = 60.0  # default per-screen idle timeout
    idle_warning_s: float = 15.0  # the "need more time?" prompt shows this long before expiry
    id_card_read_s: float = 30.0
    card_insert_s: float = 30.0
    pin_entry_s: float = 60.0
    card_take_s: float = 60.0
    issuance_limit_s: float = 1200.0  # regulation art. 21: on the spot within 20 minutes


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
    face_failures_per_day: int = 3  # per card (regulation: identity checks are limited)

    def settings(self) -> Any:
        """The photo pipeline's settings (kiosk.photo.settings.PhotoSettings)."""
        from kiosk.photo.settings import PhotoSettings

        return PhotoSettings(jpeg_min_bytes=self.jpeg_min_kb * 1024, jpeg_max_bytes=self.jpeg_max_kb * 1024,
                             steady_frames=self.steady_frames, whiten_background=self.whiten_background,
                             match_threshold=self.match_distance)


@dataclass(frozen=True)
class UiSection:
    width: int = 1920
    height: int = 1080
    fullscreen: bool = False
    show_cursor: bool = False
    # Input providers are explicit so an ID or barcode reader (HID) is never taken for a touch
    # screen: e.g. "mtdev:/dev/input/event5" or "hidinput:/dev/input/event5"; "" = mouse only.
    touch_provider: str = ""


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
    ui: UiSection = field(default_factory=UiSection)
    voice: VoiceSection = field(default_factory=VoiceSection)
    source: str = ""  # the file it came from ("" = defaults)

    def run_path(self, name: str) -> Path:
        base = Path(self.kiosk.run_dir) if self.kiosk.run_dir else Path(self.kiosk.data_dir) / "run"
        return base / name

    def data_path(self, name: str) -> Path:
        p = Path(name)
        return p if p.is_absolute() else Path(self.kiosk.data_dir) / p


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
        return _build(hint, value, key + ".")  # type: ignore[arg-type]
    if hint is bool:
        if not isinstance(value, bool):
            raise ConfigError(key, f"must be true or false, got {value!r}")
        return value
    if hint is int:
        if isinstance(value, bool) or not isinstance(value, int):
            raise ConfigError(key, f"must be an integer, got {value!r}")
        return value
    if hint is float:
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise ConfigError(key, f"must be a number, got {value!r}")
        if value < 0:
            raise ConfigError(key, "must not be negative")
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
    for dev, drivers in _DEVICE_DRIVERS.items():
        drv = getattr(cfg.devices, dev).driver
        if drv not in drivers:
            raise ConfigError(f"devices.{dev}.driver", f"must be one of {', '.join(drivers)}, got {drv!r}")
    if not cfg.kiosk.id.strip():
        raise ConfigError("kiosk.id", "must not be empty")
    if cfg.offline.link_down_after_failures < 1:
        raise ConfigError("offline.link_down_after_failures", "must be at least 1")
    if not 0.0 < cfg.photo.match_distance <= 0.5:
        raise ConfigError("photo.match_distance", "must be above 0 and at most 0.5 (the central's limit)")
    if not 0 < cfg.photo.jpeg_min_kb < cfg.photo.jpeg_max_kb:
        raise ConfigError("photo.jpeg_max_kb", "must be larger than photo.jpeg_min_kb (and both positive)")
    if cfg.photo.face_failures_per_day < 1:
        raise ConfigError("photo.face_failures_per_day", "must be at least 1")
    if not 0.0 <= cfg.voice.volume <= 1.0:
        raise ConfigError("voice.volume", f"must be between 0.0 and 1.0, got {cfg.voice.volume!r}")
    if cfg.voice.elderly_timeout_factor < 1.0:
        raise ConfigError("voice.elderly_timeout_factor", "must be at least 1.0")
    if cfg.timeouts.idle_warning_s >= cfg.timeouts.idle_s:
        raise ConfigError("timeouts.idle_warning_s", "must be shorter than timeouts.idle_s")


def load_config(path: str | Path | None) -> Config:
    """Load and validate; ``None`` gives the documented defaults."""
    if path is None:
        cfg = Config()
    else:
        p = Path(path)
        try:
            raw = p.read_bytes()
        except OSError as exc:
            raise ConfigError("(file)", f"cannot read {p}: {exc.strerror}") from None
        try:
            table = tomllib.loads(raw.decode("utf-8"))
        except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
            raise ConfigError("(file)", f"{p} is not valid TOML: {exc}") from None
        cfg = dataclasses.replace(_build(Config, table), source=str(p))
    _check(cfg)
    return cfg
