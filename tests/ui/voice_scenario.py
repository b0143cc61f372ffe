"""Voice guidance through the real app, offscreen, with the simulated speaker:

    python -m tests.ui.voice_scenario WORKDIR [--size 1280x800]

The attract and out-of-service screens speak on 重听 (and out of service when it comes up),
a language switch re-speaks, a flow's 重听 replays its prompt, a screen change stops speech,
elderly mode speaks its countdown, and a full issuance in English (a new photo taken at the
camera) plays the right prompt sequence. Prints one JSON line prefixed like run_scenario's.
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path
from typing import Any

from kiosk.domain.services import ServiceId
from tests.ui.run_scenario import emit, record_failure
from tests.ui.scenarios import Setup, face_frame, fill_details, person


def log_since(s: Setup, mark: int) -> list[list[str]]:
    return [list(e) for e in s.devices.audio.log[mark:]]


def home(s: Setup) -> dict[str, Any]:
    """Attract: silent until 重听; the language button re-speaks; out of service speaks on show."""
    from kiosk.runtime import Mode

    h, audio = s.h, s.devices.audio
    h.wait_home()
    out: dict[str, Any] = {"idle_attract": log_since(s, 0)}
    mark = len(audio.log)
    h.tap("button.repeat")
    h.tap("button.language")
    h.tap("button.language")
    out["attract"] = log_since(s, mark)
    mark = len(audio.log)
    h.runtime.set_mode(Mode.OUT_OF_SERVICE, "请到柜台办理")
    h.pump_until(lambda: h.screen == "out_of_service", 5, "out of service")
    h.pump(0.3)  # device polls refresh the screen: it must not speak again
    h.tap("button.repeat")
    out["oos"] = log_since(s, mark)
    h.runtime.set_mode(Mode.IN_SERVICE)
    h.pump_until(lambda: h.screen == "attract", 5, "back in service")
    return out


def controls(s: Setup) -> dict[str, Any]:
    """A flow's 重听, a language switch mid-flow, the elderly countdown, and stop on going home."""
    h, audio = s.h, s.devices.audio
    h.wait_home()
    mark = len(audio.log)
    h.tap("button.elderly")
    h.tap("button.elderly")
    h.tap("button.elderly")
    out: dict[str, Any] = {"elderly_on": log_since(s, mark)}
    mark = len(audio.log)
    s.start(ServiceId.LOSS_REPORT)
    h.wait_view("read_id")
    h.pump(0.1)
    h.tap("button.repeat")
    h.tap("button.language")
    h.tap("button.language")
    out["read_id"] = log_since(s, mark)
    s.place_id("adult_active_card")
    h.wait_view("confirm_card")
    mark = len(audio.log)
    h.app.flow.deadline = time.monotonic() + 6.0  # the screen's countdown near its end, no waiting a minute
    h.pump_until(lambda: h.app.flow.prompt is not None, 3, "more-time prompt")
    h.pump_until(lambda: (h.app.flow.seconds_left() or 0) <= 4, 4, "five seconds left")
    h.pump(0.3)
    out["countdown"] = log_since(s, mark)
    h.tap("button.more_time")
    h.pump(0.2)
    mark = len(audio.log)
    h.tap("button.cancel")
    h.pump_until(lambda: h.view is not None and h.view.end is not None, 5, "cancelled")
    h.pump(0.1)
    h.tap("button.home")
    h.wait_home()
    out["cancel_home"] = log_since(s, mark)
    out["elderly_after"] = h.app.elderly
    s.devices.id_reader.remove()
    return out


def issuance_en(s: Setup) -> dict[str, Any]:
    """申领 + 即时制卡 in English, the photo taken at the camera: the prompts in order."""
    h, audio = s.h, s.devices.audio
    p = person("adult_never_applied")
    s.devices.camera.present(None)
    h.wait_home()
    h.pump_until(h.app.prewarmed.is_set, 30, "face models loaded")
    h.tap("button.language")
    mark = len(audio.log)
    s.start(ServiceId.APPLY)
    s.place_id("adult_never_applied")
    s.face_check("adult_never_applied")  # 人证核验 (issue 17)
    h.wait_view("photo_choice")
    h.tap("button.take_new")
    h.wait_view("photo", timeout=20)
    h.pump_until(lambda: h.view.params.get("hint") == "no_face", 10, "no-face instruction")
    h.pump(0.5)
    s.devices.camera.present(face_frame())
    h.wait_view("photo_confirm", timeout=60)
    h.tap("button.confirm")
    fill_details(s, "13800000002", "2")
    h.wait_view("take_card", timeout=30)
    s.devices.issuer.take_card()
    h.wait_view("pin_offer")
    h.tap("button.change_pin")
    card_no = s.one("SELECT card_no FROM applications WHERE id_number = ?", p["id_number"])
    h.wait_view("insert_card")
    from kiosk.demo import chip_of

    s.devices.card_reader.insert(chip_of({**p, "cards": [{"card_no": card_no, "city": "350100", "issued_at": None}]}))
    s.pin("old_pin", "888888")
    s.pin("new_pin", "258046")
    s.pin("new_pin_again", "258046")
    h.wait_view("done", timeout=20)
    h.pump(0.1)
    out = s.finish()
    out["log"] = log_since(s, mark)
    out["lang_after"] = h.app.lang
    return out


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("workdir")
    ap.add_argument("--size", default="1280x800")
    args = ap.parse_args(argv)
    width, height = (int(v) for v in args.size.split("x"))
    report: dict[str, Any] = {"ok": False, "scenarios": {}}
    started = time.monotonic()
    setup: Setup | None = None
    try:
        setup = Setup(Path(args.workdir), width, height, [])
        for name, scenario in (("home", home), ("controls", controls), ("issuance_en", issuance_en)):
            t0 = time.monotonic()
            result = scenario(setup)
            result["seconds"] = round(time.monotonic() - t0, 2)
            report["scenarios"][name] = result
        report["size_violations"] = setup.size_violations()
        report["ok"] = True
    except BaseException as exc:  # the report must say what failed
        record_failure(report, exc)
    finally:
        if setup is not None:
            report["audio_log_tail"] = [list(e) for e in setup.devices.audio.log[-12:]]
            setup.close()
    return emit(report, started)


if __name__ == "__main__":
    raise SystemExit(main())
