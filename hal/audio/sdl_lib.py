"""The SDL2 / SDL2_mixer C functions the speaker driver calls, loaded with ctypes.

Kivy's wheel bundles both libraries (Kivy.libs/); using the very same files means a kiosk whose
window already runs on Kivy's SDL shares one SDL instance with the speaker. Falls back to the
system's libraries when Kivy's are not there.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import importlib.util
from dataclasses import dataclass
from pathlib import Path

SDL_INIT_AUDIO = 0x00000010
AUDIO_S16SYS = 0x8010  # signed 16-bit little-endian (every target is little-endian)
MIX_INIT_OGG = 0x00000010
MIX_MAX_VOLUME = 128


class LibraryMissing(OSError):
    pass


class MixChunk(ctypes.Structure):
    """SDL_mixer's Mix_Chunk: the decoded clip in the card's format."""

    _fields_ = [("allocated", ctypes.c_int), ("abuf", ctypes.c_void_p), ("alen", ctypes.c_uint32),
                ("volume", ctypes.c_uint8)]


def _kivy_libs() -> Path | None:
    try:
        spec = importlib.util.find_spec("kivy")  # locate only: importing Kivy would start its logger/config
    except (ImportError, ValueError):
        return None
    if spec is None or not spec.submodule_search_locations:
        return None
    libs = Path(next(iter(spec.submodule_search_locations))).parent / "Kivy.libs"
    return libs if libs.is_dir() else None


def _find(stem: str, system_name: str) -> str:
    libs = _kivy_libs()
    if libs is not None:
        found = sorted(libs.glob(f"{stem}-*.so*"))
        if found:
            return str(found[0])
    name = ctypes.util.find_library(system_name)
    if name is None:
        raise LibraryMissing(f"{system_name} library not found")
    return name


@dataclass(frozen=True)
class SdlMixer:
    """The loaded libraries with their signatures declared."""

    sdl: ctypes.CDLL
    mix: ctypes.CDLL

    def error(self) -> str:
        raw: bytes | None = self.sdl.SDL_GetError()
        return (raw or b"").decode("utf-8", "replace")[:200]


_loaded: SdlMixer | None = None


def load() -> SdlMixer:
    """Load once per process (raises LibraryMissing when SDL2_mixer is not installed)."""
    global _loaded
    if _loaded is not None:
        return _loaded
    try:
        sdl = ctypes.CDLL(_find("libSDL2-2", "SDL2-2.0"), mode=ctypes.RTLD_GLOBAL)
        mix = ctypes.CDLL(_find("libSDL2_mixer-2", "SDL2_mixer-2.0"))
    except OSError as exc:
        raise LibraryMissing(str(exc)) from None
    vp, i, u32, u16, ip = ctypes.c_void_p, ctypes.c_int, ctypes.c_uint32, ctypes.c_uint16, ctypes.POINTER(ctypes.c_int)
    sigs: dict[tuple[ctypes.CDLL, str], tuple[list[type], type | None]] = {
        (sdl, "SDL_InitSubSystem"): ([u32], i),
        (sdl, "SDL_QuitSubSystem"): ([u32], None),
        (sdl, "SDL_GetError"): ([], ctypes.c_char_p),
        (sdl, "SDL_RWFromFile"): ([ctypes.c_char_p, ctypes.c_char_p], vp),
        (mix, "Mix_Init"): ([i], i),
        (mix, "Mix_OpenAudio"): ([i, u16, i, i], i),
        (mix, "Mix_CloseAudio"): ([], None),
        (mix, "Mix_QuerySpec"): ([ip, ctypes.POINTER(u16), ip], i),
        (mix, "Mix_LoadWAV_RW"): ([vp, i], vp),
        (mix, "Mix_FreeChunk"): ([vp], None),
        (mix, "Mix_PlayChannelTimed"): ([i, vp, i, i], i),
        (mix, "Mix_HaltChannel"): ([i], i),
        (mix, "Mix_Playing"): ([i], i),
        (mix, "Mix_Volume"): ([i, i], i),
    }
    for (lib, fn), (args, res) in sigs.items():
        try:
            func = getattr(lib, fn)
        except AttributeError:  # too old a library
            raise LibraryMissing(f"{fn} missing") from None
        func.argtypes = args
        func.restype = res
    _loaded = SdlMixer(sdl, mix)
    return _loaded
