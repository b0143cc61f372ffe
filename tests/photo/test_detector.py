"""The model singleton and detection on a downscaled frame."""

from __future__ import annotations

import threading
from pathlib import Path

from kiosk.photo.detector import FaceModels, Image, detect_faces, get_models, model_path


def test_models_are_loaded_once_and_shared_across_threads() -> None:
    seen: list[FaceModels] = []
    threads = [threading.Thread(target=lambda: seen.append(get_models())) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(seen) == 4 and all(m is get_models() for m in seen)


def test_model_files_are_found_without_pkg_resources() -> None:
    for name in ("shape_predictor_68_face_landmarks.dat", "dlib_face_recognition_resnet_model_v1.dat"):
        assert Path(model_path(name)).stat().st_size > 1_000_000


def test_downscaled_detection_reports_full_frame_coordinates(frame: Image) -> None:
    small = detect_faces(frame, max_side=320, min_score=0.0)
    full = detect_faces(frame, max_side=10_000, min_score=0.0)
    assert len(small) == len(full) == 1
    # same face, same place, within the coarser grid of the downscaled search
    for a, b in zip(small[0].box, full[0].box, strict=True):
        assert abs(a - b) < 0.2 * full[0].width
    assert small[0].landmarks.shape == (68, 2)
    # landmarks are computed on the full-resolution frame: they agree closely
    assert abs(small[0].landmarks - full[0].landmarks).mean() < 4.0
