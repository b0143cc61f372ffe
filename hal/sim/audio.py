"""Simulated speaker: records what was played (for the prompt-sequence tests) and "plays" in wall time.

``log`` holds one entry per call: ``("play", stem, stem, …)`` and ``("stop",)``; a clip's stem is
its file name without the directory and the ``.ogg`` suffix. Like the real driver, ``play`` and
``stop`` never raise: a fault (steered with ``unplug`` / ``fail`` / ``no_device``) shows in
``status()`` and the clips are not recorded as played.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from pathlib import Path

from hal.sim.base import SimDevice
from hal.status import DeviceError, DeviceState

DEFAULT_CLIP_SECONDS = 1.0


def clip_stem(path: Path) -> str:
    name = Path(path).name
    return name[:-4] if name.endswith(".ogg") else name


def file_seconds(path: Path) -> float:
    """A clip's real duration (soundfile), or the default when it cannot be read."""
    try:
        import soundfile

        return float(soundfile.info(str(path)).duration)
    except Exception:  # a missing or unreadable clip still "plays" for the default time
        return DEFAULT_CLIP_SECONDS


class SimAudio(SimDevice):
    """``clip_seconds``: how long each clip "plays"; ``None`` reads each file's real duration."""

    def __init__(self, name: str = "audio", clip_seconds: float | None = DEFAULT_CLIP_SECONDS,
                 *, clock: Callable[[], float] = time.monotonic) -> None:
        super().__init__(name)
        self.clip_seconds = clip_seconds
        self.log: list[tuple[str, ...]] = []
        self._clock = clock
        self._volume = 1.0
        self._until = 0.0  # clock time the current sequence ends

    # -- AudioOutput --------------------------------------------------------------------------
    def play(self, clips: Sequence[Path]) -> None:
        clips = list(clips)
        with self._lock:
            self._until = 0.0
            try:
                self._operation("play")
                if self._state is DeviceState.NO_DEVICE:
                    raise DeviceError("no_device", f"{self.name}: no audio device")
            except DeviceError as exc:  # like the real speaker: the fault is a status, not an exception
                self._last_error = exc.code
                return
            self.log.append(("play", *(clip_stem(c) for c in clips)))
            self._counters["clips_played"] = self._counters.get("clips_played", 0) + len(clips)
            seconds = sum(self._seconds(c) for c in clips)
            self._until = self._clock() + seconds if clips else 0.0

    def stop(self) -> None:
        with self._lock:
            self.log.append(("stop",))
            self._until = 0.0

    def playing(self) -> bool:
        with self._lock:
            return self._state is DeviceState.ONLINE and self._clock() < self._until  # unplugged: silent

    def set_volume(self, volume: float) -> None:
        with self._lock:
            self._volume = min(1.0, max(0.0, float(volume)))

    def volume(self) -> float:
        with self._lock:
            return self._volume

    # -- for tests ----------------------------------------------------------------------------
    def played(self) -> list[str]:
        """Every clip stem played, in order (all sequences flattened)."""
        with self._lock:
            return [stem for entry in self.log if entry[0] == "play" for stem in entry[1:]]

    def _seconds(self, clip: Path) -> float:
        return file_seconds(clip) if self.clip_seconds is None else self.clip_seconds

    def _steer(self, action: str, params: dict[str, object]) -> str:
        if action == "no_device":
            with self._lock:
                self._state = DeviceState.NO_DEVICE
                self._until = 0.0
            return "no audio device"
        if action == "reset_log":
            with self._lock:
                self.log.clear()
            return "log cleared"
        return super()._steer(action, params)
