"""systemd readiness and watchdog notifications (the sd_notify datagram protocol).

The service manager passes ``$NOTIFY_SOCKET`` (a path, or ``@name`` for the abstract
namespace) and, when ``WatchdogSec=`` is set, ``$WATCHDOG_USEC``. Outside systemd both are
unset and every call here is a no-op returning False, so the same code runs on a dev machine.

``UiWatchdog`` is ticked from the Kivy main loop: it pings from that loop, so when the UI
freezes the pings stop and systemd kills and restarts the service.
"""

from __future__ import annotations

import logging
import os
import socket
import time
from collections.abc import Callable, Mapping

log = logging.getLogger(__name__)

_SEND_TIMEOUT_S = 1.0


def _address(env: Mapping[str, str]) -> str | None:
    raw = env.get("NOTIFY_SOCKET", "")
    if raw.startswith("@"):
        return "\0" + raw[1:]  # abstract namespace
    if raw.startswith("/"):
        return raw
    return None  # unset, or a form (e.g. vsock:) this client does not speak


def notify(message: str, env: Mapping[str, str] | None = None) -> bool:
    """Send one notification (``KEY=VALUE`` lines); True if it was delivered to a socket."""
    addr = _address(os.environ if env is None else env)
    if addr is None:
        return False
    try:
        with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM | socket.SOCK_CLOEXEC) as sock:
            sock.settimeout(_SEND_TIMEOUT_S)
            sock.sendto(message.encode("utf-8"), addr)
    except OSError as exc:
        # Never fatal: a lost ping only matters if they all get lost, and then systemd acts.
        log.warning("sd_notify failed: %s", exc.strerror or type(exc).__name__)
        return False
    return True


def ready(status_text: str | None = None) -> bool:
    msg = "READY=1"
    if status_text:
        msg += "\nSTATUS=" + _one_line(status_text)
    return notify(msg)


def watchdog_ping() -> bool:
    return notify("WATCHDOG=1")


def stopping() -> bool:
    return notify("STOPPING=1")


def status(text: str) -> bool:
    return notify("STATUS=" + _one_line(text))


def _one_line(text: str) -> str:
    return " ".join(text.splitlines())


def watchdog_interval_s(env: Mapping[str, str] | None = None) -> float | None:
    """WatchdogSec= in seconds if the watchdog applies to this process, else None.

    ``WATCHDOG_PID`` names the unit's main process. It is us (kiosk.service), or our parent
    when the kiosk runs as the child of the cage compositor (kiosk-cage.service,
    NotifyAccess=all); for anything else the watchdog belongs to someone else.
    """
    e = os.environ if env is None else env
    try:
        usec = int(e.get("WATCHDOG_USEC", ""))
    except ValueError:
        return None
    if usec <= 0:
        return None
    pid = e.get("WATCHDOG_PID", "")
    if pid and pid not in (str(os.getpid()), str(os.getppid())):
        return None
    return usec / 1_000_000


class UiWatchdog:
    """Pings the systemd watchdog from the UI main loop, at most every WatchdogSec/4.

    ``tick()`` is scheduled on the Kivy Clock (every frame or e.g. every 0.5 s). Because the
    ping is sent from the loop itself, a ping always means the loop ticked moments ago; a
    frozen loop sends none and is restarted after WatchdogSec. ``stale()`` tells whether the
    loop has missed more than half the interval (for a status screen or a self-check).
    """

    def __init__(
        self,
        interval_s: float | None = None,
        clock: Callable[[], float] = time.monotonic,
        ping: Callable[[], bool] = watchdog_ping,
    ) -> None:
        self.interval_s = watchdog_interval_s() if interval_s is None else interval_s
        self._clock = clock
        self._ping = ping
        self._last_tick: float | None = None
        self._last_ping: float | None = None
        self.pings = 0

    @property
    def enabled(self) -> bool:
        return self.interval_s is not None and self.interval_s > 0

    def tick(self, *_frame_dt: object) -> None:
        """Record that the main loop is alive; ping if the last ping is a quarter-interval old.

        Accepts (and ignores) the ``dt`` argument Kivy's Clock passes.
        """
        now = self._clock()
        self._last_tick = now
        if not self.enabled:
            return
        assert self.interval_s is not None
        if self._last_ping is None or now - self._last_ping >= self.interval_s / 4:
            if self._ping():
                self.pings += 1
            self._last_ping = now  # also after a failed send: retry next quarter, not every frame

    def stale(self) -> bool:
        """True if the loop has not ticked within half the watchdog interval."""
        if not self.enabled or self._last_tick is None:
            return False
        assert self.interval_s is not None
        return self._clock() - self._last_tick > self.interval_s / 2
