"""The pre-rendered prompts: every spoken string has a current clip, the manifest matches the
files, the build notices stale and orphaned clips, and espeak-ng really makes speech."""

from __future__ import annotations

import hashlib
import io
import json
import string
from pathlib import Path

import numpy as np
import pytest
import soundfile

from kiosk.strings import LANGUAGES, table
from kiosk.voice import build
from kiosk.voice.catalogue import Clip, catalogue, is_spoken, say, spoken_keys, spoken_template
from kiosk.voice.numbers import en_number, zh_number
from kiosk.voice.paths import MANIFEST, PROMPTS_DIR
from kiosk.voice.synth import VOICES, fix_ogg_serial, synthesize

MAX_ASSETS_BYTES = 11_000_000  # issue 17 §4 added a service (counter guidance: 4 spoken checklists) and ~60 clips


def test_every_spoken_string_has_a_current_prompt() -> None:
    """Fails when a string was added or changed without `make prompts` (or a clip was deleted)."""
    todo = build.plan(PROMPTS_DIR)
    assert [c.stem for c in todo.stale] == [], "stale or missing prompts: run `make prompts`"
    assert [p.name for p in todo.orphans] == [], "prompts no string needs: run `make prompts`"


def test_the_manifest_describes_every_file_by_text_settings_and_sha256() -> None:
    manifest = json.loads((PROMPTS_DIR / MANIFEST).read_text(encoding="utf-8"))["clips"]
    clips = catalogue()
    assert set(manifest) == set(clips)
    for stem, entry in manifest.items():
        clip = clips[stem]
        data = (PROMPTS_DIR / f"{stem}.ogg").read_bytes()
        assert entry["text"] == clip.text and entry["lang"] == clip.lang, stem
        assert entry["voice"] == VOICES[clip.lang].as_dict(), stem
        assert entry["hash"] == build.clip_hash(clip, VOICES[clip.lang]), stem
        assert entry["sha256"] == hashlib.sha256(data).hexdigest(), stem
    total = sum(p.stat().st_size for p in PROMPTS_DIR.glob("*.ogg"))
    assert total < MAX_ASSETS_BYTES, total


@pytest.mark.parametrize("lang", LANGUAGES)
def test_every_screen_text_and_physical_instruction_is_spoken_but_no_button_label(lang: str) -> None:
    keys = set(spoken_keys(lang))
    for must in ("prompt.place_id_card", "prompt.insert_card", "photo.not_frontal", "photo.no_face",
                 "prompt.take_card", "prompt.old_pin", "pin.use_pad", "prompt.loss_done", "end.refused",
                 "reason.pin_wrong", "oos.title", "oos.hotline", "idle.more_time_prompt", "app.title",
                 "app.subtitle", "service.apply", "elderly.on"):
        assert must in keys, must
    assert not any(k.startswith(("button.", "keypad.", "form.mobile", "address.done")) for k in keys)
    assert not is_spoken("voice.repeat") and not is_spoken("voice.say.prompt.issued")
    # Every spoken text with words in it becomes at least one clip, whatever its parameters.
    for key in keys:
        fields = {f for _l, f, _s, _c in string.Formatter().parse(spoken_template(lang, key)) if f}
        stems = say(lang, key, {f: "7" for f in fields})
        if any(ch.isalpha() for ch in spoken_template(lang, key)):
            assert stems, key
        assert all(s in catalogue() for s in stems), (key, stems)


def test_spoken_rewrites_exist_in_both_languages_and_rewrite_a_real_key() -> None:
    for lang in LANGUAGES:
        for key in table(lang):
            if key.startswith("voice.say."):
                assert key[len("voice.say."):] in table(lang), key
    assert {k for k in table("zh") if k.startswith("voice.")} == {k for k in table("en") if k.startswith("voice.")}


def test_numbers_in_words() -> None:
    assert [zh_number(n) for n in (0, 10, 14, 20, 99, 100, 105, 110, 120)] == [
        "零", "十", "十四", "二十", "九十九", "一百", "一百零五", "一百一十", "一百二十"]
    assert [en_number(n) for n in (0, 13, 40, 42, 100, 118)] == [
        "zero", "thirteen", "forty", "forty-two", "one hundred", "one hundred eighteen"]
    assert say("zh", "reason.pin_wrong", {"tries_left": "3"}) == ["zh.reason.pin_wrong.0", "zh.num.3",
                                                                  "zh.reason.pin_wrong.1"]
    # Out of range: dropped.
    assert say("zh", "reason.pin_wrong", {"tries_left": "999"}) == ["zh.reason.pin_wrong.0", "zh.reason.pin_wrong.1"]


# ---- the build, on a few real strings in tmp_path ---------------------------------------------------
def _clips() -> dict[str, Clip]:
    return {c.stem: c for c in (Clip("zh.t.a", "zh", "请将身份证放在感应区"), Clip("zh.t.b", "zh", "请正对摄像头"),
                                Clip("en.t.c", "en", "Please take your card"))}


def test_espeak_ng_renders_real_speech_as_ogg_vorbis(tmp_path: Path) -> None:
    clips = _clips()
    done = build.build(tmp_path, clips, workers=2)
    assert sorted(c.stem for c in done.stale) == sorted(clips)
    for stem, clip in clips.items():
        data = (tmp_path / f"{stem}.ogg").read_bytes()
        info = soundfile.info(io.BytesIO(data))
        assert (info.format, info.subtype, info.channels, info.samplerate) == ("OGG", "VORBIS", 1, 16000)
        audio, rate = soundfile.read(io.BytesIO(data), dtype="float32")
        seconds = len(audio) / rate
        assert 0.4 < seconds < 8.0, (stem, seconds)
        rms = float(np.sqrt(np.mean(audio ** 2)))
        assert rms > 0.02, (stem, rms)  # speech, not silence
        # Longer text, longer speech (a sanity check that the text reached the synthesizer).
        assert seconds > 0.12 * len(clip.text.split() if clip.lang == "en" else clip.text)
    # The same text and settings make the same bytes (the Ogg serial is fixed).
    again = synthesize(clips["zh.t.b"].text, VOICES["zh"])
    assert again == (tmp_path / "zh.t.b.ogg").read_bytes()
    assert fix_ogg_serial(again) == again


def test_the_build_redoes_only_stale_clips_and_deletes_orphans(tmp_path: Path) -> None:
    clips = _clips()
    build.build(tmp_path, clips, workers=2)
    assert build.plan(tmp_path, clips).stale == []
    before = {p.name: p.read_bytes() for p in tmp_path.glob("*.ogg")}
    # A changed text is stale; a tampered file is stale; a file no clip names is an orphan.
    changed = {**clips, "zh.t.a": Clip("zh.t.a", "zh", "请将社保卡插入读卡口")}
    assert [c.stem for c in build.plan(tmp_path, changed).stale] == ["zh.t.a"]
    (tmp_path / "en.t.c.ogg").write_bytes(before["en.t.c.ogg"][:-10])
    (tmp_path / "zh.old.ogg").write_bytes(b"x")
    todo = build.plan(tmp_path, changed)
    assert sorted(c.stem for c in todo.stale) == ["en.t.c", "zh.t.a"]
    assert [p.name for p in todo.orphans] == ["zh.old.ogg"]
    assert build.main(["--out", str(tmp_path), "--check"]) == 1  # the real catalogue: everything stale here
    build.build(tmp_path, changed, workers=2)
    assert not (tmp_path / "zh.old.ogg").exists()
    assert (tmp_path / "en.t.c.ogg").read_bytes() == before["en.t.c.ogg"]  # rebuilt identically
    assert (tmp_path / "zh.t.b.ogg").read_bytes() == before["zh.t.b.ogg"]
    assert (tmp_path / "zh.t.a.ogg").read_bytes() != before["zh.t.a.ogg"]
    manifest = json.loads((tmp_path / MANIFEST).read_text(encoding="utf-8"))["clips"]
    assert manifest["zh.t.a"]["text"] == "请将社保卡插入读卡口"
    assert build.plan(tmp_path, changed).stale == []
