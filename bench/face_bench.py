"""Face verification error rates (issue 17 §1, 人证核验): FAR and FRR of the kiosk's comparison
(dlib 68-landmark alignment + 128-d ResNet embedding, Euclidean distance) at the configured
threshold (kiosk config ``photo.match_distance``), beside dlib's customary 0.6 as the baseline.

Pairs from the face photographs in /work/shared/data/faces (one photo per person):
- genuine: a photo against the same photo degraded as an ID card's chip photo is — cropped to the
  head and shrunk to 102 × 126, JPEG-recompressed at quality 50, brightness shifted ±40 — each
  alone and all together;
- impostor: every cross pair of images (originals and degraded) of two different persons.
A pair where a face is not found is a rejection: a false reject for a genuine pair, a correct one
for an impostor pair. Keys: face.far, face.frr, face.threshold, face.genuine_pairs,
face.impostor_pairs, face.max_genuine_distance, face.min_impostor_distance, face.far_upper95,
face.frr_upper95, face.far_baseline_0_6, face.frr_baseline_0_6. Method and figures: docs/face-verification.md.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np

from kiosk.photo.detector import Image, detect_boxes, to_rgb, u8

ROOT = Path(__file__).resolve().parents[1]
FACE_DIRS = [Path("/work/shared/data/faces"), ROOT / "tests" / "data" / "faces"]
BASELINE_THRESHOLD = 0.6  # dlib's customary threshold
ID_SIZE = (102, 126)  # the decoded chip photo, width × height
JPEG_QUALITY = 50
BRIGHTNESS = 40


@dataclass(frozen=True)
class Sample:
    person: str
    variant: str  # "original" or the degradation's name
    image: Image


@dataclass(frozen=True)
class Rates:
    far: float  # impostor pairs accepted / impostor pairs
    frr: float  # genuine pairs rejected / genuine pairs
    far_upper95: float  # one-sided 95 % upper bound (Clopper-Pearson): few pairs, wide bounds
    frr_upper95: float


def upper95(errors: int, n: int) -> float:
    """The exact one-sided 95 % upper confidence bound of a rate seen as ``errors`` in ``n``."""
    if errors >= n:
        return 1.0
    lo, hi = errors / n, 1.0
    for _ in range(60):  # bisection: P(X <= errors | p) = 0.05
        p = (lo + hi) / 2
        cdf = sum(math.comb(n, k) * p**k * (1 - p) ** (n - k) for k in range(errors + 1))
        lo, hi = (p, hi) if cdf > 0.05 else (lo, p)
    return hi


# ---- pairs and rates (pure; tests/photo/test_face_bench.py) ---------------------------------------
def genuine_pairs(samples: Sequence[Sample]) -> list[tuple[Sample, Sample]]:
    """Each person's original against each of its degraded variants."""
    originals = {s.person: s for s in samples if s.variant == "original"}
    return [(originals[s.person], s) for s in samples if s.variant != "original" and s.person in originals]


def impostor_pairs(samples: Sequence[Sample]) -> list[tuple[Sample, Sample]]:
    """Every cross pair of images of two different persons."""
    return [(a, b) for a, b in itertools.combinations(samples, 2) if a.person != b.person]


def rates(genuine: Iterable[float | None], impostor: Iterable[float | None], threshold: float) -> Rates:
    """A pair is accepted when both faces were found and their distance is at most ``threshold``."""
    def accepted(d: float | None) -> bool:
        return d is not None and d <= threshold

    g, i = list(genuine), list(impostor)
    if not g or not i:
        raise ValueError("need genuine and impostor pairs")
    fa, fr = sum(map(accepted, i)), sum(not accepted(d) for d in g)
    return Rates(far=fa / len(i), frr=fr / len(g), far_upper95=upper95(fa, len(i)), frr_upper95=upper95(fr, len(g)))


# ---- the degradations ----------------------------------------------------------------------------
def id_resolution(img: Image) -> Image:
    """Crop to the head as an ID photo frames it, then shrink to 102 × 126."""
    boxes = detect_boxes(to_rgb(img), max_side=400, min_score=0.0)
    if not boxes:
        return u8(cv2.resize(img, ID_SIZE, interpolation=cv2.INTER_AREA))
    left, top, right, _ = max(boxes, key=lambda bx: (bx[0][2] - bx[0][0]) * (bx[0][3] - bx[0][1]))[0]
    w, cx = right - left, (left + right) / 2
    x0, x1 = max(0, int(cx - 0.9 * w)), min(img.shape[1], int(cx + 0.9 * w))
    y0 = max(0, int(top - 0.6 * w))
    y1 = min(img.shape[0], y0 + int((x1 - x0) * ID_SIZE[1] / ID_SIZE[0]))
    return u8(cv2.resize(img[y0:y1, x0:x1], ID_SIZE, interpolation=cv2.INTER_AREA))


def jpeg(img: Image, quality: int = JPEG_QUALITY) -> Image:
    ok, buf = cv2.imencode(".jpg", img, [cv2.IMWRITE_JPEG_QUALITY, quality])
    assert ok
    return u8(cv2.imdecode(buf, cv2.IMREAD_COLOR))


def brightness(img: Image, delta: int) -> Image:
    return u8(np.clip(img.astype(np.int16) + delta, 0, 255).astype(np.uint8))


DEGRADATIONS: Mapping[str, Callable[[Image], Image]] = {
    "id_102x126": id_resolution,
    "jpeg_q50": jpeg,
    "brighter": lambda img: brightness(img, BRIGHTNESS),
    "darker": lambda img: brightness(img, -BRIGHTNESS),
    "id_jpeg_brighter": lambda img: brightness(jpeg(id_resolution(img)), BRIGHTNESS),
}


def face_photos() -> dict[str, Image]:
    """person → photo: every image in the faces directory in which dlib finds a face."""
    folder = next(d for d in FACE_DIRS if d.is_dir())
    out: dict[str, Image] = {}
    for p in sorted(folder.iterdir()):
        if p.suffix.lower() not in (".jpg", ".jpeg", ".png"):
            continue
        img = cv2.imread(str(p), cv2.IMREAD_COLOR)
        if img is not None and detect_boxes(to_rgb(u8(img)), max_side=400, min_score=0.0):
            out[p.stem] = u8(img)
    return out


def samples_of(photos: Mapping[str, Image]) -> list[Sample]:
    out = []
    for person, img in photos.items():
        out.append(Sample(person, "original", img))
        out += [Sample(person, name, fn(img)) for name, fn in DEGRADATIONS.items()]
    return out


def measure(threshold: float) -> tuple[dict[str, float], list[str]]:
    from kiosk.photo.verify import embed

    samples = samples_of(face_photos())
    emb = {id(s): embed(s.image) for s in samples}

    def dist(a: Sample, b: Sample) -> float | None:
        ea, eb = emb[id(a)], emb[id(b)]
        return None if ea is None or eb is None else float(np.linalg.norm(ea - eb))

    gen = [dist(a, b) for a, b in genuine_pairs(samples)]
    imp = [dist(a, b) for a, b in impostor_pairs(samples)]
    at, base = rates(gen, imp, threshold), rates(gen, imp, BASELINE_THRESHOLD)
    found_g = [d for d in gen if d is not None]
    found_i = [d for d in imp if d is not None]
    res = {
        "face.threshold": threshold, "face.far": at.far, "face.frr": at.frr,
        "face.far_upper95": at.far_upper95, "face.frr_upper95": at.frr_upper95,
        "face.far_baseline_0_6": base.far, "face.frr_baseline_0_6": base.frr,
        "face.genuine_pairs": float(len(gen)), "face.impostor_pairs": float(len(imp)),
        "face.max_genuine_distance": max(found_g) if found_g else -1.0,
        "face.min_impostor_distance": min(found_i) if found_i else -1.0,
    }
    per_variant = {name: [dist(a, b) for a, b in genuine_pairs(samples) if b.variant == name]
                   for name in DEGRADATIONS}
    lines = [
        "## Face verification (人证核验): FAR / FRR",
        "",
        f"{len({s.person for s in samples})} persons, {len(gen)} genuine pairs (photo vs the same photo degraded), "
        f"{len(imp)} impostor pairs (every cross pair of different persons).",
        "",
        "| threshold (distance ≤) | FAR (95 % upper bound) | FRR (95 % upper bound) |",
        "|---|---|---|",
        f"| {threshold:.2f} (config photo.match_distance) | {at.far:.3f} ({at.far_upper95:.3f}) "
        f"| {at.frr:.3f} ({at.frr_upper95:.3f}) |",
        f"| {BASELINE_THRESHOLD:.2f} (baseline: dlib's customary) | {base.far:.3f} ({base.far_upper95:.3f}) "
        f"| {base.frr:.3f} ({base.frr_upper95:.3f}) |",
        "",
        f"Largest genuine distance {res['face.max_genuine_distance']:.3f}; smallest impostor distance "
        f"{res['face.min_impostor_distance']:.3f}.",
        "",
        "| degradation | genuine distances |",
        "|---|---|",
        *[f"| {name} | {', '.join('no face' if d is None else f'{d:.3f}' for d in ds)} |"
          for name, ds in per_variant.items()],
    ]
    return res, lines


def run(results: dict[str, float], report: list[str]) -> None:
    from kiosk.config import load_config

    res, lines = measure(load_config(None).photo.match_distance)
    results.update(res)
    report.extend(lines)


if __name__ == "__main__":
    out: dict[str, float] = {}
    md: list[str] = []
    run(out, md)
    print("\n".join(md))
