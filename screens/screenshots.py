"""`make screenshots`: every screen, in Chinese and English, at 1920x1080 and 1280x800, and
the main screens in elderly mode (适老化) at 1280x800.

    python -m screens.screenshots docs/screens
    python -m screens.screenshots docs/screens --elderly-only   # only the elderly pass

One process per resolution (Kivy opens one window per process). Each process runs the real
app on simulators against the reference central (started as its own process through its
CLI), walks every service with the seeded test citizens and saves PNGs named like
``docs/screens/zh-1280x800/attract.png``. Only masked values and made-up citizens appear.
"""

from __future__ import annotations

import argparse
import dataclasses
import os
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from functools import partial
from pathlib import Path
from typing import Any

SIZES = ("1920x1080", "1280x800")
ELDERLY_SIZE = "1280x800"  # the smaller screen: where the larger type is hardest to fit
LANGS = ("zh", "en")
ROOT = Path(__file__).resolve().parent.parent


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("out", nargs="?", default="docs/screens")
    ap.add_argument("--size", help="one resolution, in this process (used by the parent run)")
    ap.add_argument("--elderly", action="store_true", help="with --size: the elderly-mode pass")
    ap.add_argument("--elderly-only", action="store_true", help="only the elderly-mode screenshots")
    args = ap.parse_args(argv)
    if args.size:
        return shoot_all(Path(args.out), args.size, elderly=args.elderly)
    failed = 0
    runs = [] if args.elderly_only else [[size] for size in SIZES]
    for extra in [*runs, [ELDERLY_SIZE, "--elderly"]]:
        env = {**os.environ}
        env.pop("DISPLAY", None)
        proc = subprocess.run([sys.executable, "-m", "screens.screenshots", args.out, "--size", *extra],
                              cwd=ROOT, env=env, timeout=600)
        failed += proc.returncode != 0
    pngs = sorted(Path(args.out).glob("*/*.png"))
    total = sum(p.stat().st_size for p in pngs)
    print(f"screenshots: {len(pngs)} PNGs, {total / 1e6:.1f} MB in {args.out}")
    return 1 if failed else 0


class Central:
    """The reference central through its own CLI, on a free loopback port."""

    def __init__(self, db: Path) -> None:
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            port = s.getsockname()[1]
        self.url = f"http://127.0.0.1:{port}"
        self.proc = subprocess.Popen([sys.executable, "-m", "central_sim.cli", "--port", str(port), "--db", str(db)],
                                     cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        import httpx

        deadline = time.monotonic() + 20
        while True:
            try:
                httpx.get(self.url + "/v1/health", timeout=1.0)
                return
            except httpx.HTTPError:
                if time.monotonic() > deadline or self.proc.poll() is not None:
                    raise RuntimeError("the reference central did not start") from None
                time.sleep(0.1)

    def stop(self) -> None:
        self.proc.terminate()
        self.proc.wait(10)


class Shooter:
    def __init__(self, out: Path, size: str, work: Path, central_url: str) -> None:
        from kiosk.config import load_config, simulated

        width, height = (int(v) for v in size.split("x"))
        cfg = simulated(load_config(None))
        cfg = dataclasses.replace(
            cfg,
            kiosk=dataclasses.replace(cfg.kiosk, data_dir=str(work / "kiosk")),
            central=dataclasses.replace(cfg.central, url=central_url, read_timeout_s=5.0),
            ui=dataclasses.replace(cfg.ui, width=width, height=height),
        )
        (work / "kiosk" / "kivy").mkdir(parents=True, exist_ok=True)
        os.environ["KIVY_HOME"] = str(work / "kiosk" / "kivy")
        from screens.bootstrap import configure_kivy, register_fonts

        configure_kivy(cfg, headless=True)
        from kiosk.runtime import Runtime

        self.rt = Runtime(cfg)
        self.rt.start()
        register_fonts()
        from kivy.base import EventLoop

        from kiosk.ui_feeds import runtime_feeds
        from screens.app import KioskApp

        self.app = KioskApp(self.rt, runtime_feeds(self.rt))
        self.app._run_prepare()
        self.loop = EventLoop
        self.out, self.size = out, size
        self.prefix = ""  # "elderly-" for the elderly pass's folders
        self.pump(0.5)

    # ---- driving -----------------------------------------------------------------------------
    def pump(self, seconds: float) -> None:
        end = time.monotonic() + seconds
        while time.monotonic() < end:
            self.loop.idle()
            time.sleep(0.005)

    def until(self, pred: Callable[[], bool], what: str, timeout: float = 30.0) -> None:
        end = time.monotonic() + timeout
        while not pred():
            if time.monotonic() > end:
                raise RuntimeError(f"screenshots: timed out waiting for {what}")
            self.loop.idle()
            time.sleep(0.005)

    def view(self, screen: str) -> None:
        self.until(lambda: self.app.sm.current == "flow" and self.app.flow.view is not None
                   and self.app.flow.view.screen == screen, f"view {screen}")
        self.pump(0.25)

    def home(self) -> None:
        self.until(lambda: self.app.sm.current == "attract" and self.app.channel is None, "attract")

    def tap(self, kid: str) -> None:
        self.until(lambda: kid in self.app.widgets and not self.app.widgets[kid].disabled
                   and self.app.widgets[kid].get_root_window() is not None, f"widget {kid}")
        self.app.tap(kid)
        self.pump(0.05)

    def shot(self, name: str, redo: Callable[[], None] | None = None) -> None:
        """The same screen in both languages (one tap on the language button between them).

        Switching the language rebuilds the body, so an editor's inner state (the picker's
        level, typed digits) is set again by ``redo``."""
        from kiosk.app_main import save_screenshot

        for lang in LANGS:
            if self.app.lang != lang:
                self.app.toggle_language()
                self.pump(0.1)
                if redo is not None:
                    redo()
            self.pump(0.2)
            path = self.out / f"{self.prefix}{lang}-{self.size}" / f"{name}.png"
            save_screenshot(str(path))
            _shrink(path)
        if self.app.lang != "zh":
            self.app.toggle_language()
            self.pump(0.1)
            if redo is not None:
                redo()

    def view_now(self) -> Any:
        return self.app.flow.view

    @property
    def dev(self) -> Any:
        return self.rt.devices

    def end_home(self) -> None:
        def ended() -> bool:
            v = self.view_now()
            return self.app.channel is None or (v is not None and v.end is not None)

        self.until(ended, "end view")
        self.pump(0.2)
        if self.app.channel is not None:  # some flows end without waiting on their end view
            self.tap("button.home")
        self.dev.id_reader.remove()  # the session end asks for the cards back before going home
        self.dev.card_reader.remove()
        self.home()

    def close(self) -> None:
        self.app.stop()
        self.rt.stop()


def _shrink(path: Path) -> None:
    """A 64-colour palette: flat UI colours survive, the files stay small for the repository."""
    from PIL import Image

    with Image.open(path) as img:
        small = img.convert("RGB").quantize(colors=64, method=Image.Quantize.MEDIANCUT)
    small.save(path, optimize=True)


def shoot_all(out: Path, size: str, elderly: bool = False) -> int:
    work = Path(tempfile.mkdtemp(prefix="screenshots-"))
    central = Central(work / "central.sqlite")
    s = Shooter(out, size, work, central.url)
    try:
        if elderly:
            s.prefix = "elderly-"
        Tour(s, elderly).run()
    finally:
        s.close()
        central.stop()
    return 0


class Tour:
    """Every screen a citizen can meet, with made-up seeded citizens. In elderly mode only the
    main screens: the citizen taps 长辈模式 on the attract screen at the start of each session
    (it ends with the session), then finds the service on its page."""

    def __init__(self, s: Shooter, elderly: bool) -> None:
        self.s, self.elderly = s, elderly

    @staticmethod
    def person(key: str) -> dict[str, Any]:
        from kiosk.demo import citizen

        p = citizen(key)
        return {**p, "id_valid_until": None} if p.get("id_valid_until") == "长期" else p

    def place_id(self, key: str) -> None:
        from kiosk.demo import id_card_for

        self.s.dev.id_reader.place(id_card_for(self.person(key)))

    def insert_card(self, key: str) -> None:
        from kiosk.demo import chip_of

        self.s.dev.card_reader.insert(chip_of(self.person(key)))

    def shown(self, kid: str) -> bool:
        w = self.s.app.widgets.get(kid)
        return w is not None and w.get_root_window() is not None

    def start(self, service: str) -> None:
        s, kid = self.s, f"service.{service}"
        if not self.elderly:
            s.tap(kid)
            return
        s.home()
        s.tap("button.elderly")
        for _ in range(3):
            if self.shown(kid):
                break
            s.tap("attract.next")
        s.tap(kid)

    def reveal(self, kid: str) -> None:
        """A paged form (elderly look): turn to the field's page."""
        for _ in range(3):
            if self.shown(kid):
                return
            self.s.tap("form.next")

    def run(self) -> None:
        s = self.s
        s.home()
        if self.elderly:
            s.tap("button.elderly")
        s.shot("attract")
        if self.elderly:
            s.tap("attract.next")
            s.shot("attract_page_2")
            s.tap("button.elderly")  # a second tap: back to the normal look
        self.loss_report()
        self.pin_change()
        self.contact_change()
        if not self.elderly:
            from screens import fee_shots

            fee_shots.shoot(self)  # SMS code, fee statement, payment QR (issue 21 §§2, 4)
            self.progress_query()
            self.refusal()
        self.apply()
        if not self.elderly:
            self.idle_prompt()
            self.card_removed()
            self.degraded()
        self.out_of_service()
        if not self.elderly:
            s.app.open_maintenance_login()
            s.pump(0.2)
            s.shot("maintenance_login")
            s.app.close_maintenance_login()

    def loss_report(self) -> None:
        """挂失: ID card, masked confirmation (elderly: with the longer "need more time?"), done."""
        s = self.s
        self.start("loss_report")
        s.view("read_id")
        s.shot("read_id_card")
        self.place_id("adult_active_card")
        s.view("confirm_card")
        s.shot("loss_report_confirm")
        if self.elderly:
            s.app.flow.deadline = time.monotonic() + 20  # inside the elderly warning time
            s.until(lambda: s.app.flow.prompt is not None, "more-time prompt")
            s.pump(0.3)
            s.shot("idle_more_time")
            s.tap("button.more_time")
        s.tap("button.confirm")
        s.view("done")
        s.shot("loss_report_done")
        s.end_home()

    def pin_change(self) -> None:
        """修改密码: insert the card, the digit count of the PIN pad."""
        s = self.s
        self.start("pin_change")
        s.view("insert_card")
        s.shot("insert_card")
        self.insert_card("adult_active_card")
        s.view("old_pin")
        for d in "888":
            s.dev.pin_pad.press(d)
        s.until(lambda: bool(s.view_now() and s.view_now().params.get("digits") == "3"), "digits")
        s.pump(0.2)
        s.shot("pin_entry")
        s.tap("button.cancel")
        s.end_home()

    def contact_change(self) -> None:
        """修改联系信息: the form, the keypad, the address picker and its detail keypad."""
        s = self.s
        self.start("contact_change")
        s.view("read_id")
        self.place_id("other_city_resident")
        s.view("contact_form")
        s.shot("details_form")

        def type_mobile() -> None:
            for d in "13800000":
                s.tap(f"key.{d}")

        def city() -> None:
            s.tap("address.option.350100")

        def detail() -> None:
            city()
            s.tap("address.option.350102")
            for k in ("key.1", "key.2", "key.token.号"):
                s.tap(k)

        s.tap("form.edit.mobile")
        type_mobile()
        s.shot("keypad_mobile", redo=type_mobile)
        s.tap("form.close")
        self.reveal("form.edit.address")
        s.tap("form.edit.address")
        s.shot("address_city")
        city()
        s.shot("address_district", redo=city)
        s.tap("address.up")
        detail()
        s.shot("address_detail", redo=detail)
        s.tap("button.cancel")
        s.end_home()

    def progress_query(self) -> None:
        """进度查询: the applications and a timeline."""
        s = self.s
        s.tap("service.progress_query")
        s.view("read_id")
        self.place_id("replacement_in_progress")
        s.view("applications")
        s.shot("progress_applications")
        s.tap("choice.APP-SEED-0007")
        s.view("timeline")
        s.shot("progress_timeline")
        s.tap("button.home")
        s.end_home()

    def refusal(self) -> None:
        """申领 refused: every reason at once."""
        s = self.s
        s.tap("service.apply")
        s.view("read_id")
        self.place_id("not_insured")
        s.until(lambda: s.app.flow.view is not None and s.app.flow.view.end is not None, "refusal")
        s.pump(0.2)
        s.shot("refused_with_reasons")
        s.end_home()

    def apply(self) -> None:
        """申领: the camera, details, production, take the card, PIN offer, done."""
        import cv2

        s = self.s
        faces = [ROOT / "tests" / "data" / "faces" / "obama_portrait.jpg",
                 Path("/work/shared/data/faces/obama_portrait.jpg")]
        img = next((cv2.imread(str(p)) for p in faces if p.exists()), None)
        s.until(s.app.prewarmed.is_set, "face models", 60)
        self.start("apply")
        s.view("read_id")
        self.place_id("adult_never_applied")
        s.view("photo_choice")
        s.shot("photo_choice")
        s.tap("button.take_new")
        s.view("photo")
        s.until(lambda: s.app.widgets["camera.preview"].frames_shown > 0, "preview")
        s.pump(0.3)
        s.shot("camera_no_face")
        if img is not None:
            w = img.shape[1]
            s.dev.camera.present(cv2.resize(img[: int(w * 0.75)], (640, 480)))
        s.view("photo_confirm")
        s.pump(0.3)
        s.shot("camera_captured")
        s.tap("button.confirm")
        s.view("details")
        for field, digits in (("mobile", "13800000001"), ("postal_code", "350001")):
            self.reveal(f"form.edit.{field}")
            s.tap(f"form.edit.{field}")
            for d in digits:
                s.tap(f"key.{d}")
            s.tap("form.save")
            s.until(partial(lambda f: bool(s.view_now().params.get(f)), field), field)
        self.reveal("form.edit.address")
        s.tap("form.edit.address")
        s.tap("address.option.350100")
        s.tap("address.option.350102")
        for k in ("key.1", "key.token.号"):
            s.tap(k)
        s.tap("address.done")
        s.until(lambda: bool(s.view_now() and s.view_now().params.get("district") == "350102"), "address")
        s.pump(0.2)
        s.shot("details_filled")
        s.tap("button.confirm")
        s.view("take_card")
        s.shot("take_card")
        s.dev.issuer.take_card()
        s.view("pin_offer")
        s.shot("pin_offer")
        s.tap("button.skip")
        s.view("done")
        s.shot("issued")
        s.end_home()

    def idle_prompt(self) -> None:
        """The "need more time?" prompt over a form."""
        s = self.s
        s.tap("service.contact_change")
        s.view("read_id")
        self.place_id("other_city_resident")
        s.view("contact_form")
        s.app.flow.deadline = time.monotonic() + 10
        s.until(lambda: s.app.flow.prompt is not None, "more-time prompt")
        s.pump(0.3)
        s.shot("idle_more_time")
        s.tap("prompt.cancel")
        s.end_home()

    def card_removed(self) -> None:
        s = self.s
        s.tap("service.activate")
        s.view("read_id")
        self.place_id("recent_card_quality")
        s.view("insert_card")
        self.insert_card("recent_card_quality")
        s.view("confirm")
        s.dev.card_reader.remove()
        s.until(lambda: s.view_now().end is not None, "card removed")
        s.pump(0.2)
        s.shot("card_removed")
        s.end_home()

    def degraded(self) -> None:
        """The card printer is down: 申领 and 补换卡 show why."""
        s = self.s
        s.dev.issuer.steer("unplug")
        s.until(lambda: s.app.widgets["service.apply"].disabled, "apply disabled", 10)
        s.pump(0.2)
        s.shot("attract_device_down")
        s.dev.issuer.steer("plug")

    def out_of_service(self) -> None:
        from kiosk.runtime import Mode

        s = self.s
        if self.elderly:
            s.tap("button.elderly")
        s.rt.set_mode(Mode.OUT_OF_SERVICE, "请到鼓楼区五四路 1 号网点柜台办理 / Please visit the Wusi Road 1 counter")
        s.until(lambda: s.app.sm.current == "out_of_service", "out of service")
        s.pump(0.2)
        s.shot("out_of_service")
        s.rt.set_mode(Mode.IN_SERVICE)
        s.home()


if __name__ == "__main__":
    raise SystemExit(main())
