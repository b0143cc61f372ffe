"""A serial port that survives unplugging: the transport under the SAM and ZT588 drivers.

Every failure of the OS port (path gone, EIO after the USB-serial adapter vanished, a hung-up
pty) closes the port and raises ``DeviceUnavailable``; the next ``open`` simply tries again, so
a replugged device at the same path works without restarting the app. Modem-line ioctls are
optional: a pty (and some adapters) answer them with OSError 25 (ENOTTY), which is ignored.
"""

from __future__ import annotations

import contextlib
import errno
import os
import select
import termios
import threading

import serial

from hal.status import DeviceUnavailable

_MODEM_LINE_ERRNOS = (errno.ENOTTY, errno.EINVAL)
# what a vanished port can raise: pyserial's own, OS errors, termios calls (tcflush) and
# ValueError from a closed fd
_PORT_ERRORS = (serial.SerialException, OSError, termios.error, ValueError)


class SerialLink:
    def __init__(self, port: str, baud: int, what: str) -> None:
        self.port = port
        self.baud = baud
        self.what = what  # for messages: "SAM ID reader", "PIN pad"
        self._serial: serial.Serial | None = None
        self._lock = threading.RLock()

    @property
    def is_open(self) -> bool:
        return self._serial is not None

    def path_exists(self) -> bool:
        return os.path.exists(self.port)

    def open(self) -> None:
        with self._lock:
            if self._serial is not None:
                return
            try:
                port = serial.Serial(self.port, self.baud, timeout=0, write_timeout=2.0)
            except _PORT_ERRORS as exc:
                raise DeviceUnavailable(f"{self.what}: cannot open {self.port} ({_reason(exc)})") from exc
            self._serial = port
            self._set_dtr(port)
            port.reset_input_buffer()

    def _set_dtr(self, port: serial.Serial) -> None:
        # Some readers are powered from DTR; a pty has no modem lines at all.
        try:
            port.dtr = True
            port.rts = True
        except OSError as exc:
            if exc.errno not in _MODEM_LINE_ERRNOS:
                self.close()
                raise DeviceUnavailable(f"{self.what}: modem lines failed ({_reason(exc)})") from exc

    def close(self) -> None:
        with self._lock:
            port, self._serial = self._serial, None
            if port is not None:
                # closing a vanished port can fail; it is closed for us anyway
                with contextlib.suppress(*_PORT_ERRORS):
                    port.close()

    def _port(self) -> serial.Serial:
        if self._serial is None:
            self.open()
        assert self._serial is not None
        return self._serial

    def write(self, data: bytes) -> None:
        with self._lock:
            port = self._port()
            try:
                port.write(data)
                port.flush()
            except _PORT_ERRORS as exc:
                self.close()
                raise DeviceUnavailable(f"{self.what}: write failed ({_reason(exc)})") from exc

    def discard_input(self) -> None:
        with self._lock:
            port = self._port()
            try:
                port.reset_input_buffer()
            except _PORT_ERRORS as exc:
                self.close()
                raise DeviceUnavailable(f"{self.what}: port failed ({_reason(exc)})") from exc

    def read_some(self, timeout_s: float) -> bytes:
        """Wait up to ``timeout_s`` for input; return what is there (b"" on timeout).

        The wait happens outside the lock so another thread can write (e.g. cancel) meanwhile.
        """
        with self._lock:
            fd = self._port().fileno()
        try:
            ready, _, _ = select.select([fd], [], [], max(0.0, timeout_s))
        except _PORT_ERRORS as exc:
            self.close()
            raise DeviceUnavailable(f"{self.what}: port failed ({_reason(exc)})") from exc
        if not ready:
            return b""
        with self._lock:
            port = self._port()
            try:
                # pyserial raises if the fd is readable but yields nothing: a hang-up.
                data: bytes = port.read(max(1, port.in_waiting))
                return data
            except _PORT_ERRORS as exc:
                self.close()
                raise DeviceUnavailable(f"{self.what}: read failed ({_reason(exc)})") from exc


def _reason(exc: BaseException) -> str:
    errno_ = getattr(exc, "errno", None)
    if errno_:
        return f"errno {errno_}"
    return type(exc).__name__
