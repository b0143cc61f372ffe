"""UI scenarios: each drives the real app by tapping widgets by id and feeding simulator
events, and returns what the pytest side asserts on (screens seen, central state, sizes).

Run through tests.ui.run_scenario, one Kivy window per process.
"""

from __future__ import annotations

import datetime as dt
import sqlite3
import threading
import time
from pathlib import Path
from typing import Any

from kiosk.clock import CHINA_TZ
from kiosk.demo import chip_of, citizen, id_card_for
from kiosk.domain.services import ServiceId
from tests.ui.harness import UiHarness, test_config

TODAY = dt.datetime.now(CHINA_TZ).date()
FACES = (Path(__file__).resolve().parents[1] / "data" / "faces", Path("/work/shared/data/faces"))


def person(key: str) -> dict[str, Any]:
    p = citizen(key, TODAY)
    if p.get("id_valid_until") == "长期":
        p = {**p, "id_valid_until": None}
    return p


def face_frame_of(p: dict[str, Any]) -> Any:
    """The seeded citizen's portrait (their ID card photo is made from it)."""
    import cv2

    return cv2.imread(str(p["photo_path"]))


def face_frame(name: str = "obama_portrait.jpg") -> Any:
    import cv2

    from tests.photo.synth import kiosk_frame

    for d in FACES:
        img: Any = cv2.imread(str(d / name))
        if img is not None:
            return kiosk_frame(img)
    raise FileNotFoundError(name)


CENTRAL_MAIN = """
import sys
from central_sim.server import run_in_thread
handle = run_in_thread(sys.argv[1], port=0)
print(handle.url, flush=True)
sys.stdin.read()  # serve until the scenario closes our stdin
handle.stop()
"""


class CentralProcess:
    """The reference central (run_in_thread, real HTTP, real SQLite) in its own process, as
    it is in production: its request handling then competes with no UI thread for the GIL."""

    def __init__(self, db: Path) -> None:
        import subprocess
        import sys

        self.proc = subprocess.Popen([sys.executable, "-c", CENTRAL_MAIN, str(db)], stdin=subprocess.PIPE,
                                     stdout=subprocess.PIPE, text=True, cwd=Path(__file__).resolve().parents[2])
        assert self.proc.stdout is not None
        self.url = self.proc.stdout.readline().strip()
        if not self.url.startswith("http"):
            raise RuntimeError("the reference central did not start")

    def stop(self) -> None:
        if self.proc.stdin is not None:
            self.proc.stdin.close()
        try:
            self.proc.wait(10)
        except Exception:
            self.proc.kill()


class Setup:
    """One reference central and one app for the whole run."""

    def __init__(self, workdir: Path, width: int, height: int, names: list[str]) -> None:
        self.workdir = workdir
        self.db = workdir / "central.sqlite"
        self.central = CentralProcess(self.db)
        timeouts = {"idle_s": 60.0, "idle_warning_s": 15.0, "id_card_read_s": 30.0, "card_take_s": 30.0}
        if "idle" in names:
            timeouts.update(idle_s=4.0, idle_warning_s=2.5)
        self.cfg = test_config(workdir / "kiosk", self.central.url, width=width, height=height,
                               timeouts=timeouts)
        self.h = UiHarness(self.cfg)
        self.face_check_gap_s = 0.0  # the longest frame gap during a face check (measured apart)

    @property
    def devices(self) -> Any:
        return self.h.runtime.devices

    def rows(self, sql: str, *params: Any) -> list[tuple[Any, ...]]:
        with sqlite3.connect(self.db) as conn:
            return list(conn.execute(sql, params))

    def one(self, sql: str, *params: Any) -> Any:
        rows = self.rows(sql, *params)
        return rows[0][0] if rows else None

    def size_violations(self) -> list[str]:
        return sorted(set(self.h.size_violations))

    def close(self) -> None:
        self.h.close()
        self.central.stop()

    # ---- common steps --------------------------------------------------------------------------
    def start(self, service: ServiceId) -> None:
        self.h.wait_home()
        self.h.new_transaction()
        kid = f"service.{service.value}"
        for _ in range(6):  # elderly mode pages the lobby one group at a time
            w = self.h.app.widgets.get(kid)
            nxt = self.h.app.widgets.get("attract.next")
            if (w is not None and w.get_root_window() is not None) or nxt is None or nxt.get_root_window() is None:
                break
            self.h.tap("attract.next")
        self.h.tap(kid)

    def place_id(self, key: str) -> None:
        self.h.wait_view("read_id")
        self.devices.id_reader.place(id_card_for(person(key)))

    def insert_card(self, key: str, index: int = 0, pin: str = "888888") -> None:
        self.h.wait_view("insert_card")
        self.devices.card_reader.insert(chip_of(person(key), index, pin))

    def face_check(self, key: str) -> None:
        """人证核验 (issue 17): agree to the face check and stand before the camera as ``key``, blinking."""
        from kiosk.photo.live_sim import live_citizen

        h, app = self.h, self.h.app
        h.pump_until(app.prewarmed.is_set, 30, "face models loaded")
        h.wait_view("face_consent", timeout=20)
        frames = live_citizen(face_frame_of(person(key)))
        assert frames is not None, key
        # measured on its own: dlib on the worker holds the interpreter lock per frame, as in the photo step
        outer = (app.max_frame_gap_s, app.max_frame_cpu_s, list(app.stalls)) if app.measuring else None
        if outer is not None:
            app.start_measuring()
        self.devices.camera.present_sequence(frames)
        h.tap("button.agree")
        h.pump_until(lambda: h.view_name not in ("face_consent", "verifying", "liveness"), 60, "face check done")
        self.devices.camera.present(None)
        if outer is not None:
            self.face_check_gap_s = max(self.face_check_gap_s, app.max_frame_gap_s)
            cpu = max(outer[1], app.max_frame_cpu_s)  # the main thread's own work still counts
            app.max_frame_gap_s, app.max_frame_cpu_s, app.stalls[:] = outer[0], cpu, outer[2]
            app.resume_measuring()

    def pin(self, screen: str, pin: str) -> None:
        """The citizen types on the hardware PIN pad (simulated); the screen shows the count."""
        self.h.wait_view(screen)
        pad = self.devices.pin_pad
        for d in pin:
            pad.press(d)
            self.h.pump(0.02)
        self.h.pump_until(lambda: self.h.view.params.get("digits") == str(len(pin)), 5, "digit count shown")
        dots = self.h.text_of("pin.dots")
        pad.press("enter")
        assert dots.count("●") == len(pin), dots

    def finish(self) -> dict[str, Any]:
        """Tap 返回首页 on the end view; the app returns to the attract screen; cards removed."""
        h = self.h
        h.pump_until(lambda: h.view is not None and h.view.end is not None, 20, "end view")
        end = h.view
        h.check_sizes()
        h.tap("button.home")
        self.devices.id_reader.remove()  # the citizen takes the cards, as the session end asks
        self.devices.card_reader.remove()
        h.wait_home()
        return {"end": end.end.value, "message": end.message, "reasons": list(end.reasons), "screens": list(h.screens)}


# ---- citizen services ------------------------------------------------------------------------------
def loss_report(s: Setup) -> dict[str, Any]:
    p = person("adult_active_card")
    card_no = p["cards"][0]["card_no"]
    s.start(ServiceId.LOSS_REPORT)
    s.place_id("adult_active_card")
    v = s.h.wait_view("confirm_card")
    shown = s.h.text_of("flow.message")
    s.h.tap("button.confirm")
    s.h.wait_view("done")
    out = s.finish()
    out.update(masked=p["name"] not in shown and p["id_number"] not in shown and "*" in shown,
               params_masked=p["id_number"] not in str(v.params),
               card_status=s.one("SELECT status FROM cards WHERE card_no = ?", card_no))
    return out


def pin_change(s: Setup) -> dict[str, Any]:
    s.start(ServiceId.PIN_CHANGE)
    s.insert_card("adult_active_card")
    s.pin("old_pin", "888888")
    s.pin("new_pin", "135790")
    s.pin("new_pin_again", "135790")
    s.h.wait_view("done")
    chip = s.devices.card_reader.chip
    out = s.finish()
    s.h.runtime.forwarder.flush(timeout=10)
    out.update(chip_pin_changed=chip is not None and chip.pin == "135790",
               pin_events=s.one("SELECT COUNT(*) FROM pin_events WHERE event = 'changed'"))
    return out


def activate(s: Setup) -> dict[str, Any]:
    p = person("recent_card_quality")
    s.start(ServiceId.ACTIVATE)
    s.place_id("recent_card_quality")
    s.insert_card("recent_card_quality")
    s.h.wait_view("confirm")
    s.h.tap("button.confirm")
    s.h.wait_view("done")
    out = s.finish()
    out["activated"] = s.one("SELECT activated FROM cards WHERE card_no = ?", p["cards"][0]["card_no"])
    return out


def loss_cancel(s: Setup) -> dict[str, Any]:
    p = person("card_lost")
    s.start(ServiceId.LOSS_CANCEL)
    s.place_id("card_lost")
    s.insert_card("card_lost")
    s.face_check("card_lost")
    s.h.wait_view("confirm")
    s.h.tap("button.confirm")
    s.h.wait_view("done")
    out = s.finish()
    out["card_status"] = s.one("SELECT status FROM cards WHERE card_no = ?", p["cards"][0]["card_no"])
    return out


def contact_change(s: Setup) -> dict[str, Any]:
    """Every field through its on-screen input: keypads, the address picker, its detail keypad."""
    h = s.h
    p = person("other_city_resident")
    s.start(ServiceId.CONTACT_CHANGE)
    s.place_id("other_city_resident")
    s.face_check("other_city_resident")
    h.wait_view("contact_form")
    h.tap("form.edit.mobile")
    h.type_digits("1370000012")
    h.tap("key.9")
    h.tap("key.back")  # a slip, corrected
    h.tap("key.8")
    shown = h.text_of("keypad.display")
    h.tap("form.save")
    h.pump_until(lambda: h.view.params.get("mobile", "").endswith("0128"), 5, "mobile set")
    h.tap("form.edit.address")
    h.tap("address.option.350100")
    h.tap("address.next")
    h.tap("address.prev")
    h.tap("address.option.350102")
    h.type_digits("12")
    h.tap("key.token.号")
    h.tap("key.3")
    h.tap("key.token.栋")
    h.tap("address.done")
    h.pump_until(lambda: h.view.params.get("district") == "350102", 5, "address set")
    address_shown = h.view.params.get("address", "")
    # A short postal code: sent through the answers' check, the form comes back with the error
    # on the postal code's own field (and its focus outline), not only in the list on top.
    h.tap("form.edit.postal_code")
    h.type_digits("3500")
    h.tap("form.save")
    h.pump_until(lambda: h.view.params.get("postal_code") == "3500", 5, "short postal code set")
    h.tap("button.confirm")
    h.tap("button.confirm")
    h.pump_until(lambda: "reason.invalid_postal_code" in h.view.reasons, 5, "postal code refused")
    h.pump(0.05)
    field_error = {f: h.text_of(f"form.edit.{f}") for f in ("postal_code", "mobile")}
    focused = [f for f in ("mobile", "address", "postal_code")
               if getattr(h.app.widgets[f"form.edit.{f}"], "_focus_line", None) is not None]
    h.tap("form.edit.postal_code")
    h.type_digits("350001")
    h.tap("form.save")
    h.pump_until(lambda: h.view.params.get("postal_code") == "350001", 5, "postal code set")
    mobile_button = h.text_of("form.edit.mobile")
    h.tap("button.confirm")  # check your answers first: every value with a 修改 link back to its field
    review = {k: h.text_of(k) for k in ("review.title", "summary.mobile", "summary.address", "summary.postal_code")}
    h.tap("summary.postal_code.edit")  # the link opens that field's editor
    edited_from_review = getattr(h.app.flow.panel, "editing", None)
    h.tap("form.close")
    h.tap("button.confirm")
    h.tap("button.confirm")  # 确认提交
    enter_sms_code(h, "13700000128")  # the new mobile is confirmed by SMS (art. 16)
    h.wait_view("done")
    out = s.finish()
    h.runtime.forwarder.flush(timeout=10)
    stored = s.one("SELECT mobile FROM persons WHERE id_number = ?", p["id_number"])
    out.update(review=review, edited_from_review=edited_from_review, field_error=field_error, focused=focused)
    out.update(keypad_display=shown, mobile_masked="137****0128" in mobile_button and "1370000128" not in mobile_button,
               address_masked=address_shown, central_mobile=stored,
               changes=s.one("SELECT COUNT(*) FROM contact_changes WHERE id_number = ?", p["id_number"]))
    return out


def progress_query(s: Setup) -> dict[str, Any]:
    h = s.h
    s.start(ServiceId.PROGRESS_QUERY)
    s.place_id("replacement_in_progress")
    h.wait_view("applications")
    h.tap("choice.APP-SEED-0007")
    h.wait_view("timeline")
    timeline = [getattr(w, "text", "") for w in h.app.flow.panel.children] if h.app.flow.panel else []
    h.tap("button.home")
    out = s.finish()
    out["timeline_rows"] = [t for t in timeline if t]
    return out


# ---- the camera and the full issuance -------------------------------------------------------------
def fill_details(s: Setup, mobile: str, house: str) -> None:
    h = s.h
    h.wait_view("details")
    h.tap("form.edit.mobile")
    h.type_digits(mobile)
    h.tap("form.save")
    h.pump_until(lambda: h.view.params.get("mobile", "").endswith(mobile[-4:]), 5, "mobile set")
    h.tap("form.edit.address")
    h.tap("address.option.350100")
    h.tap("address.option.350102")
    h.type_digits(house)
    h.tap("key.token.号")
    h.tap("address.done")
    h.pump_until(lambda: h.view.params.get("district") == "350102", 5, "address set")
    h.tap("form.edit.postal_code")
    h.type_digits("350001")
    h.tap("form.save")
    h.pump_until(lambda: h.view.params.get("postal_code") == "350001", 5, "postal code set")
    h.tap("button.confirm")  # check your answers
    h.tap("button.confirm")  # 确认提交
    enter_sms_code(h, mobile)  # the applicant's mobile is confirmed by SMS (issue 21 §2)


def photo(s: Setup) -> dict[str, Any]:
    """The live camera step of 申领: preview, face guide, the checks' instructions, auto-capture,
    retake, accept; then the citizen cancels at the details form (nothing is submitted).

    Its main-thread stalls are reported apart: dlib's face detector keeps the interpreter lock
    for each frame it analyses on the worker (see the report to the lead)."""
    h = s.h
    s.devices.camera.present(None)  # nobody in front of the camera yet
    h.wait_home()
    h.pump_until(h.app.prewarmed.is_set, 30, "face models loaded")
    h.app.start_measuring()
    voice_mark = len(s.devices.audio.log)
    s.start(ServiceId.APPLY)
    s.place_id("adult_never_applied")
    s.face_check("adult_never_applied")
    h.wait_view("photo_choice")
    picture = h.app.widgets["flow.picture"].kind
    h.tap("button.take_new")
    h.wait_view("photo", timeout=20)
    h.pump_until(lambda: h.view.params.get("hint") == "no_face", 10, "no-face instruction")
    h.pump_until(lambda: h.app.widgets["camera.preview"].frames_shown >= 3, 10, "live preview frames")
    no_face_text = h.text_of("flow.message")
    guide_good_without_face = h.app.widgets["camera.preview"].good
    hints: set[str] = set()
    s.devices.camera.present(face_frame())  # the citizen steps in front of the camera

    def watch() -> bool:
        if h.view_name == "photo":
            hints.add(h.view.params.get("hint", ""))
        return h.view_name == "photo_confirm"

    h.pump_until(watch, 60, "auto-capture")
    h.wait_view("photo_confirm")
    h.pump_until(lambda: h.app.widgets["camera.preview"].frames_shown >= 1, 5, "captured picture shown")
    h.tap("button.retake")
    h.wait_view("photo", timeout=20)
    h.wait_view("photo_confirm", timeout=60)
    h.tap("button.confirm")
    h.wait_view("details")
    h.tap("button.cancel")
    out = s.finish()
    h.app.pause_measuring()
    out.update(max_frame_gap_s=h.app.max_frame_gap_s, max_frame_cpu_s=h.app.max_frame_cpu_s,
               stalls=h.app.stalls[:10], hints=sorted(hints - {""}),
               no_face_text=no_face_text, guide_good_without_face=guide_good_without_face,
               choice_picture=picture,
               voice=[stem for e in s.devices.audio.log[voice_mark:] if e[0] == "play" for stem in e[1:]],
               applications=s.one("SELECT COUNT(*) FROM applications WHERE id_number = ?",
                                  person("adult_never_applied")["id_number"]))
    return out


def issuance(s: Setup) -> dict[str, Any]:
    """申领 + 即时制卡 through the UI: ID card, the photo on file, the details form, production,
    the card taken from the bezel, the PIN changed on the new card, the receipt; the main
    thread's longest stall is measured from the first tap to the end view."""
    h = s.h
    p = person("adult_never_applied")
    h.wait_home()
    h.pump_until(h.app.prewarmed.is_set, 30, "face models loaded")
    h.pump(0.3)
    h.app.start_measuring()
    voice_mark = len(s.devices.audio.log)  # the prompts spoken (simulated speaker's log)
    s.start(ServiceId.APPLY)
    s.place_id("adult_never_applied")
    s.face_check("adult_never_applied")
    h.wait_view("photo_choice")
    h.tap("button.use_on_file")
    from kivy.clock import Clock

    card_in_slot: dict[str, bool] = {}  # screen → was 取消 on screen while the new card was in the issuer

    def watch(_dt: float) -> None:
        v, cancel = h.app.flow.view, h.app.widgets.get("button.cancel")
        if v is not None and v.screen in ("producing", "take_card") and h.screen == "flow":
            shown = cancel is not None and cancel.get_root_window() is not None
            card_in_slot[v.screen] = card_in_slot.get(v.screen, False) or shown

    watcher = Clock.schedule_interval(watch, 0)
    fill_details(s, "13800000001", "1")
    h.wait_view("take_card", timeout=30)
    h.pump(0.1)
    watcher.cancel()
    gc_held = h.app.collections.holding  # full GC passes wait while the citizen is served
    progress = h.text_of("flow.progress")
    picture = h.app.widgets["flow.picture"].kind
    issuer = s.devices.issuer
    bezel = issuer.position.value
    issuer.take_card()
    h.wait_view("pin_offer")
    h.tap("button.change_pin")
    card_no = s.one("SELECT card_no FROM applications WHERE id_number = ?", p["id_number"])
    h.wait_view("insert_card")
    s.devices.card_reader.insert(
        chip_of({**p, "cards": [{"card_no": card_no, "city": "350100", "issued_at": None}]}))
    s.pin("old_pin", "888888")
    s.pin("new_pin", "258046")
    s.pin("new_pin_again", "258046")
    h.wait_view("done", timeout=20)
    h.app.pause_measuring()
    out = s.finish()
    h.pump_until(lambda: not h.app.collections.holding, 5, "the held full GC pass")
    out["full_gc"] = {"held_in_session": gc_held, "pass_after_s": h.app.collections.last_pass_s}
    out["voice"] = [list(e) for e in s.devices.audio.log[voice_mark:]]
    out["face_check_gap_s"] = s.face_check_gap_s
    h.runtime.forwarder.flush(timeout=15)
    out.update(
        max_frame_gap_s=h.app.max_frame_gap_s, max_frame_cpu_s=h.app.max_frame_cpu_s,
        stalls=h.app.stalls[:20], frames=h.app.frames,
        bezel_position=bezel, taken=issuer.position.value, printed_faces=len(issuer.printed_faces),
        progress_text=progress, take_picture=picture, cancel_while_card_in_slot=card_in_slot,
        application_status=s.one("SELECT status FROM applications WHERE id_number = ?", p["id_number"]),
        card_status=s.one("SELECT status FROM cards WHERE card_no = ?", card_no),
        chip_atr_recorded=s.one("SELECT chip_atr FROM cards WHERE card_no = ?", card_no) is not None,
        timeline=[r[0] for r in s.rows("SELECT t.status FROM application_timeline t JOIN applications a "
                                       "USING (application_id) WHERE a.id_number = ? ORDER BY seq", p["id_number"])],
    )
    return out


def replace(s: Setup) -> dict[str, Any]:
    """补换卡 for a lost card already reported: reason, the photo on file, details, a new card."""
    h = s.h
    p = person("card_lost")
    s.start(ServiceId.REPLACE)
    s.place_id("card_lost")
    h.wait_view("choose_reason")
    h.tap("choice.lost")
    s.face_check("card_lost")
    h.wait_view("fee_statement")  # the 工本费, before committing (arts. 33, 50)
    h.tap("button.confirm")
    h.wait_view("keep_account")
    h.tap("button.new_account")
    h.pump_until(lambda: h.view_name in ("photo_choice", "details", "photo"), 15, "after reason")
    if h.view_name == "photo_choice":
        h.tap("button.use_on_file")
    fill_details(s, "13800000006", "6")
    h.wait_view("payment_qr", timeout=30)
    out_paid = _pay_shown_order(h)
    h.wait_view("take_card", timeout=30)
    s.devices.issuer.take_card()
    h.wait_view("pin_offer")
    h.tap("button.skip")
    h.wait_view("done", timeout=20)
    out = s.finish()
    out["fee_paid"] = out_paid
    h.runtime.forwarder.flush(timeout=15)
    out["application"] = s.rows("SELECT kind, reason, status FROM applications WHERE id_number = ? "
                                "ORDER BY created_at DESC LIMIT 1", p["id_number"])[0]
    return out


def enter_sms_code(h: Any, mobile: str) -> None:
    """Read the code the phone received (the central's loopback hook) and type it on the otp screen."""
    import httpx

    h.wait_view("otp")
    measuring = h.app.measuring
    h.app.pause_measuring()  # reading the phone is the test's own work on this thread, not a UI stall
    r = httpx.post(f"{h.runtime.cfg.central.url}/_admin/sms/inbox", json={"mobile": mobile}, timeout=5)
    if measuring:
        h.app.resume_measuring()
    h.type_digits(str(r.json()["code"]))
    h.tap("button.submit_code")


def _pay_shown_order(h: Any) -> bool:
    """The citizen scans the payment QR code and pays (the reference central's loopback pay hook)."""
    import httpx

    order = h.app.flow.view.params["payment_id"]
    r = httpx.post(f"{h.runtime.cfg.central.url}/_admin/payments/{order}/pay", json={}, timeout=5)
    return r.status_code == 200 and bool(r.json().get("charged"))


def pin_reset(s: Setup) -> dict[str, Any]:
    """重置密码: ID card + card, a blink in front of the camera, the face matched, a new PIN."""
    from kiosk.photo.detector import detect_faces
    from tests.photo.synth import blink_sequence

    h = s.h
    frame = face_frame("obama_portrait.jpg")
    faces = detect_faces(frame)
    seq = blink_sequence(frame, faces[0].landmarks, open_before=4, closed=3, open_after=4)
    stop = threading.Event()

    def act_out_blinks() -> None:  # the citizen in front of the camera, as the simulator shows it
        i = 0
        while not stop.is_set():
            s.devices.camera.present(seq[i % len(seq)])
            i += 1
            time.sleep(0.12)

    from tests.flows.test_pin_reset import hsm_reset_pin  # the card side of the reference HSM

    s.start(ServiceId.PIN_RESET)
    s.place_id("adult_active_card")
    h.wait_view("insert_card")
    chip = chip_of(person("adult_active_card"), 0, "111111")
    chip.tries_left = 0  # locked: the reason to come for a reset
    chip.reset_pin_hook = hsm_reset_pin
    s.devices.card_reader.insert(chip)
    actor = threading.Thread(target=act_out_blinks, daemon=True)
    actor.start()
    try:
        h.wait_view("face_consent", timeout=30)  # 人证核验: the separate consent first (issue 17)
        h.tap("button.agree")
        h.wait_view("liveness", timeout=30)
        h.pump_until(lambda: h.app.widgets["camera.preview"].frames_shown >= 2, 10, "live preview")
        h.pump_until(lambda: h.view_name not in ("liveness", "verifying"), 60, "face check done")
    finally:
        stop.set()
        actor.join()
    after_face, check_next = h.view_name, ""
    if after_face == "confirm":  # check your answers (kiosk/flows/check_answers.py) before the new PIN
        check_next = h.text_of("check.next_text")
        h.tap("button.confirm")
        h.wait_view("new_pin")
        s.pin("new_pin", "246801")
        s.pin("new_pin_again", "246801")
    out = s.finish()
    out["after_face"] = after_face
    out["check_next"] = check_next
    out["chip_pin_reset"] = chip.pin == "246801" and chip.tries_left == 6
    out["authorizations"] = s.one("SELECT COUNT(*) FROM pin_authorizations")
    return out


# ---- the kiosk around the services -------------------------------------------------------------------
def attract(s: Setup) -> dict[str, Any]:
    """Every service on the attract screen; one switch to English and back changes every text."""
    h = s.h
    h.wait_home()
    h.check_sizes()
    zh = {k: h.text_of(k) for k in ("attract.title", "service.apply", "button.language")}
    h.tap("button.language")
    h.check_sizes()
    en = {k: h.text_of(k) for k in zh}
    h.tap("button.language")
    return {"zh": zh, "en": en, "services": sorted(k for k in h.app.widgets if k.startswith("service."))}


def degraded(s: Setup) -> dict[str, Any]:
    """A device down disables the services that need it, with the reason; all down → out of service."""
    h = s.h
    issuer = s.devices.issuer
    issuer.steer("unplug")
    h.pump_until(lambda: h.app.widgets["service.apply"].disabled, 5, "apply disabled")
    apply_text = h.text_of("service.apply")
    loss_enabled = not h.app.widgets["service.loss_report"].disabled
    issuer.steer("plug")
    h.pump_until(lambda: not h.app.widgets["service.apply"].disabled, 5, "apply enabled")
    from kiosk.runtime import Mode

    h.runtime.set_mode(Mode.OUT_OF_SERVICE, "请到鼓楼区五四路 1 号网点柜台办理")
    h.pump_until(lambda: h.screen == "out_of_service", 5, "out of service")
    h.check_sizes()
    oos = {k: h.text_of(k) for k in ("oos.title", "oos.counter", "oos.hotline", "oos.reason")}
    h.runtime.set_mode(Mode.IN_SERVICE)
    h.pump_until(lambda: h.screen == "attract", 5, "back in service")
    return {"apply_text": apply_text, "loss_enabled_while_issuer_down": loss_enabled, "oos": oos}


def lockdown(s: Setup) -> dict[str, Any]:
    """Escape, Alt+F4 (key and window close) and a second finger do nothing."""
    from kivy.core.window import Window
    from kivy.tests.common import UnitTestTouch

    h = s.h
    h.wait_home()
    out: dict[str, Any] = {}
    s.start(ServiceId.LOSS_REPORT)
    h.wait_view("read_id")
    Window.dispatch("on_key_down", 27, 41, None, [])
    Window.dispatch("on_keyboard", 27, 41, None, [])
    Window.dispatch("on_key_up", 27, 41)
    h.pump(0.2)
    out["after_escape"] = (h.screen, h.view_name, h.app.channel is not None)
    Window.dispatch("on_key_down", 285, 61, None, ["alt"])
    Window.dispatch("on_keyboard", 285, 61, None, ["alt"])
    closed = Window.dispatch("on_request_close")
    h.pump(0.2)
    out["after_alt_f4"] = (h.screen, h.view_name, h.app.channel is not None)
    out["request_close_refused"] = bool(closed)
    # Two fingers: the first lands on empty space, the second on 取消 — the second is dropped.
    cancel = h.app.widgets["button.cancel"]
    cx, cy = cancel.to_window(*cancel.center)
    first = UnitTestTouch(5, Window.height / 2)
    second = UnitTestTouch(cx, cy)
    first.touch_down()
    second.touch_down()
    second.touch_up()
    first.touch_up()
    h.pump(0.3)
    out["after_two_fingers"] = (h.screen, h.view_name)
    out["dropped_touches"] = h.app.root_layout.dropped_touches
    # One finger on 取消 works: the same spot, so the drop above was the second finger's.
    single = UnitTestTouch(cx, cy)
    single.touch_down()
    single.touch_up()
    h.pump_until(lambda: h.view is not None and h.view.end is not None, 5, "cancelled")
    out["after_one_finger"] = h.view.end.value
    h.tap("button.home")
    h.wait_home()
    out["cursor_hidden"] = not Window.show_cursor
    from kivy.config import Config as KivyConfig

    out["input_providers"] = dict(KivyConfig.items("input"))  # only what the configuration names
    return out


def maintenance(s: Setup) -> dict[str, Any]:
    """Five taps in the top-left corner within 3 s, then ID and password → the runtime's hook."""
    from kivy.core.window import Window
    from kivy.tests.common import UnitTestTouch

    h = s.h
    h.wait_home()
    calls: list[tuple[str, int]] = []
    rt = h.runtime

    def hook(technician: str, password: str) -> bool:
        calls.append((technician, len(password)))
        return False

    setattr(rt, "enter_maintenance_requested", hook)  # noqa: B010 - stands in for the technician service

    def corner_taps(n: int, pause: float) -> None:
        for _ in range(n):
            t = UnitTestTouch(8, Window.height - 8)
            t.touch_down()
            t.touch_up()
            h.pump(pause)

    corner_taps(4, 0.05)
    four = h.app.login is not None
    corner_taps(1, 0.05)
    opened = h.app.login is not None
    h.check_sizes()
    h.type_digits("1001")
    h.tap("maint.ok")
    h.type_digits("246810")
    shown = h.text_of("keypad.display")
    h.tap("maint.ok")
    failed_still_open = h.app.login is not None
    h.tap("maint.cancel")
    closed = h.app.login is None
    delattr(rt, "enter_maintenance_requested")
    return {"opened_after_four": four, "opened_after_five": opened, "calls": calls, "password_shown": shown,
            "failed_still_open": failed_still_open, "closed": closed}


def idle(s: Setup) -> dict[str, Any]:
    """Idle on a screen: the countdown runs, "need more time?" appears, more time restarts the
    timer, and at expiry the session ends and the attract screen returns; card removal ends too."""
    h = s.h
    out: dict[str, Any] = {}
    s.start(ServiceId.LOSS_REPORT)
    s.place_id("adult_active_card")
    h.wait_view("confirm_card")
    first = h.text_of("flow.countdown")
    h.pump_until(lambda: h.app.flow.prompt is not None, 5, "more-time prompt")
    out["prompt"] = h.text_of("prompt.question")
    # Drawn above the floating language button: later children of the root are drawn on top.
    layers = list(reversed(h.app.root_layout.children))
    out["prompt_above_language"] = layers.index(h.app.flow.prompt) > layers.index(h.app.lang_button)
    h.check_sizes()
    h.tap("button.more_time")
    h.pump(0.3)
    out["countdown_after_more_time"] = h.app.flow.seconds_left()
    out["countdown_first"] = first
    h.pump_until(lambda: h.screen == "attract", 10, "home after expiry")
    out["ends"] = [r.end.value for r in h.app.ends_seen[-1:]]
    s.devices.id_reader.remove()
    # Card removal mid-flow ends the session (activate watches the card once it is read).
    s.start(ServiceId.ACTIVATE)
    s.place_id("recent_card_quality")
    s.insert_card("recent_card_quality")
    h.wait_view("confirm")
    s.devices.card_reader.remove()
    h.pump_until(lambda: h.view is not None and h.view.end is not None, 5, "card removed end")
    out["removed_end"] = h.view.end.value
    out["removed_message"] = h.text_of("flow.message")
    h.tap("button.home")
    h.wait_home()
    s.devices.id_reader.remove()
    return out


def glyphs(s: Setup) -> dict[str, Any]:
    """䶮 (U+4DAE) and 𠮷 (U+20BB7) draw real glyphs, unlike an unassigned code point (the box)."""
    import numpy as np
    from kivy.core.text import Label as CoreLabel

    from kiosk.fonts import with_fallback_markup

    def pixels(ch: str) -> Any:
        lbl = CoreLabel(text=with_fallback_markup(ch), markup=True, font_size=64)
        lbl.refresh()
        tex = lbl.texture
        arr = np.frombuffer(tex.pixels, dtype=np.uint8).reshape(tex.height, tex.width, 4)[:, :, 3]
        return (arr > 127).astype(np.uint8)

    def same_box(a: Any, b: Any) -> bool:
        return bool(a.shape == b.shape and (a == b).mean() > 0.98)

    missing_a, missing_b = pixels("\U0010fffd"), pixels("\U00030000"[:0] + "\U0003fffd")
    out: dict[str, Any] = {"missing_same": same_box(missing_a, missing_b)}
    for name, ch in (("yan", "\u4dae"), ("ji", "\U00020bb7"), ("common", "林")):
        px = pixels(ch)
        out[name] = {"ink": int(px.sum()), "is_box": same_box(px, missing_a)}
    out["missing_ink"] = int(missing_a.sum())
    # The names on a real screen: the rare-char citizens' masked names keep the first character.
    return out


from tests.ui.child_without_id_scenario import child_without_id  # noqa: E402,F401  (issue 21 §3)
