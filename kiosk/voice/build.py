"""``make prompts``: render every clip of the catalogue into assets/prompts/ and write its manifest.

    python -m kiosk.voice.build [--out DIR] [--check]

Only missing or stale clips are synthesized (a clip is stale when its text or voice settings
changed, or its file's sha256 differs from the manifest's); files no clip names are deleted.
``--check`` changes nothing and exits 1 when anything would be rebuilt.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import sys
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from hal.atomic_file import write_atomic
from kiosk.voice.catalogue import Clip, catalogue
from kiosk.voice.paths import MANIFEST, PROMPTS_DIR
from kiosk.voice.synth import VOICES, VoiceSettings, synthesize

SYNTHESIZER = "espeak-ng"


def clip_hash(clip: Clip, settings: VoiceSettings) -> str:
    """What a clip is made from: its text, language and voice settings."""
    spec = {"text": clip.text, "lang": clip.lang, "synthesizer": SYNTHESIZER, "voice": settings.as_dict()}
    return hashlib.sha256(json.dumps(spec, sort_keys=True, ensure_ascii=False).encode("utf-8")).hexdigest()


def file_sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def load_manifest(out: Path) -> dict[str, dict[str, Any]]:
    try:
        data = json.loads((out / MANIFEST).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    clips: dict[str, dict[str, Any]] = data.get("clips", {})
    return clips


@dataclass
class Plan:
    stale: list[Clip]  # missing, changed, or a file that is not what the manifest says
    orphans: list[Path]  # files no clip names
    entries: dict[str, dict[str, Any]]  # the manifest entries still valid


def plan(out: Path = PROMPTS_DIR, clips: dict[str, Clip] | None = None) -> Plan:
    clips = catalogue() if clips is None else clips
    old = load_manifest(out)
    stale: list[Clip] = []
    entries: dict[str, dict[str, Any]] = {}
    for stem, clip in sorted(clips.items()):
        entry = old.get(stem)
        path = out / f"{stem}.ogg"
        h = clip_hash(clip, VOICES[clip.lang])
        if entry is None or entry.get("hash") != h or not path.is_file() or file_sha256(path) != entry.get("sha256"):
            stale.append(clip)
        else:
            entries[stem] = entry
    orphans = sorted(p for p in out.glob("*.ogg") if p.name[:-4] not in clips) if out.is_dir() else []
    return Plan(stale, orphans, entries)


def _entry(clip: Clip, data: bytes) -> dict[str, Any]:
    settings = VOICES[clip.lang]
    return {"text": clip.text, "lang": clip.lang, "synthesizer": SYNTHESIZER, "voice": settings.as_dict(),
            "hash": clip_hash(clip, settings), "sha256": hashlib.sha256(data).hexdigest(), "bytes": len(data)}


def build(out: Path = PROMPTS_DIR, clips: dict[str, Clip] | None = None, workers: int = 4) -> Plan:
    """Bring ``out`` up to date with the catalogue; returns what was (re)built and deleted."""
    out.mkdir(parents=True, exist_ok=True)
    todo = plan(out, clips)

    def render(clip: Clip) -> tuple[Clip, bytes]:
        return clip, synthesize(clip.text, VOICES[clip.lang])

    entries = dict(todo.entries)
    with ThreadPoolExecutor(max_workers=workers) as pool:
        for clip, data in pool.map(render, todo.stale):
            write_atomic(out / f"{clip.stem}.ogg", data, mode=0o644)
            entries[clip.stem] = _entry(clip, data)
    for orphan in todo.orphans:
        orphan.unlink()
    manifest = {"synthesizer": SYNTHESIZER, "voices": {k: v.as_dict() for k, v in sorted(VOICES.items())},
                "clips": dict(sorted(entries.items()))}
    text = json.dumps(manifest, indent=1, ensure_ascii=False, sort_keys=True) + "\n"
    path = out / MANIFEST
    if not path.is_file() or path.read_text(encoding="utf-8") != text:
        write_atomic(path, text, mode=0o644)
    return todo


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    ap.add_argument("--out", type=Path, default=PROMPTS_DIR)
    ap.add_argument("--check", action="store_true", help="report stale clips; change nothing")
    args = ap.parse_args(argv)
    if args.check:
        todo = plan(args.out)
        for clip in todo.stale:
            print(f"stale: {clip.stem}")
        for orphan in todo.orphans:
            print(f"orphan: {orphan.name}")
        return 1 if todo.stale or todo.orphans else 0
    done = build(args.out)
    size = sum(p.stat().st_size for p in args.out.glob("*.ogg"))
    print(f"prompts: {len(done.stale)} rendered, {len(done.orphans)} deleted, "
          f"{len(catalogue())} clips, {size / 1e6:.1f} MB in {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
