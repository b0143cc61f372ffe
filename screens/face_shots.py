"""`make screenshots` of the identity check (人证核验, issue 17): the consent notice and the way
through it for the tours that go on; the counter guidance after disagreeing."""

from __future__ import annotations

from typing import Any


def through(tour: Any, key: str, then: str, shoot: bool = False) -> None:
    """Agree to the face check and stand in front of the camera as the seeded citizen ``key``, blinking,
    until the service goes on to ``then``; the camera shows nobody again afterwards."""
    import cv2

    from kiosk.photo.detector import u8
    from kiosk.photo.live_sim import live_citizen

    s = tour.s
    s.until(s.app.prewarmed.is_set, "face models", 60)
    s.view("face_consent")
    if shoot:
        s.shot("face_consent")
    portrait = cv2.imread(str(tour.person(key)["photo_path"]))
    frames = live_citizen(u8(portrait)) if portrait is not None else None
    if frames is None:
        raise RuntimeError(f"screenshots: no live face for {key}")
    s.dev.camera.present_sequence(frames)
    s.tap("button.agree")
    s.view(then)
    s.dev.camera.present(None)


def declined(tour: Any) -> None:
    """Disagreeing: the service ends with the counter guidance (and a way home)."""
    s = tour.s
    tour.start("contact_change")
    s.view("read_id")
    tour.place_id("other_city_resident")
    s.view("face_consent")
    s.tap("button.decline")
    s.until(lambda: s.view_now() is not None and s.view_now().end is not None, "counter guidance")
    s.pump(0.2)
    s.shot("face_consent_declined")
    s.end_home()
