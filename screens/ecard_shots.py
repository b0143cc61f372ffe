"""`make screenshots` of the e-card sign-in (a tour of screens.screenshots)."""

from __future__ import annotations

from typing import Any


def shoot_ecard_screens(tour: Any) -> None:
    """`make screenshots`: the scan screen (the kiosk's code, the scanner picture), a code that
    could not be read, and the services after sign-in. ``tour`` is screens.screenshots.Tour; the
    e-card app is played by the reference central's test hook."""
    import httpx

    s = tour.s
    tour.start("ecard_sign_in")
    s.view("scan_ecard")
    s.shot("ecard_scan")
    s.dev.scanner.show_unreadable()
    s.until(lambda: s.view_now().message == "prompt.ecard_unreadable", "unreadable hint")
    s.pump(0.2)
    s.shot("ecard_unreadable")
    body = {"id_number": tour.person("adult_active_card")["id_number"], "kiosk_id": s.rt.cfg.kiosk.id}
    resp = httpx.post(f"{s.rt.cfg.central.url}/v1/_test/ecard/codes", json=body, timeout=5)
    resp.raise_for_status()
    s.dev.scanner.show(resp.json()["code"])
    s.view("ecard_services")
    s.shot("ecard_services")
    s.tap("button.cancel")
    s.end_home()
