"""Elderly mode through the real app, offscreen, in one language (a subprocess per language):

    python -m tests.ui.elderly_scenario WORKDIR --lang zh|en [--size 1280x800]

One tap on the attract screen turns it on; it holds for every view of the session and is off
again when the session ends and when the attract screen sits idle. At every screen visited
(attract pages, loss report, PIN change, contact change with its editors, a full issuance with
the camera, out of service) each label's rendered text is compared with its box
(UiHarness.check_clipping). Prints one JSON line prefixed like run_scenario's.
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path
from typing import Any

from kiosk.domain.services import ServiceId
from tests.ui.run_scenario import emit, record_failure

COUNTER = "请到鼓楼区五四路 1 号网点柜台办理 / Please visit the Wusi Road 1 counter"


class Walk:
    def __init__(self, workdir: Path, lang: str, width: int, height: int) -> None:
        from tests.ui.scenarios import Setup

        self.s = Setup(workdir, width, height, [])
        self.h = self.s.h
        self.lang = lang
        self.shots: Path | None = None
        self.out: dict[str, Any] = {"sessions": []}
        self.views: dict[str, list[float]] = {}  # service/screen → message font sizes while shown
        self.views_normal: list[str] = []  # views shown while the app was not in elderly mode
        from kivy.clock import Clock

        self.normal_body = self.font("service.apply")
        Clock.schedule_interval(self._watch, 0)

    # ---- helpers -------------------------------------------------------------------------------
    def font(self, kid: str) -> float:
        return float(self.h.app.widgets[kid].font_size)

    def _watch(self, _dt: float) -> None:
        app = self.h.app
        v = app.flow.view
        if app.sm.current != "flow" or v is None or app.channel is None:
            return
        key = f"{v.service.value}/{v.screen}"
        if not app.elderly:
            self.views_normal.append(key)
        self.views.setdefault(key, []).append(float(app.flow.message.font_size))

    def clip(self, where: str) -> None:
        self.h.check_clipping(f"{self.lang}:{where}")
        if self.h.app.elderly:
            self.h.check_contrast(f"{self.lang}:{where}", 7.0)
        if self.shots is not None:  # for a person looking into a failure
            self.h.shot(self.shots / f"{self.lang}-{where}.png")

    def view(self, screen: str, timeout: float = 15.0) -> None:
        self.h.wait_view(screen, timeout)
        self.clip(screen)

    def begin(self, service: ServiceId) -> None:
        """The citizen picks the language, taps 长辈模式, finds the service on its page."""
        h = self.h
        h.wait_home()
        assert not h.app.elderly, "elderly mode left on for the next citizen"
        if h.app.lang != self.lang:
            h.tap("button.language")
        h.tap("button.elderly")
        assert h.app.elderly
        kid = f"service.{service.value}"
        for _ in range(4):
            w = h.app.widgets.get(kid)
            if w is not None and w.get_root_window() is not None:
                break
            h.tap("attract.next")
        self.clip(f"attract-page-{h.app.attract.page + 1}")
        h.new_transaction()
        h.tap(kid)

    def end(self) -> None:
        """返回首页 on the end view; the next citizen gets the normal look."""
        h = self.h
        h.pump_until(lambda: h.app.channel is None or (h.view is not None and h.view.end is not None), 20,
                     "end view")
        h.pump(0.05)
        v = h.view
        if h.app.channel is not None and v is not None and v.end is not None:  # the end view waits for 返回首页
            # Read before anything pumps: a flow that ends by itself (the timeline's 返回首页)
            # may reach the attract screen during the next frames.
            elderly_at_end, service, end = h.app.elderly, v.service.value, v.end.value
            self.clip(f"end-{v.service.value}")

            def home_ready() -> bool:
                w = h.app.widgets.get("button.home")
                return w is not None and not w.disabled and w.get_root_window() is not None

            h.pump_until(lambda: h.app.channel is None or home_ready(), 10, "返回首页")
            if h.app.channel is not None:
                h.app.tap("button.home")
        else:  # the citizen already chose 返回首页 (e.g. from the timeline): the session is over
            h.pump_until(lambda: h.app.channel is None, 20, "session end")
            last = h.app.views_seen[-1]
            elderly_at_end, service, end = self.elderly_when(last), last.service.value, h.app.ends_seen[-1].end.value
        h.wait_home()
        h.pump(0.05)
        self.out["sessions"].append({"service": service, "end": end,
                                     "elderly_at_end": elderly_at_end, "elderly_after": h.app.elderly,
                                     "attract_font_after": self.font("service.apply")})
        self.s.devices.id_reader.remove()
        self.s.devices.card_reader.remove()

    def elderly_when(self, view: Any) -> bool:
        """Whether the views of ``view``'s session were rendered in the elderly look (the frame
        watcher saw them so; a last view replaced within one frame is never drawn)."""
        seen = [k for k in self.views if k.startswith(f"{view.service.value}/")]
        return bool(seen) and not any(k in self.views_normal for k in seen)

    def reveal(self, kid: str, nav: str) -> None:
        """Turn the pages of a paged list (elderly mode) until ``kid`` is on screen."""
        h = self.h
        for _ in range(2):
            for _ in range(6):
                w = h.app.widgets.get(kid)
                if w is not None and w.get_root_window() is not None:
                    return
                step = h.app.widgets.get(nav)
                if step is None or step.disabled or step.get_root_window() is None:
                    break
                h.tap(nav)
            nav = nav.replace(".next", ".prev")

    def keypad_field(self, field: str, digits: str) -> None:
        h = self.h
        self.reveal(f"form.edit.{field}", "form.next")
        self.clip(f"form-page-{field}")
        h.tap(f"form.edit.{field}")
        h.type_digits(digits)
        self.clip(f"keypad-{field}")
        h.tap("form.save")
        h.pump_until(lambda: bool(h.view.params.get(field)), 5, f"{field} set")
        self.clip(f"form-after-{field}")

    def address(self, house: str) -> None:
        h = self.h
        self.reveal("form.edit.address", "form.next")
        h.tap("form.edit.address")
        self.clip("address-city")
        h.tap("address.option.350100")
        self.clip("address-district")
        if "address.next" in h.app.widgets and not h.app.widgets["address.next"].disabled:
            h.tap("address.next")
            self.clip("address-district-page-2")
            h.tap("address.prev")
        h.tap("address.option.350102")
        h.type_digits(house)
        h.tap("key.token.号")
        self.clip("address-detail")
        h.tap("address.done")
        h.pump_until(lambda: h.view.params.get("district") == "350102", 5, "address set")
        self.clip("form-after-address")

    # ---- the walk ------------------------------------------------------------------------------
    def run(self) -> dict[str, Any]:
        h = self.h
        h.check_clipping_on_views = True
        h.wait_home()
        out = self.out
        out["normal_attract_font"] = self.normal_body
        if h.app.lang != self.lang:
            h.tap("button.language")
        self.clip("attract-normal")
        # The attract pages, turned forward and back.
        h.tap("button.elderly")
        out["switch_ms"] = round(h.app.theme_switch_s * 1000, 1)
        out["elderly_attract_font"] = self.font("service.apply")
        pages = []
        for _ in range(6):  # until 下一页 is disabled
            pages.append(sorted(k.removeprefix("service.") for k, w in h.app.widgets.items()
                                if k.startswith("service.") and w.get_root_window() is not None))
            self.clip(f"attract-page-{h.app.attract.page + 1}")
            if h.app.widgets["attract.next"].disabled:
                break
            h.tap("attract.next")
        out["pages"] = pages
        h.tap("attract.prev")
        # The attract screen left alone: the walk-away's choice is wiped.
        h.app.elderly_idle_s = 1.0
        h.pump_until(lambda: not h.app.elderly, 5, "elderly mode wiped on an idle attract screen")
        out["idle_wiped"] = True
        out["font_after_idle"] = self.font("service.apply")
        h.app.elderly_idle_s = 600.0
        self.loss_report()
        self.pin_change()
        self.pin_on_screen()
        self.contact_change()
        self.issuance()
        self.progress_query()
        self.refused()
        self.device_down()
        self.out_of_service()
        out["checker_catches"] = self.checkers_catch()
        out["views"] = {k: [min(v), max(v)] for k, v in self.views.items()}
        out["views_normal"] = sorted(set(self.views_normal))
        out["clip_checks"] = h.clip_checks
        out["clip_violations"] = sorted(set(h.clip_violations))
        out["contrast_checks"] = h.contrast_checks
        out["contrast_violations"] = sorted(set(h.contrast_violations))
        out["size_violations"] = sorted(set(h.size_violations))
        return out

    def checkers_catch(self) -> dict[str, bool]:
        """The checks can fail: a long text in a small box, a second line in a one-line box, a
        box pushed out of an overfull layout and grey text on grey are each reported."""
        from kivy.uix.boxlayout import BoxLayout

        from screens.widgets import Text

        h = self.h
        box = BoxLayout(orientation="vertical", size_hint=(None, None), size=(300, 120), pos=(20, 20))
        cases = {"wraps": Text("一二三四五六七八九十一二三四五六七八九十", size_hint_y=None, height=60),
                 "pushed": Text("x", size_hint_y=None, height=200),
                 "grey": Text("grey", size_hint_y=None, height=80, color=(0.6, 0.6, 0.6, 1))}
        for name, w in cases.items():
            w.kiosk_id = f"selftest.{name}"
            box.add_widget(w)
        clipped, low = list(h.clip_violations), list(h.contrast_violations)
        h.app.root_layout.add_widget(box)
        h.pump(0.1)
        found = h.check_clipping("self-test") + h.check_contrast("self-test", 7.0)
        h.app.root_layout.remove_widget(box)
        h.clip_violations[:], h.contrast_violations[:] = clipped, low  # the real screens' findings only
        h.pump(0.05)
        return {"wraps_out": any("selftest.wraps text" in v for v in found),
                "pushed_out": any("selftest.pushed box" in v and "outside" in v for v in found),
                "grey_on_white": any("selftest.grey" in v and ":1" in v for v in found)}

    def loss_report(self) -> None:
        h, s = self.h, self.s
        self.begin(ServiceId.LOSS_REPORT)
        s.place_id("adult_active_card")
        self.view("confirm_card")
        self.out["countdown_elderly"] = h.app.flow.seconds_left()
        self.out["countdown_text"] = h.text_of("flow.countdown")
        # 25 s left: inside the elderly warning (2 x 15 s), outside the normal one.
        h.app.flow.deadline = time.monotonic() + 25
        h.pump_until(lambda: h.app.flow.prompt is not None, 3, "more-time prompt at 25 s")
        self.clip("more_time_prompt")
        h.tap("button.more_time")
        h.pump(0.3)
        self.out["countdown_after_more_time"] = h.app.flow.seconds_left()
        h.tap("button.confirm")
        self.view("done")
        self.end()

    def pin_change(self) -> None:
        s = self.s
        self.begin(ServiceId.PIN_CHANGE)
        s.insert_card("recent_card_quality")  # adult_active_card was just reported lost
        s.pin("old_pin", "888888")
        self.clip("old_pin")
        s.pin("new_pin", "135790")
        s.pin("new_pin_again", "135790")
        self.view("done")
        self.end()

    def pin_on_screen(self) -> None:
        """The weaker on-screen PIN pad (config devices.pin_pad.driver = "onscreen"): its keys
        in the elderly layout, a too-short PIN's reason line above them, then 取消."""
        import dataclasses

        from kiosk.ui_feeds import onscreen_pin_keys

        h, s = self.h, self.s
        cfg, feeds = h.runtime.cfg, h.app.feeds
        h.runtime.cfg = dataclasses.replace(cfg, devices=dataclasses.replace(
            cfg.devices, pin_pad=dataclasses.replace(cfg.devices.pin_pad, driver="onscreen")))
        # The composition root gives the app the on-screen pad's keys in this mode.
        h.app.feeds = dataclasses.replace(feeds, pin_key=onscreen_pin_keys(h.runtime.cfg, h.runtime.devices.pin_pad))
        try:
            self.begin(ServiceId.PIN_CHANGE)
            s.insert_card("recent_card_quality")
            self.view("old_pin")
            for _ in range(6):
                h.tap("pin.key.8")
            h.pump_until(lambda: h.view.params.get("digits") == "6", 5, "six digits")
            self.out["onscreen_dots"] = h.text_of("pin.dots")
            self.out["onscreen_picture"] = h.app.flow.picture.parent is not None
            self.clip("old_pin-onscreen")
            h.tap("pin.key.enter")
            self.view("new_pin")
            for d in "135":
                h.tap(f"pin.key.{d}")
            h.tap("pin.key.enter")
            h.pump_until(lambda: bool(h.view.reasons), 5, "too-short reason")
            self.clip("new_pin-onscreen-reason")
            h.tap("button.cancel")
            self.end()
        finally:
            h.runtime.cfg, h.app.feeds = cfg, feeds

    def contact_change(self) -> None:
        h, s = self.h, self.s
        self.begin(ServiceId.CONTACT_CHANGE)
        s.place_id("other_city_resident")
        s.face_check("other_city_resident")  # 人证核验 (issue 17)
        self.view("contact_form")
        self.keypad_field("mobile", "13700000128")
        self.address("12")
        self.keypad_field("postal_code", "350001")
        h.tap("button.confirm")  # check your answers
        self.clip("check_answers")
        h.tap("button.confirm")
        from tests.ui.scenarios import enter_sms_code

        enter_sms_code(h, "13700000128")  # the new mobile is confirmed by SMS (art. 16)
        self.view("done")
        self.end()

    def issuance(self) -> None:
        from tests.ui.scenarios import face_frame

        h, s = self.h, self.s
        h.pump_until(h.app.prewarmed.is_set, 30, "face models loaded")
        s.devices.camera.present(None)
        self.begin(ServiceId.APPLY)
        s.place_id("adult_never_applied")
        s.face_check("adult_never_applied")
        self.view("photo_choice")
        h.tap("button.take_new")
        self.view("photo", timeout=20)
        h.pump_until(lambda: h.view.params.get("hint") == "no_face", 10, "no-face instruction")
        self.clip("photo-no-face")
        s.devices.camera.present(face_frame())
        self.view("photo_confirm", timeout=60)
        h.tap("button.confirm")
        self.view("details")
        self.keypad_field("mobile", "13800000011")
        self.address("1")
        self.keypad_field("postal_code", "350001")
        h.tap("button.confirm")  # check your answers
        h.tap("button.confirm")
        from tests.ui.scenarios import enter_sms_code

        enter_sms_code(h, "13800000011")  # the applicant's mobile is confirmed by SMS (issue 21 §2)
        self.view("take_card", timeout=30)
        s.devices.issuer.take_card()
        self.view("pin_offer")
        h.tap("button.skip")
        self.view("done", timeout=20)
        self.end()

    def progress_query(self) -> None:
        """A paged choice list (the applications) and a paged timeline."""
        h, s = self.h, self.s
        self.begin(ServiceId.PROGRESS_QUERY)
        s.place_id("replacement_in_progress")
        self.view("applications")
        self.reveal("choice.APP-SEED-0007", "choice.next")
        h.tap("choice.APP-SEED-0007")
        self.view("timeline")
        nxt = h.app.widgets.get("timeline.next")
        if nxt is not None and nxt.get_root_window() is not None and not nxt.disabled:
            h.tap("timeline.next")
            self.clip("timeline-page-2")
        h.tap("button.home")
        self.end()

    def refused(self) -> None:
        """Every reason of a refusal at once, at 1.5x."""
        self.begin(ServiceId.APPLY)
        self.s.place_id("replacement_in_progress")  # has a card and an open application
        self.end()

    def device_down(self) -> None:
        """The attract pages with a service's reason note under its name."""
        h = self.h
        issuer = self.s.devices.issuer
        issuer.steer("unplug")
        h.pump_until(lambda: h.app.widgets["service.apply"].disabled, 5, "apply disabled")
        if h.app.lang != self.lang:
            h.tap("button.language")
        h.tap("button.elderly")
        self.clip("attract-device-down")
        self.out["device_down_note"] = h.text_of("service.apply")
        h.tap("button.elderly")
        issuer.steer("plug")
        h.pump_until(lambda: not h.app.widgets["service.apply"].disabled, 5, "apply enabled")

    def out_of_service(self) -> None:
        from kiosk.runtime import Mode

        h = self.h
        h.wait_home()
        if h.app.lang != self.lang:
            h.tap("button.language")
        h.tap("button.elderly")
        h.runtime.set_mode(Mode.OUT_OF_SERVICE, COUNTER)
        h.pump_until(lambda: h.screen == "out_of_service", 5, "out of service")
        self.clip("out_of_service")
        self.out["oos_elderly"] = h.app.elderly
        h.runtime.set_mode(Mode.IN_SERVICE)
        h.pump_until(lambda: h.screen == "attract", 5, "back in service")
        h.tap("button.elderly")
        self.out["switched_off_by_tap"] = not h.app.elderly


def normal_walk(workdir: Path, width: int, height: int) -> dict[str, Any]:
    """The same clipping check on the normal look (the elderly work must not clip it either)."""
    from tests.ui import scenarios

    s = scenarios.Setup(workdir, width, height, [])
    s.h.check_clipping_on_views = True
    try:
        for name in ("attract", "pin_change", "loss_report", "contact_change", "issuance"):
            getattr(scenarios, name)(s)
            s.h.check_clipping(f"normal:{name}")
        return {"clip_checks": s.h.clip_checks, "clip_violations": sorted(set(s.h.clip_violations))}
    finally:
        s.close()


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("workdir")
    ap.add_argument("--lang", default="zh")
    ap.add_argument("--size", default="1280x800")
    ap.add_argument("--shots", default="", help="save a screenshot at every check into this folder")
    ap.add_argument("--normal", action="store_true", help="check the normal look's main flows instead")
    args = ap.parse_args(argv)
    width, height = (int(v) for v in args.size.split("x"))
    report: dict[str, Any] = {"ok": False}
    started = time.monotonic()
    walk: Walk | None = None
    try:
        if args.normal:
            report.update(normal_walk(Path(args.workdir), width, height))
        else:
            walk = Walk(Path(args.workdir), args.lang, width, height)
            walk.shots = Path(args.shots) if args.shots else None
            report.update(walk.run())
        report["ok"] = True
    except BaseException as exc:  # the report must say what failed
        record_failure(report, exc)
        if walk is not None:
            report["clip_violations"] = sorted(set(walk.h.clip_violations))
    finally:
        if walk is not None:
            walk.s.close()
    return emit(report, started)


if __name__ == "__main__":
    raise SystemExit(main())
