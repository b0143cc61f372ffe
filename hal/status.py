"""One status model for every device, after CEN XFS4IoT's common status."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum


class DeviceState(StrEnum):
    ONLINE = "online"
    OFFLINE = "offline"
    POWER_OFF = "power_off"  # unplugged
    NO_DEVICE = "no_device"  # not configured
    HARDWARE_ERROR = "hardware_error"
    USER_ERROR = "user_error"  # someone is blocking it, e.g. a card left in the slot
    BUSY = "busy"


class Media(StrEnum):
    PRESENT = "present"
    NOT_PRESENT = "not_present"
    JAMMED = "jammed"
    ENTERING = "entering"
    RETAINED = "retained"
    UNKNOWN = "unknown"
    NOT_SUPPORTED = "not_supported"


class Supply(StrEnum):
    OK = "ok"
    LOW = "low"
    OUT = "out"
    UNKNOWN = "unknown"


class Action(StrEnum):
    """What recovers a device from its error."""

    NONE = "none"
    RESET = "reset"  # the software can reset it
    CLEAR = "clear"  # staff can fix it: refill, remove a card
    MAINTENANCE = "maintenance"  # a technician is needed
    SUSPEND = "suspend"  # the device retries by itself


@dataclass(frozen=True)
class DeviceStatus:
    state: DeviceState
    media: Media = Media.NOT_SUPPORTED
    supplies: Mapping[str, Supply] = field(default_factory=dict)
    counters: Mapping[str, int] = field(default_factory=dict)
    last_error: str | None = None
    action: Action = Action.NONE

    @property
    def usable(self) -> bool:
        return self.state in (DeviceState.ONLINE, DeviceState.BUSY)

    def to_json(self) -> dict[str, object]:
        return {
            "state": self.state.value,
            "media": self.media.value,
            "supplies": {k: v.value for k, v in self.supplies.items()},
            "counters": dict(self.counters),
            "last_error": self.last_error,
            "action": self.action.value,
        }


NO_DEVICE = DeviceStatus(state=DeviceState.NO_DEVICE)


class DeviceError(Exception):
    """A hardware or protocol fault: not a normal outcome such as 'no card'.

    ``code`` is a stable snake_case identifier (for logs, events and string tables);
    ``action`` says what recovers the device.
    """

    def __init__(self, code: str, message: str = "", action: Action = Action.RESET) -> None:
        super().__init__(f"{code}: {message}" if message else code)
        self.code = code
        self.message = message
        self.action = action


class DeviceTimeout(DeviceError):
    def __init__(self, message: str = "timed out") -> None:
        super().__init__("timeout", message, Action.SUSPEND)


class DeviceUnavailable(DeviceError):
    """Unplugged, not found, or the OS stack below it (pcscd) is down."""

    def __init__(self, message: str = "device unavailable") -> None:
        super().__init__("unavailable", message, Action.MAINTENANCE)
