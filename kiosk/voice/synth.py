"""Text → an OGG Vorbis clip, ahead of time (``make prompts``; never at run time).

espeak-ng (Debian's package; cmn for Mandarin, en-us for English) writes a WAV; the silence
around the speech is trimmed, the audio resampled to 16 kHz mono and encoded as low-bitrate
Vorbis with soundfile (libsndfile). libsndfile gives each Ogg stream a random serial number,
so the serial is fixed and the page checksums recomputed: the same text and settings always
make the same bytes.
"""

from __future__ import annotations

import io
import subprocess
from dataclasses import asdict, dataclass
from typing import Any

import numpy as np
import soundfile

ESPEAK = "espeak-ng"
SYNTH_TIMEOUT_S = 30.0


@dataclass(frozen=True)
class VoiceSettings:
    voice: str  # espeak-ng voice name
    speed: int  # words per minute
    pitch: int  # 0..99
    rate_hz: int = 16000
    compression: float = 1.0  # soundfile's compression_level: 1.0 = Vorbis's lowest bitrate (speech is fine)
    trim_level: float = 0.01  # samples quieter than this at either end are cut

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


VOICES: dict[str, VoiceSettings] = {
    "zh": VoiceSettings(voice="cmn", speed=170, pitch=50),
    "en": VoiceSettings(voice="en-us", speed=160, pitch=50),
}


class SynthError(RuntimeError):
    pass


def espeak_wav(text: str, settings: VoiceSettings) -> bytes:
    """espeak-ng's WAV for ``text`` (text goes on stdin: never parsed as an option)."""
    try:
        proc = subprocess.run([ESPEAK, "-v", settings.voice, "-s", str(settings.speed), "-p", str(settings.pitch),
                               "-b", "1", "--stdout"], input=text.encode("utf-8"), capture_output=True,
                              timeout=SYNTH_TIMEOUT_S, check=False)
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise SynthError(f"espeak-ng failed: {exc}") from exc
    if proc.returncode != 0 or not proc.stdout:
        raise SynthError(f"espeak-ng exit {proc.returncode}: {proc.stderr.decode(errors='replace')[-300:]}")
    return proc.stdout


def to_clip(wav: bytes, settings: VoiceSettings) -> bytes:
    """Trim, resample, encode: the OGG Vorbis bytes of one clip."""
    data, rate = soundfile.read(io.BytesIO(wav), dtype="float32", always_2d=True)
    mono = data.mean(axis=1)
    loud = np.nonzero(np.abs(mono) > settings.trim_level)[0]
    if loud.size == 0:
        raise SynthError("the synthesizer produced silence")
    pad = int(rate * 0.05)
    mono = mono[max(0, loud[0] - pad): loud[-1] + pad]
    n = max(1, round(len(mono) * settings.rate_hz / rate))
    resampled = np.interp(np.arange(n) * (rate / settings.rate_hz), np.arange(len(mono)), mono).astype(np.float32)
    out = io.BytesIO()
    soundfile.write(out, resampled, settings.rate_hz, format="OGG", subtype="VORBIS",
                    compression_level=settings.compression)
    return fix_ogg_serial(out.getvalue())


def synthesize(text: str, settings: VoiceSettings) -> bytes:
    return to_clip(espeak_wav(text, settings), settings)


# ---- Ogg pages: a fixed stream serial number ------------------------------------------------------
OGG_SERIAL = 0x6B696F73  # "kios"


def _crc_table() -> list[int]:
    table = []
    for i in range(256):
        r = i << 24
        for _ in range(8):
            r = ((r << 1) ^ 0x04C11DB7) if r & 0x80000000 else (r << 1)
        table.append(r & 0xFFFFFFFF)
    return table


_CRC = _crc_table()


def ogg_crc(page: bytes) -> int:
    crc = 0
    for b in page:
        crc = ((crc << 8) & 0xFFFFFFFF) ^ _CRC[((crc >> 24) & 0xFF) ^ b]
    return crc


def fix_ogg_serial(data: bytes, serial: int = OGG_SERIAL) -> bytes:
    """Rewrite every page's serial number and checksum (one logical stream per clip)."""
    out = bytearray()
    pos = 0
    while pos < len(data):
        if data[pos:pos + 4] != b"OggS" or pos + 27 > len(data):
            raise SynthError("not an Ogg stream")
        nseg = data[pos + 26]
        body = sum(data[pos + 27: pos + 27 + nseg])
        end = pos + 27 + nseg + body
        page = bytearray(data[pos:end])
        page[14:18] = serial.to_bytes(4, "little")
        page[22:26] = b"\0\0\0\0"
        page[22:26] = ogg_crc(bytes(page)).to_bytes(4, "little")
        out += page
        pos = end
    return bytes(out)
