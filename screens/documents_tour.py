"""The document-capture screens for ``make screenshots`` (screens.screenshots.Tour calls ``shoot``):
代办 (art. 51) from the attract screen: the service choice, the principal's ID card, the document
camera's instructions (place it, glare, blur) and the captured preview with its retake button."""

from __future__ import annotations

from typing import Any

from screens import face_shots


def shoot(tour: Any) -> None:
    """``tour``: screens.screenshots.Tour (its Shooter ``s``, ``start`` and ``place_id``)."""
    s = tour.s
    cam = s.dev.document_camera
    cam.steer("document", kind="none")
    tour.start("proxy")
    s.view("proxy_service")
    s.shot("proxy_service")
    s.tap("choice.contact_change")
    s.view("read_proxy_id")
    tour.place_id("adult_never_applied")
    face_shots.through(tour, "adult_never_applied", "read_principal_id")  # the proxy's own face
    s.view("read_principal_id")
    s.shot("proxy_read_principal_id")
    tour.place_id("adult_active_card")
    s.view("document_place")
    s.shot("document_place")
    for fault in ("glare", "blur"):
        cam.steer("fault", kind=fault)
        cam.steer("document", kind="authorisation_letter")
        hint = "glare" if fault == "glare" else "blurred"
        s.until(lambda h=hint: s.view_now().params.get("hint") == h, f"document {hint}")
        s.pump(0.2)
        s.shot(f"document_{hint}")
    cam.steer("fault", kind="none")
    s.view("document_preview")
    s.shot("document_preview")
    s.tap("button.cancel")
    s.end_home()
    cam.steer("document", kind="household_register")
