"""Page detection, perspective correction, blur/glare checks and the JPEG range, on real renders:
a page drawn with OpenCV, warped into a frame in perspective (on the dark platen mat, and on a real
photo of a table), then spoiled the way a document camera spoils it."""

from __future__ import annotations

import json
from pathlib import Path

import cv2
import numpy as np
import pytest

from hal.sim.document_scene import ASPECTS, Scene, add_blur, add_glare, default_corners, place, render, render_page
from kiosk.documents.assess import Steadiness, assess
from kiosk.documents.encode import DocumentSizeError, encode_within
from kiosk.documents.kinds import ASPECT, DocumentKind
from kiosk.documents.messages import MESSAGES
from kiosk.documents.page import detect_page, order_corners
from kiosk.documents.rectify import measured_aspect, rectify

SIZE = (1280, 960)
DIAG = float(np.hypot(*SIZE))
TABLE = np.ascontiguousarray(cv2.imread(str(Path(__file__).resolve().parents[1] / "data" / "faces"
                                           / "coffee_no_face.png")), np.uint8)  # a real photo of a table
KIND = {"household_register": DocumentKind.HOUSEHOLD_REGISTER, "birth_certificate": DocumentKind.BIRTH_CERTIFICATE,
        "authorisation_letter": DocumentKind.AUTHORISATION_LETTER, "id_card": DocumentKind.PROXY_ID_CARD}


def corner_error(found: np.ndarray, truth: np.ndarray) -> float:
    return float(np.linalg.norm(found - truth, axis=1).max())


@pytest.mark.parametrize("kind", list(ASPECTS))
@pytest.mark.parametrize("tilt", [0.0, 0.06, 0.12])
def test_corners_found_on_the_mat(kind: str, tilt: float) -> None:
    truth = default_corners(SIZE, ASPECTS[kind], 0.7, tilt)
    frame = render(Scene(kind=kind, tilt=tilt), SIZE)
    page = detect_page(frame)
    assert page is not None
    assert corner_error(page.corners, truth) < 0.004 * DIAG  # ~6 px on a 1280×960 frame


@pytest.mark.parametrize("kind", ["household_register", "birth_certificate", "id_card"])
def test_corners_found_on_a_real_table_photo(kind: str) -> None:
    truth = default_corners(SIZE, ASPECTS[kind], 0.7, 0.06)
    page = detect_page(render(Scene(kind=kind), SIZE, TABLE))
    assert page is not None
    assert corner_error(page.corners, truth) < 0.006 * DIAG


def test_rotated_and_off_centre_page() -> None:
    page_img = render_page("birth_certificate", 700)
    centre, angle = np.array([700.0, 430.0]), np.deg2rad(17)
    w, h = 600.0, 600.0 / ASPECTS["birth_certificate"]
    rot = np.array([[np.cos(angle), -np.sin(angle)], [np.sin(angle), np.cos(angle)]])
    box = np.array([[-w / 2, -h / 2], [w / 2, -h / 2], [w / 2, h / 2], [-w / 2, h / 2]]) @ rot.T + centre
    frame = place(page_img, box.astype(np.float32), SIZE)
    found = detect_page(frame)
    assert found is not None
    assert corner_error(found.corners, order_corners(box.astype(np.float32))) < 0.004 * DIAG


def test_rectified_page_has_the_documents_aspect_and_matches_the_original() -> None:
    original = render_page("household_register", 900)
    truth = default_corners(SIZE, ASPECTS["household_register"], 0.75, 0.1)  # strong keystone
    frame = place(original, truth, SIZE)
    page = detect_page(frame)
    assert page is not None
    flat = rectify(frame, page.corners, ASPECT[DocumentKind.HOUSEHOLD_REGISTER])
    assert flat.shape[1] / flat.shape[0] == pytest.approx(ASPECTS["household_register"], rel=0.01)
    back = cv2.resize(original, (flat.shape[1], flat.shape[0]), interpolation=cv2.INTER_AREA)
    # the straightened page is the drawn page: the mean difference is edge smoothing only
    assert float(np.abs(back.astype(int) - flat.astype(int)).mean()) < 12
    keystoned = cv2.resize(frame, (flat.shape[1], flat.shape[0]))
    assert float(np.abs(back.astype(int) - keystoned.astype(int)).mean()) > 30  # the check can fail


def test_quarter_turned_page_is_set_upright() -> None:
    truth = default_corners(SIZE, 1 / ASPECTS["authorisation_letter"], 0.7, 0.0)  # an A4 lying sideways
    frame = place(np.ascontiguousarray(np.rot90(render_page("authorisation_letter", 700))), truth, SIZE)
    page = detect_page(frame)
    assert page is not None and measured_aspect(page.corners) > 1
    flat = rectify(frame, page.corners, ASPECT[DocumentKind.AUTHORISATION_LETTER])
    assert flat.shape[0] > flat.shape[1]


@pytest.mark.parametrize("background", ["mat", "table"])
@pytest.mark.parametrize("kind", ["household_register", "birth_certificate", "id_card"])
def test_good_glare_and_blur_are_told_apart(kind: str, background: str) -> None:
    bg = TABLE if background == "table" else None
    assert assess(render(Scene(kind=kind), SIZE, bg), KIND[kind]).good
    glare = assess(render(Scene(kind=kind, fault="glare"), SIZE, bg), KIND[kind])
    assert glare.problems == ("glare",)
    if background == "mat":  # a blurred page's soft edge melts into a busy table: not asserted there
        assert assess(render(Scene(kind=kind, fault="blur"), SIZE, bg), KIND[kind]).problems == ("blurred",)


def test_blur_threshold_sits_between_sharp_and_shaken() -> None:
    frame = render(Scene(kind="authorisation_letter"), SIZE)  # the least ink: the hardest case
    scores = [assess(add_blur(frame, k) if k else frame, DocumentKind.AUTHORISATION_LETTER) for k in (0, 3, 21)]
    assert scores[0].good and scores[1].good
    assert scores[2].problems == ("blurred",)


def test_small_glare_spot_is_tolerated() -> None:
    frame = render(Scene(kind="birth_certificate"), SIZE)
    assert assess(add_glare(frame, (640, 480), 12), DocumentKind.BIRTH_CERTIFICATE).good
    assert "glare" in assess(add_glare(frame, (640, 480), 90), DocumentKind.BIRTH_CERTIFICATE).problems


def test_empty_platen_cut_off_and_tiny_pages() -> None:
    assert assess(render(Scene(kind=None), SIZE), DocumentKind.BIRTH_CERTIFICATE).problems == ("no_page",)
    assert not assess(render(Scene(kind=None), SIZE, TABLE), DocumentKind.BIRTH_CERTIFICATE).good
    cut = np.array([[-200, 150], [900, 150], [900, 800], [-200, 800]], np.float32)
    cut_frame = place(render_page("household_register", 1100), cut, SIZE)
    assert assess(cut_frame, DocumentKind.HOUSEHOLD_REGISTER).problems == ("page_cut_off",)
    tiny = render(Scene(kind="id_card", fill=0.25), SIZE)
    assert assess(tiny, DocumentKind.PROXY_ID_CARD).problems == ("page_too_small",)
    dark = (render(Scene(kind="birth_certificate"), SIZE) * 0.4).astype(np.uint8)
    assert "too_dark" in assess(dark, DocumentKind.BIRTH_CERTIFICATE).problems
    assert all(code in MESSAGES for code in ("no_page", "page_cut_off", "page_too_small", "glare", "blurred",
                                             "too_dark", "not_steady"))


def test_steadiness_counts_still_frames_only() -> None:
    s = Steadiness()
    still = detect_page(render(Scene(kind="birth_certificate"), SIZE))
    moved = detect_page(render(Scene(kind="birth_certificate", tilt=0.12), SIZE))
    assert still is not None and moved is not None
    assert [s.feed(still, SIZE) for _ in range(3)] == [1, 2, 3]
    assert s.feed(moved, SIZE) == 1
    assert s.feed(None, SIZE) == 0


def test_jpeg_is_brought_within_the_range_or_refused() -> None:
    frame = render(Scene(kind="authorisation_letter"), (1600, 1200))
    page = detect_page(frame)
    assert page is not None
    flat = rectify(frame, page.corners, ASPECT[DocumentKind.AUTHORISATION_LETTER])
    roomy = encode_within(flat, 10_000, 400_000)
    tight = encode_within(flat, 10_000, 45_000)
    assert 10_000 <= len(tight) <= 45_000 < len(roomy) <= 400_000
    assert cv2.imdecode(np.frombuffer(tight, np.uint8), cv2.IMREAD_COLOR) is not None
    with pytest.raises(DocumentSizeError) as small:
        encode_within(np.full((700, 500, 3), 230, np.uint8), 20_000, 400_000)  # a blank sheet: nothing to read
    assert small.value.code == "document_too_small"
    noise = np.random.default_rng(1).integers(0, 256, (800, 800, 3), dtype=np.uint8)
    with pytest.raises(DocumentSizeError) as large:
        encode_within(noise, 1_000, 20_000)
    assert large.value.code == "document_too_large"


def test_instructions_in_the_string_tables_are_the_messages_table() -> None:
    root = Path(__file__).resolve().parents[2]
    for index, lang in enumerate(("zh", "en")):
        table = json.loads((root / "assets" / "strings" / f"{lang}.json").read_text(encoding="utf-8"))
        assert {code: table[f"prompt.doc_{code}"] for code in MESSAGES} == {c: m[index] for c, m in MESSAGES.items()}
        for kind in DocumentKind:
            assert table[f"prompt.doc_place_{kind.value}"] and table[f"doc_kind.{kind.value}"]
