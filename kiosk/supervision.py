"""Device supervision: poll every device's status, alarm when one stops being usable, note recoveries."""

from __future__ import annotations

import logging
import threading

from hal.status import DeviceStatus
from kiosk.alarms import EventLog
from kiosk.devices import DeviceSet

log = logging.getLogger("kiosk.supervision")


class DeviceSupervisor:
    def __init__(self, devices: DeviceSet, events: EventLog) -> None:
        self.devices = devices
        self.events = events
        self._lock = threading.Lock()
        self._statuses: dict[str, DeviceStatus] = {}

    def statuses(self) -> dict[str, DeviceStatus]:
        """The last polled statuses (empty before the first poll)."""
        with self._lock:
            return dict(self._statuses)

    def poll(self) -> bool:
        """Read every device's status; True when any state, error or supply level changed."""
        new = self.devices.statuses()
        changed = False
        with self._lock:
            old_all, self._statuses = self._statuses, new
        for name, st in new.items():
            old = old_all.get(name)
            if old is not None and (old.state, old.last_error, dict(old.supplies)) == (
                    st.state, st.last_error, dict(st.supplies)):
                continue
            changed = True
            log.info("device status", extra={"device": name, "state": st.state.value})
            if old is not None and old.usable and not st.usable:
                self.events.alarm(st.last_error or st.state.value, "device not usable", device=name)
            elif old is not None and not old.usable and st.usable:
                self.events.recovered(name)
        return changed
