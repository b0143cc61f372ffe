"""The face bench's pair building and rate arithmetic (bench/face_bench.py; the bench itself runs in
`make bench`, not here)."""

from __future__ import annotations

import numpy as np
import pytest

from bench.face_bench import Sample, genuine_pairs, impostor_pairs, rates, upper95

IMG = np.zeros((4, 4, 3), np.uint8)


def samples() -> list[Sample]:
    return [Sample(p, v, IMG) for p in ("a", "b", "c") for v in ("original", "small", "dark")]


def test_genuine_pairs_are_each_original_against_its_own_degraded_copies() -> None:
    pairs = genuine_pairs(samples())
    assert [(x.person, x.variant, y.person, y.variant) for x, y in pairs] == [
        (p, "original", p, v) for p in ("a", "b", "c") for v in ("small", "dark")]


def test_impostor_pairs_are_every_cross_pair_of_different_persons() -> None:
    pairs = impostor_pairs(samples())
    assert len(pairs) == 3 * 3 * 3  # 3 person pairs × 3 images × 3 images
    assert all(x.person != y.person for x, y in pairs)
    assert len({frozenset((id(x), id(y))) for x, y in pairs}) == len(pairs)


def test_rates_count_distance_at_most_threshold_as_accepted_and_a_missing_face_as_rejected() -> None:
    r = rates(genuine=[0.2, 0.5, 0.51, None], impostor=[0.9, 0.5, None, 0.7], threshold=0.5)
    assert r.frr == pytest.approx(2 / 4)  # 0.51 and the missing face
    assert r.far == pytest.approx(1 / 4)  # 0.5 is accepted (distance <= threshold)
    with pytest.raises(ValueError):
        rates([], [0.1], 0.5)


def test_upper_bound_of_zero_errors_follows_the_rule_of_three() -> None:
    assert upper95(0, 100) == pytest.approx(1 - 0.05 ** (1 / 100), abs=1e-6)  # ≈ 3/100
    assert upper95(0, 15) == pytest.approx(0.181, abs=1e-3)
    assert 0.1 < upper95(5, 20) < 0.5 and upper95(3, 3) == 1.0
