"""The SDL speaker driver through the real SDL2 / SDL2_mixer stack, on SDL's "disk" audio driver:
SDL writes the PCM it would send to the sound card into a file, which the tests analyse."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from pathlib import Path

import numpy as np
import numpy.typing as npt
import pytest
import soundfile

from hal.audio.sdl_audio import SdlAudio
from hal.status import DeviceState, DeviceUnavailable

RATE = 48000
Pcm = npt.NDArray[np.float64]


def tone(path: Path, hz: float, seconds: float, amplitude: float = 0.5) -> Path:
    t = np.arange(int(RATE * seconds)) / RATE
    soundfile.write(path, (amplitude * np.sin(2 * np.pi * hz * t)).astype(np.float32), RATE)
    return path


@pytest.fixture
def disk(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    out = tmp_path / "speaker.raw"
    monkeypatch.setenv("SDL_AUDIODRIVER", "disk")
    monkeypatch.setenv("SDL_DISKAUDIOFILE", str(out))
    return out


@pytest.fixture
def audio(disk: Path) -> Iterator[SdlAudio]:
    dev = SdlAudio(name="audio")
    dev.open()
    yield dev
    dev.close()


def until(check: Callable[[], bool], timeout: float = 5.0) -> None:
    deadline = time.monotonic() + timeout
    while not check():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.005)


def finish(dev: SdlAudio, out: Path) -> Pcm:
    """Wait for the sound to end, close the card (SDL flushes the file) and read the left channel."""
    until(lambda: not dev.playing())
    time.sleep(0.1)  # the last mixed buffer still has to reach the "sound card"
    dev.close()
    assert dev.spec is None
    raw = np.fromfile(out, dtype="<i2").reshape(-1, 2)
    return raw[:, 0].astype(np.float64) / 32768.0


def loud(pcm: Pcm, threshold: float = 0.01) -> npt.NDArray[np.bool_]:
    return np.abs(pcm) > threshold


def segments(pcm: Pcm, max_gap_s: float = 0.06) -> list[tuple[int, int]]:
    """Runs of sound (gaps shorter than max_gap_s and zero crossings bridged)."""
    idx = np.flatnonzero(loud(pcm))
    if idx.size == 0:
        return []
    breaks = np.flatnonzero(np.diff(idx) > max_gap_s * RATE)
    starts = np.concatenate(([idx[0]], idx[breaks + 1]))
    ends = np.concatenate((idx[breaks], [idx[-1]]))
    return [(int(s), int(e) + 1) for s, e in zip(starts, ends, strict=True)]


def peak_hz(pcm: Pcm) -> float:
    spectrum = np.abs(np.fft.rfft(pcm * np.hanning(pcm.size)))
    return float(np.fft.rfftfreq(pcm.size, 1 / RATE)[int(np.argmax(spectrum))])


def rms(pcm: Pcm) -> float:
    return float(np.sqrt(np.mean(pcm**2)))


def test_the_card_opens_in_the_requested_format(audio: SdlAudio) -> None:
    assert audio.spec == (RATE, 0x8010, 2)
    assert audio.status().state is DeviceState.ONLINE and audio.status().usable


def test_volume_scales_the_output_and_zero_is_silent(audio: SdlAudio, disk: Path, tmp_path: Path) -> None:
    clip = tone(tmp_path / "a440.wav", 440, 0.3)
    levels = (1.0, 0.5, 0.0)
    for level in levels:
        audio.set_volume(level)
        audio.play([clip])
        assert audio.playing()
        until(lambda: not audio.playing())
        time.sleep(0.08)
    assert audio.status().counters["clips_played"] == len(levels)
    pcm = finish(audio, disk)
    runs = segments(pcm)
    assert len(runs) == 2, runs  # full, half; the muted third play left no sound at all
    full, half = (pcm[s:e] for s, e in runs)
    for run in (full, half):
        assert abs(run.size / RATE - 0.3) < 0.03
        assert abs(peak_hz(run) - 440) < 5
    assert rms(full) == pytest.approx(0.5 / np.sqrt(2), rel=0.05)
    assert rms(half) / rms(full) == pytest.approx(0.5, abs=0.03)
    assert pcm.size / RATE > 0.9  # the muted play's time really passed on the card, in silence


def test_a_sequence_plays_back_to_back(audio: SdlAudio, disk: Path, tmp_path: Path) -> None:
    first = tmp_path / "low.ogg"
    second = tmp_path / "high.ogg"
    for path, hz in ((first, 440), (second, 880)):
        t = np.arange(int(RATE * 0.4)) / RATE
        soundfile.write(path, (0.5 * np.sin(2 * np.pi * hz * t)).astype(np.float32), RATE, format="OGG")
    audio.play([first, second])
    pcm = finish(audio, disk)
    runs = segments(pcm, max_gap_s=0.03)
    assert len(runs) == 1, runs  # no gap of 30 ms or more between the clips (measured: ~5 ms)
    start, end = runs[0]
    assert abs((end - start) / RATE - 0.8) < 0.07
    quarter = (end - start) // 4
    assert abs(peak_hz(pcm[start:start + quarter]) - 440) < 5
    assert abs(peak_hz(pcm[end - quarter:end]) - 880) < 5


def test_stop_cuts_at_once_and_returns_at_once(audio: SdlAudio, disk: Path, tmp_path: Path) -> None:
    clip = tone(tmp_path / "long.wav", 660, 2.0)
    t0 = time.monotonic()
    audio.play([clip])
    assert time.monotonic() - t0 < 0.02  # the UI thread never waits for the sound card
    time.sleep(0.3)
    t1 = time.monotonic()
    audio.stop()
    assert time.monotonic() - t1 < 0.02
    assert not audio.playing()
    elapsed = time.monotonic() - t0
    time.sleep(0.3)
    pcm = finish(audio, disk)
    runs = segments(pcm)
    assert len(runs) == 1
    heard = (runs[0][1] - runs[0][0]) / RATE
    assert 0.2 < heard < elapsed + 0.1, (heard, elapsed)  # cut when stopped, not after the clip's 2 s
    assert heard < 1.5


def test_a_new_play_replaces_the_one_playing(audio: SdlAudio, disk: Path, tmp_path: Path) -> None:
    long_clip = tone(tmp_path / "long.wav", 440, 2.0)
    short_clip = tone(tmp_path / "short.wav", 880, 0.3)
    audio.play([long_clip])
    time.sleep(0.3)
    audio.play([short_clip])
    pcm = finish(audio, disk)
    start, end = segments(pcm)[0]
    assert (end - start) / RATE < 0.75
    assert abs(peak_hz(pcm[end - RATE // 5:end]) - 880) < 5


def test_an_unreadable_clip_is_skipped_and_the_rest_is_said(audio: SdlAudio, disk: Path, tmp_path: Path) -> None:
    clip = tone(tmp_path / "ok.wav", 440, 0.3)
    (tmp_path / "broken.ogg").write_bytes(b"not audio")
    audio.play([tmp_path / "missing.ogg", tmp_path / "broken.ogg", clip])
    until(lambda: not audio.playing())
    st = audio.status()
    assert st.state is DeviceState.ONLINE and st.last_error == "clip_unreadable"
    pcm = finish(audio, disk)
    assert len(segments(pcm)) == 1


def test_no_audio_device_is_a_typed_status_and_open_reconnects(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SDL_AUDIODRIVER", "no-such-sound-card")
    dev = SdlAudio(name="audio", retry_s=0.0)
    try:
        with pytest.raises(DeviceUnavailable) as err:
            dev.open()
        assert err.value.code == "unavailable"
        st = dev.status()
        assert st.state is DeviceState.NO_DEVICE and st.last_error == "no_audio_device" and not st.usable
        dev.play([tone(tmp_path / "a.wav", 440, 0.2)])  # never raises on the UI thread
        until(lambda: not dev.playing())
        assert dev.status().state is DeviceState.NO_DEVICE
        out = tmp_path / "after.raw"
        monkeypatch.setenv("SDL_AUDIODRIVER", "disk")
        monkeypatch.setenv("SDL_DISKAUDIOFILE", str(out))
        dev.open()  # the speaker is back: reconnect
        assert dev.status().state is DeviceState.ONLINE and dev.status().last_error is None
        dev.play([tmp_path / "a.wav"])
        assert len(segments(finish(dev, out))) == 1
    finally:
        dev.close()


def test_a_card_that_stops_taking_samples_is_a_hardware_error_and_the_next_play_reconnects(
        disk: Path, tmp_path: Path) -> None:
    from hal.audio import sdl_lib

    dev = SdlAudio(name="audio", stall_grace_s=0.3, retry_s=0.0)
    try:
        dev.open()
        dev.play([tone(tmp_path / "a.wav", 440, 0.3)])
        until(lambda: dev.status().counters.get("clips_played") == 1)
        sdl_lib.load().mix.Mix_PauseAudio(1)  # the card stops pulling samples, as when it is unplugged
        until(lambda: not dev.playing(), timeout=3.0)
        st = dev.status()
        assert st.state is DeviceState.HARDWARE_ERROR and st.last_error == "playback_stalled" and not st.usable
        until(lambda: dev.spec is None)  # closed, to be reopened
        dev.play([tmp_path / "a.wav"])
        until(lambda: dev.status().state is DeviceState.ONLINE)
        until(lambda: not dev.playing())
        assert dev.status().counters["clips_played"] == 2
    finally:
        dev.close()
