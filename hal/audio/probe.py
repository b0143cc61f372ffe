"""Technician probe of the sound card: open it, play the test chime (or a given clip) and report.

Wired as ``kiosk hal probe audio [--clip FILE] [--volume V] [--json]``. Errors are one line on
stderr (Chinese + English) and a non-zero exit code, never a traceback.
"""

from __future__ import annotations

import json
import sys
import tempfile
import time
from pathlib import Path

from hal.audio.chime import CHIME_S, ensure_chime
from hal.audio.sdl_audio import SdlAudio
from hal.status import DeviceError

EXIT_OK = 0
EXIT_ERROR = 1
EXIT_UNAVAILABLE = 3
DRIVERS = ("sdl",)


def probe(driver: str, clip: str | None, volume: float, as_json: bool, timeout_s: float = 30.0) -> int:
    if driver not in DRIVERS:
        print(f"错误：未知驱动 {driver!r} / error: unknown driver {driver!r} (use: sdl)", file=sys.stderr)
        return EXIT_ERROR
    if not 0.0 <= volume <= 1.0:
        print("错误：音量须在 0 到 1 之间 / error: volume must be between 0 and 1", file=sys.stderr)
        return EXIT_ERROR
    with tempfile.TemporaryDirectory(prefix="audio-probe-") as tmp:
        path = Path(clip) if clip else ensure_chime(Path(tmp) / "chime.wav")
        if not path.is_file():
            print(f"错误：找不到音频文件 / error: no such clip: {path.name}", file=sys.stderr)
            return EXIT_ERROR
        dev = SdlAudio(name="audio")
        try:
            dev.set_volume(volume)
            try:
                dev.open()
            except DeviceError as exc:
                print(f"错误：没有可用的声卡 / error: no usable sound card ({exc.code})", file=sys.stderr)
                return EXIT_UNAVAILABLE
            started = time.monotonic()
            dev.play([path])
            deadline = started + (CHIME_S if clip is None else timeout_s) + 5.0
            while dev.playing() and time.monotonic() < deadline:
                time.sleep(0.02)
            seconds = time.monotonic() - started
            st = dev.status()
            spec = dev.spec
        finally:
            dev.close()
    played = st.counters.get("clips_played", 0) > 0 and st.last_error is None
    result = {"driver": driver, "state": st.state.value, "played": played, "seconds": round(seconds, 2),
              "volume": volume, "last_error": st.last_error,
              "frequency": spec[0] if spec else None, "channels": spec[2] if spec else None}
    if as_json:
        print(json.dumps(result, ensure_ascii=False))
    else:
        print(f"audio {st.state.value} played={played} {seconds:.2f}s "
              f"{spec[0] if spec else '-'} Hz x{spec[2] if spec else '-'} volume={volume:.2f}")
    return EXIT_OK if played else EXIT_ERROR
