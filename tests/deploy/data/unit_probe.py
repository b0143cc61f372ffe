"""Stand-in for a kiosk service's main loop, run by systemd inside the booted test root.

argv: NAME FREEZE_AFTER_S, or NAME check. Appends what it observes about its sandbox and
its watchdog to /var/lib/sscard-kiosk/probe-NAME.log; then, given FREEZE_AFTER_S, pings
through kiosk.watchdog.UiWatchdog while "responsive" and freezes (stops ticking). With
"check" it exits there (run as ExecStartPre= in front of a real service).
"""

import os
import sys
import time
from pathlib import Path

from kiosk import watchdog

name, mode = sys.argv[1], sys.argv[2]
log = Path(f"/var/lib/sscard-kiosk/probe-{name}.log")


def note(msg: str) -> None:
    with log.open("a") as f:
        f.write(msg + "\n")


status = dict(line.split(":\t", 1) for line in Path("/proc/self/status").read_text().splitlines() if ":\t" in line)
note(f"start uid={os.getuid()} wd={watchdog.watchdog_interval_s()} "
     f"capeff={status['CapEff'].strip()} nnp={status['NoNewPrivs'].strip()}")
for path in ("/opt/sscard-kiosk/probe", "/etc/probe", "/var/lib/sscard-kiosk/probe", "/run/sscard-kiosk/probe",
             "/tmp/probe"):
    try:
        Path(path).write_text("x")
        note(f"write {path} ok")
    except OSError as exc:
        note(f"write {path} errno={exc.errno}")
try:  # pcscd's socket, reachable although /run is read-only in the sandbox
    from smartcard.System import readers

    note(f"pcsc readers={len(readers())}")
except Exception as exc:
    note(f"pcsc error={type(exc).__name__}: {exc}")
if name == "ui":
    # The native libraries start up under SystemCallFilter=@system-service (EPERM otherwise).
    try:
        import numpy

        watchdog.watchdog_ping()
        import cv2

        watchdog.watchdog_ping()
        import dlib

        watchdog.watchdog_ping()
        import kivy  # noqa: F401

        watchdog.watchdog_ping()
        a = numpy.ones((64, 64))
        small = cv2.resize((a @ a).astype("float32"), (16, 16))
        detector = dlib.get_frontal_face_detector()
        faces = detector(numpy.zeros((64, 64), dtype="uint8"))
        note(f"libs ok {small.shape} faces={len(faces)}")
    except Exception as exc:
        note(f"libs error={type(exc).__name__}: {exc}")
if mode == "check":
    note("checked")
    sys.exit(0)
note(f"ready={watchdog.ready('probe ' + name)}")
wd = watchdog.UiWatchdog()
end = time.monotonic() + float(mode)
while time.monotonic() < end:
    wd.tick()
    time.sleep(0.05)
note(f"freezing after pings={wd.pings}")
time.sleep(3600)
