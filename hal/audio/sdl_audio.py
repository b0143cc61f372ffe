"""Speaker driver (``[devices.audio] driver = "sdl"``): plays OGG/WAV clips through SDL2_mixer.

Every SDL call runs on the driver's own thread; ``play``/``stop``/``set_volume`` only post a
command and return at once, because the Kivy main thread calls them. A sequence plays back to
back on one mixer channel (the next clip is decoded while the current one plays). Faults are a
status, never an exception on the caller's thread; ``open()`` raises a typed DeviceError and
reconnects after a fault, and a ``play`` on a failed device retries the open at most every
``retry_s`` (a USB speaker plugged in later is picked up without a restart). A sound card that
stops taking samples (unplugged mid-prompt) leaves SDL_mixer "playing" forever: a clip that runs
``stall_grace_s`` past its length marks the device HARDWARE_ERROR and closes it.
"""

from __future__ import annotations

import ctypes
import logging
import os
import queue
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from hal.audio import sdl_lib
from hal.status import Action, DeviceError, DeviceState, DeviceStatus, DeviceUnavailable

log = logging.getLogger("hal.audio.sdl")
CHANNEL = 0  # one voice at a time: a new prompt replaces the old one
POLL_S = 0.005  # how often the thread checks for the end of a clip while playing


@dataclass
class _Sequence:
    gen: int
    paths: list[Path]
    chunks: list[int | None] = field(default_factory=list)  # decoded clips (Mix_Chunk*), by index
    index: int = -1  # the clip now playing
    ends_by: float = 0.0  # monotonic time the clip must have ended by (else the card stalled)


class _Reply:
    def __init__(self) -> None:
        self.done = threading.Event()
        self.error: DeviceError | None = None


class SdlAudio:
    def __init__(self, name: str = "audio", *, frequency: int = 48000, channels: int = 2,
                 buffer_samples: int = 1024, open_timeout_s: float = 5.0, retry_s: float = 10.0,
                 stall_grace_s: float = 2.0) -> None:
        self.name = name
        self.frequency = frequency
        self.channels = channels
        self.buffer_samples = buffer_samples
        self.open_timeout_s = open_timeout_s
        self.retry_s = retry_s
        self.stall_grace_s = stall_grace_s
        self._lock = threading.Lock()
        self._commands: queue.Queue[tuple[object, ...]] = queue.Queue()
        self._thread: threading.Thread | None = None
        self._state = DeviceState.OFFLINE
        self._last_error: str | None = None
        self._counters: dict[str, int] = {}
        self._volume = 1.0
        self._gen = 0
        self._active: int | None = None  # generation of the sequence playing (None = silent)
        self._spec: tuple[int, int, int] | None = None
        # thread-only state
        self._lib: sdl_lib.SdlMixer | None = None
        self._opened = False
        self._current: _Sequence | None = None
        self._last_attempt = -1e9

    # ---- Device ---------------------------------------------------------------------------------
    def status(self) -> DeviceStatus:
        with self._lock:
            action = {DeviceState.NO_DEVICE: Action.MAINTENANCE, DeviceState.HARDWARE_ERROR: Action.RESET}.get(
                self._state, Action.NONE)
            return DeviceStatus(self._state, counters=dict(self._counters), last_error=self._last_error,
                                action=action)

    def open(self) -> None:
        """Open (or reopen) the sound card; waits at most ``open_timeout_s``."""
        reply = _Reply()
        self._post("open", reply)
        if not reply.done.wait(self.open_timeout_s):
            self._set_state(DeviceState.HARDWARE_ERROR, "open_timeout")
            raise DeviceError("open_timeout", f"{self.name}: the sound card did not open", Action.RESET)
        if reply.error is not None:
            raise reply.error

    def close(self) -> None:
        thread = self._thread
        if thread is None:
            return
        self._commands.put(("quit",))
        thread.join(self.open_timeout_s)
        self._thread = None
        with self._lock:
            self._active = None
            if self._state is DeviceState.ONLINE:
                self._state = DeviceState.OFFLINE

    # ---- AudioOutput ----------------------------------------------------------------------------
    def play(self, clips: Sequence[Path]) -> None:
        paths = [Path(c) for c in clips]
        with self._lock:
            self._gen += 1
            gen = self._gen
            self._active = gen if paths else None
        self._post("play", gen, paths)

    def stop(self) -> None:
        with self._lock:
            self._gen += 1
            self._active = None
        self._post("stop")

    def playing(self) -> bool:
        with self._lock:
            return self._active is not None

    def set_volume(self, volume: float) -> None:
        with self._lock:
            self._volume = min(1.0, max(0.0, float(volume)))
        self._post("volume")

    def volume(self) -> float:
        with self._lock:
            return self._volume

    @property
    def spec(self) -> tuple[int, int, int] | None:
        """(frequency, SDL format, channels) the sound card was opened with, None when closed."""
        with self._lock:
            return self._spec

    # ---- caller side ----------------------------------------------------------------------------
    def _post(self, *command: object) -> None:
        with self._lock:
            if self._thread is None or not self._thread.is_alive():
                self._thread = threading.Thread(target=self._run, name=f"audio-{self.name}", daemon=True)
                self._thread.start()
        self._commands.put(command)

    def _set_state(self, state: DeviceState, error: str | None) -> None:
        with self._lock:
            self._state = state
            self._last_error = error

    def _finished(self, gen: int) -> None:
        with self._lock:
            if self._active == gen:
                self._active = None

    # ---- the driver's thread --------------------------------------------------------------------
    def _run(self) -> None:
        try:
            while True:
                try:
                    command = self._commands.get(timeout=POLL_S if self._current else None)
                except queue.Empty:
                    command = None
                if command is not None:
                    if command[0] == "quit":
                        break
                    self._handle(command)
                if self._current is not None:
                    self._advance()
        except Exception:  # a driver bug must not leave the kiosk thinking it speaks
            log.exception("audio thread failed")
            self._set_state(DeviceState.HARDWARE_ERROR, "driver_error")
        finally:
            self._halt()
            self._shutdown()
            with self._lock:
                self._active = None

    def _handle(self, command: tuple[object, ...]) -> None:
        kind = command[0]
        if kind == "open":
            reply = command[1]
            assert isinstance(reply, _Reply)
            self._halt()
            self._shutdown()  # reconnect from scratch: the device may have changed
            reply.error = self._startup()
            reply.done.set()
        elif kind == "play":
            gen, paths = command[1], command[2]
            assert isinstance(gen, int) and isinstance(paths, list)
            self._halt()
            with self._lock:
                stale = gen != self._gen  # a newer play or a stop is already queued: skip this one
            if stale:
                return
            if not self._opened and time.monotonic() - self._last_attempt >= self.retry_s:
                self._startup()
            if not self._opened:
                self._finished(gen)
                return
            self._apply_volume()
            with self._lock:
                if self._last_error == "clip_unreadable":
                    self._last_error = None  # that was the previous sequence's clip
            self._current = _Sequence(gen, paths)
            self._advance()
        elif kind == "stop":
            self._halt()
        elif kind == "volume":
            self._apply_volume()

    def _startup(self) -> DeviceError | None:
        lib = self._library()
        if lib is None:
            return DeviceUnavailable(f"{self.name}: SDL2_mixer is not installed")
        self._last_attempt = time.monotonic()
        if lib.sdl.SDL_InitSubSystem(sdl_lib.SDL_INIT_AUDIO) != 0:
            return self._no_device(lib.error())
        lib.mix.Mix_Init(sdl_lib.MIX_INIT_OGG)
        if lib.mix.Mix_OpenAudio(self.frequency, sdl_lib.AUDIO_S16SYS, self.channels, self.buffer_samples) != 0:
            error = lib.error()
            lib.sdl.SDL_QuitSubSystem(sdl_lib.SDL_INIT_AUDIO)
            return self._no_device(error)
        freq, fmt, chans = ctypes.c_int(), ctypes.c_uint16(), ctypes.c_int()
        lib.mix.Mix_QuerySpec(ctypes.byref(freq), ctypes.byref(fmt), ctypes.byref(chans))
        self._opened = True
        with self._lock:
            self._spec = (freq.value, fmt.value, chans.value)
        self._set_state(DeviceState.ONLINE, None)
        self._apply_volume()
        log.info("sound card open", extra={"device": self.name, "frequency": freq.value})
        return None

    def _no_device(self, sdl_error: str) -> DeviceError:
        self._set_state(DeviceState.NO_DEVICE, "no_audio_device")
        log.warning("no sound card", extra={"device": self.name, "error": sdl_error})
        return DeviceUnavailable(f"{self.name}: no audio device ({sdl_error})")

    def _shutdown(self) -> None:
        if not self._opened or self._lib is None:
            return
        self._lib.mix.Mix_CloseAudio()
        self._lib.sdl.SDL_QuitSubSystem(sdl_lib.SDL_INIT_AUDIO)
        self._opened = False
        with self._lock:
            self._spec = None

    def _library(self) -> sdl_lib.SdlMixer | None:
        if self._lib is None:
            try:
                self._lib = sdl_lib.load()
            except sdl_lib.LibraryMissing as exc:
                self._set_state(DeviceState.NO_DEVICE, "no_sdl_mixer")
                log.warning("SDL2_mixer missing", extra={"device": self.name, "error": str(exc)[:200]})
                return None
        return self._lib

    def _apply_volume(self) -> None:
        if self._opened and self._lib is not None:
            level = round(self.volume() * sdl_lib.MIX_MAX_VOLUME)
            self._lib.mix.Mix_Volume(CHANNEL, level)

    def _load(self, path: Path) -> int | None:
        assert self._lib is not None
        rw = self._lib.sdl.SDL_RWFromFile(os.fsencode(path), b"rb")
        chunk: int | None = self._lib.mix.Mix_LoadWAV_RW(rw, 1) if rw else None  # 1: frees rw
        if not chunk:
            with self._lock:
                self._last_error = "clip_unreadable"  # an asset problem, not the speaker's
            log.warning("clip unreadable", extra={"device": self.name, "clip": path.name,
                                                  "error": self._lib.error()})
            return None
        return chunk

    def _advance(self) -> None:
        """Start the next clip when the current one has ended; decode the rest meanwhile."""
        seq = self._current
        assert seq is not None and self._lib is not None
        if seq.index >= 0 and self._lib.mix.Mix_Playing(CHANNEL):
            if time.monotonic() > seq.ends_by:
                self._stalled()
            elif len(seq.chunks) < len(seq.paths):  # decode one ahead while this one plays
                seq.chunks.append(self._load(seq.paths[len(seq.chunks)]))
            return
        while True:
            seq.index += 1
            if seq.index >= len(seq.paths):
                self._halt()
                return
            if len(seq.chunks) <= seq.index:
                seq.chunks.append(self._load(seq.paths[seq.index]))
            chunk = seq.chunks[seq.index]
            if chunk is None:
                continue  # skip an unreadable clip, say the rest
            if self._lib.mix.Mix_PlayChannelTimed(CHANNEL, chunk, 0, -1) < 0:
                self._set_state(DeviceState.HARDWARE_ERROR, "playback_failed")
                log.warning("playback failed", extra={"device": self.name, "error": self._lib.error()})
                self._halt()
                return
            seq.ends_by = time.monotonic() + self._seconds(chunk) + self.stall_grace_s
            with self._lock:
                self._counters["clips_played"] = self._counters.get("clips_played", 0) + 1
                if self._state is DeviceState.HARDWARE_ERROR:
                    self._state, self._last_error = DeviceState.ONLINE, None
            return

    def _seconds(self, chunk: int) -> float:
        """A decoded clip's length: its byte count at the card's rate (16-bit samples)."""
        freq, _fmt, channels = self.spec or (self.frequency, 0, self.channels)
        alen = ctypes.cast(chunk, ctypes.POINTER(sdl_lib.MixChunk)).contents.alen
        return float(alen) / (2 * channels * max(freq, 1))

    def _stalled(self) -> None:
        self._set_state(DeviceState.HARDWARE_ERROR, "playback_stalled")
        log.warning("sound card stopped taking samples", extra={"device": self.name})
        self._halt()
        self._shutdown()  # the next play (or open) reconnects

    def _halt(self) -> None:
        """Cut the sound at once and free the decoded clips."""
        seq, self._current = self._current, None
        if self._lib is not None and self._opened:
            self._lib.mix.Mix_HaltChannel(CHANNEL)
        if seq is not None:
            if self._lib is not None:
                for chunk in seq.chunks:
                    if chunk:
                        self._lib.mix.Mix_FreeChunk(chunk)
            self._finished(seq.gen)
