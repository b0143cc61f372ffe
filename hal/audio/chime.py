"""The speaker self-test's sound: a short two-note chime, written as a WAV file when first needed
(generated, so no binary asset has to ship with the kiosk)."""

from __future__ import annotations

import io
import wave
from pathlib import Path

import numpy as np

from hal.atomic_file import write_atomic

RATE = 48000
NOTES_HZ = (660.0, 880.0)
NOTE_S = 0.25
CHIME_S = NOTE_S * len(NOTES_HZ)


def chime_pcm(amplitude: float = 0.4) -> bytes:
    t = np.arange(int(RATE * NOTE_S)) / RATE
    fade = np.minimum(1.0, np.minimum(t, t[::-1]) / 0.01)  # 10 ms ramps: no clicks
    notes = [amplitude * fade * np.sin(2 * np.pi * hz * t) for hz in NOTES_HZ]
    return (np.concatenate(notes) * 32767).astype("<i2").tobytes()


def ensure_chime(path: Path) -> Path:
    """Write the chime to ``path`` unless it is already there; returns the path."""
    if path.exists():
        return path
    path.parent.mkdir(parents=True, exist_ok=True)
    buf = io.BytesIO()
    with wave.open(buf, "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(RATE)
        out.writeframes(chime_pcm())
    write_atomic(path, buf.getvalue(), mode=0o644)
    return path
