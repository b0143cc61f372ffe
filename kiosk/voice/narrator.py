"""The narrator: turns what a screen shows into pre-rendered clips for the speaker.

Every method returns at once (a dict lookup and the device's non-blocking ``play``), so the
Kivy main thread may call it. The speaker being absent, muted or faulty never raises here:
a kiosk without sound still serves.
"""

from __future__ import annotations

import json
import logging
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

from hal.interfaces import AudioOutput
from kiosk.voice.catalogue import keys_stems, say, view_stems
from kiosk.voice.paths import MANIFEST, PROMPTS_DIR

log = logging.getLogger("kiosk.voice")
HINT_GAP_S = 4.0  # a changed camera instruction is spoken at most this often


class PromptLibrary:
    """Clip stem → file, from the manifest written by ``make prompts``."""

    def __init__(self, directory: Path = PROMPTS_DIR) -> None:
        self.directory = directory
        try:
            data = json.loads((directory / MANIFEST).read_text(encoding="utf-8"))
            stems = list(data.get("clips", {}))
        except (OSError, ValueError):
            log.warning("voice prompts missing: run `make prompts`", extra={"dir": str(directory)})
            stems = []
        self.paths: dict[str, Path] = {s: directory / f"{s}.ogg" for s in stems}
        self._warned: set[str] = set()

    def files(self, stems: Sequence[str]) -> list[Path]:
        out = []
        for stem in stems:
            path = self.paths.get(stem)
            if path is not None:
                out.append(path)
            elif stem not in self._warned:  # a string without a prompt: the staleness test catches it
                self._warned.add(stem)
                log.warning("no voice prompt", extra={"clip": stem})
        return out


class Narrator:
    def __init__(self, audio: AudioOutput | None, *, enabled: bool = True, volume: float = 0.8,
                 library: PromptLibrary | None = None, hint_gap_s: float = HINT_GAP_S,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.audio = audio  # hal AudioOutput or None (no speaker: silent)
        self.enabled = enabled
        self.library = library or PromptLibrary()
        self.hint_gap_s = hint_gap_s
        self._clock = clock
        self._lock = threading.Lock()
        self._last: list[Path] = []  # what repeat() says again
        self._said: tuple[str, ...] = ()  # the last view's stems: a live update saying the same is silent
        self._screen: tuple[Any, ...] | None = None
        self._service: Any = None
        self._started = float("-inf")
        self._volume = volume
        self.set_volume(volume)

    # ---- what the screens call ---------------------------------------------------------------------
    def view(self, view: Any, lang: str) -> None:
        """Speak a flow view: the service's name when it starts, the message, the reasons.

        The same screen shown again with the same words (PIN digit count, steady counter,
        "more time") says nothing; a changed camera instruction waits ``hint_gap_s``."""
        with self._lock:
            screen = (view.service, view.screen, lang)
            said = tuple(view_stems(view, lang))
            if screen == self._screen:
                if said == self._said:
                    return
                if "hint" in view.params and self._clock() - self._started < self.hint_gap_s:
                    return
            title = say(lang, view.title) if view.service != self._service and view.end is None else []
            self._screen, self._said, self._service = screen, said, view.service
            self._speak([*title, *said])

    def screen(self, keys: Sequence[str], lang: str, params: Mapping[str, Any] | None = None) -> None:
        """Speak these string keys (attract, out of service); ``params`` as the screen formats them."""
        with self._lock:
            self._screen, self._said, self._service = None, (), None
            self._speak(keys_stems(keys, lang, params))

    def repeat(self) -> None:
        with self._lock:
            if self._last:
                self._play(self._last)

    def stop(self) -> None:
        with self._lock:
            self._screen, self._said, self._service = None, (), None
            self._stop_audio()

    def countdown(self, seconds: int, lang: str) -> None:
        """The idle countdown, spoken (elderly mode); repeat() still says the screen's prompt."""
        self.notice(("voice.countdown",), lang, {"seconds": seconds})

    def notice(self, keys: Sequence[str], lang: str, params: Mapping[str, Any] | None = None) -> None:
        """Something said over the screen ("need more time?"): repeat() and the screen's
        live updates stay as they were."""
        with self._lock:
            files = self.library.files(keys_stems(keys, lang, params))
            if files:
                self._play(files)

    def set_volume(self, volume: float) -> None:
        self._volume = min(1.0, max(0.0, float(volume)))
        if self.audio is not None:
            try:
                self.audio.set_volume(self._volume)
            except Exception:
                log.warning("audio volume failed", exc_info=True)

    def volume(self) -> float:
        if self.audio is not None:
            try:
                return float(self.audio.volume())
            except Exception:
                log.warning("audio volume failed", exc_info=True)
        return self._volume

    # ---- internals ---------------------------------------------------------------------------------
    def _speak(self, stems: Sequence[str]) -> None:
        """New speech: what was playing stops first, even when the new screen says nothing."""
        files = self.library.files(stems)
        self._last = files
        self._stop_audio()
        if files:
            self._started = self._clock()
            self._play(files)

    def _stop_audio(self) -> None:
        if self.audio is not None:
            try:
                self.audio.stop()
            except Exception:  # a speaker fault is its status, never the screen's problem
                log.warning("audio stop failed", exc_info=True)

    def _play(self, files: list[Path]) -> None:
        if not self.enabled or self.audio is None:
            return
        try:
            self.audio.play(files)  # stops what plays, then plays these; returns at once
        except Exception:
            log.warning("audio play failed", exc_info=True)
