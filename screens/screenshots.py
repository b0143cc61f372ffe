"""`make screenshots`: every screen, in Chinese and English, at 1920x1080 and 1280x800, and the
main screens in elderly mode (适老化) at 1280x800, with the layout check run on every shot.

    python -m screens.screenshots docs/screens
    python -m screens.screenshots docs/screens --elderly-only   # only the elderly pass
    python -m screens.screenshots OUT --size 1280x800 [--elderly] [--langs en] [--check-only] [--report R.json]

One process per resolution (Kivy opens one window per process). Each process runs the real app
on simulators against the reference central (started as its own process through its CLI),
walks every service with the seeded test citizens and saves PNGs named like
``docs/screens/zh-1280x800/attract.png``; the parent then writes the index page
(docs/screens/README.md, the shots in flow order per service) and the layout report
(docs/screens/layout-report.md). Only masked values, made-up citizens and a drawn face appear.

Adding a screen: the tours below are a registry (``@tour(service)``), run in the order they are
declared; a new screen inside a service is one line in its tour, e.g.
``t.step("consent", shot="consent", tap="button.agree")``; a new service is one more ``@tour``
function, here or in the feature's own module (``from screens.screenshots import Tour, tour``),
imported at the end of this file with one line. The index groups shots by the tour's service
and keeps the order in which they were taken.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import os
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from hal.atomic_file import write_atomic
from screens import documents_tour, face_shots
from screens.rule_shots import guidance_checklists, rule_screens
from screens.shots.forms import fill_details, submit_details

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
    ap.add_argument("--langs", default=",".join(LANGS), help="with --size: these languages only")
    ap.add_argument("--check-only", action="store_true", help="with --size: the layout check, no PNGs")
    ap.add_argument("--report", default="", help="with --size: write the shots and findings here (JSON)")
    ap.add_argument("--tours", default="", help="with --size: only these tours (function names, comma-separated)")
    args = ap.parse_args(argv)
    out = Path(args.out)
    if args.size:
        return shoot_all(out, args.size, elderly=args.elderly, langs=tuple(args.langs.split(",")),
                         pngs=not args.check_only, report=Path(args.report) if args.report else None,
                         tours=tuple(filter(None, args.tours.split(","))))
    failed = 0
    runs = [] if args.elderly_only else [[size] for size in SIZES]
    stale = out.glob("elderly-*/*.png") if args.elderly_only else out.glob("*-*x*/*.png")
    for png in stale:  # a screen renamed or gone must not linger in the index's folders
        png.unlink()
    reports: list[Path] = []
    with tempfile.TemporaryDirectory(prefix="screenshots-") as tmp:
        for extra in [*runs, [ELDERLY_SIZE, "--elderly"]]:
            env = {**os.environ}
            env.pop("DISPLAY", None)
            reports.append(Path(tmp) / f"{'-'.join(extra)}.json")
            proc = subprocess.run([sys.executable, "-m", "screens.screenshots", str(out), "--size", *extra,
                                   "--report", str(reports[-1])], cwd=ROOT, env=env, timeout=900)
            failed += proc.returncode != 0
        from screens.shots.index import write_index, write_layout_report

        shots = [s for r in reports if r.exists() for s in json.loads(r.read_text(encoding="utf-8"))["shots"]]
        if not args.elderly_only:
            write_index(out, shots)
            write_layout_report(out / "layout-report.md", shots)
    failed += subprocess.run([sys.executable, "-m", "screens.gallery", f"{out}/gallery.png"], cwd=ROOT,
                             timeout=120).returncode != 0  # the design system's parts (screens/design)
    pngs = sorted(out.glob("*/*.png"))
    total = sum(p.stat().st_size for p in pngs)
    print(f"screenshots: {len(pngs)} PNGs, {total / 1e6:.1f} MB in {out}")
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
    def __init__(self, out: Path, size: str, work: Path, central_url: str, langs: tuple[str, ...] = LANGS,
                 pngs: bool = True) -> None:
        from kiosk.config import load_config, simulated

        width, height = (int(v) for v in size.split("x"))
        cfg = simulated(load_config(None))
        cfg = dataclasses.replace(
            cfg,
            kiosk=dataclasses.replace(cfg.kiosk, data_dir=str(work / "kiosk")),
            central=dataclasses.replace(cfg.central, url=central_url, read_timeout_s=5.0, answer_wait_s=5.0),
            ui=dataclasses.replace(cfg.ui, width=width, height=height),
            # short enough for the retained-card tour to wait out, long enough for any shot
            timeouts=dataclasses.replace(cfg.timeouts, card_take_s=8.0),
        )
        self.dpi = cfg.ui.dpi
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
        self.out, self.size, self.langs, self.pngs = out, size, langs, pngs
        self.prefix = ""  # "elderly-" for the elderly pass's folders
        self.service = "lobby"  # the tour being walked: the index groups the shots by it
        self.shots: list[dict[str, Any]] = []
        self.taps = 0
        self.fitted: set[tuple[str, bool, int, int]] = set()  # (kind, elderly, width, height) measured
        self.pump(0.5)

    # ---- driving -----------------------------------------------------------------------------
    def pump(self, seconds: float) -> None:
        """At least ``seconds`` and at least MIN_FRAMES frames: a layout settles over a few frames
        (a text's size, then its box, then the box's parent), and on a loaded machine 0.2 s can be
        a single frame (an en-1280x800 result page was once checked mid-layout)."""
        end, frames = time.monotonic() + seconds, 0
        while time.monotonic() < end or frames < MIN_FRAMES:
            self.loop.idle()
            frames += 1
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
        self.taps += 1
        self.pump(0.05)

    def shot(self, name: str, redo: Callable[[], None] | None = None) -> None:
        """The same screen in each language (one tap on the language button between them), the
        layout check on each.

        Switching the language rebuilds the body, so an editor's inner state (the picker's
        level, typed digits) is set again by ``redo``."""
        from kiosk.app_main import save_screenshot
        from screens.shots.layout import check_window

        for lang in self.langs:
            if self.app.lang != lang:
                self.app.toggle_language()
                self.pump(0.1)
                if redo is not None:
                    redo()
            self.pump(0.2)
            folder = f"{self.prefix}{lang}-{self.size}"
            path = self.out / folder / f"{name}.png"
            if self.pngs:
                save_screenshot(str(path))
                _shrink(path)
            check = check_window(dpi=self.dpi, elderly=bool(self.app.elderly))
            fitted = self.fit_strings()
            check.findings.extend(fitted[1])
            self.shots.append({"service": self.service, "name": name, "lang": lang, "size": self.size,
                               "elderly": bool(self.prefix), "folder": folder, "png": f"{folder}/{name}.png",
                               "view": getattr(self.view_now(), "screen", self.app.sm.current), "fit": fitted[0],
                               **check.as_dict()})
        if self.app.lang != "zh":
            self.app.toggle_language()
            self.pump(0.1)
            if redo is not None:
                redo()

    def fit_strings(self) -> tuple[list[str], list[Any]]:
        """Each kind of widget's strings (both languages) measured once per look and widget size, on
        the first shot that shows it (screens/shots/fit.py): the kinds measured here, and the findings."""
        from screens.shots.fit import KINDS, check_kind, widgets_of

        kinds, found = [], []
        for kind in KINDS:
            widgets = widgets_of(kind, list(self.app.widgets.values()))
            if not widgets:
                continue
            seen = (kind, bool(self.app.elderly), round(widgets[0].width), round(widgets[0].height))
            if seen not in self.fitted:  # a kind shown at another size (a 7-column keypad) is measured again
                self.fitted.add(seen)
                kinds.append(kind)
                found.extend(check_kind(kind, widgets[0]))
        return kinds, found

    def view_now(self) -> Any:
        return self.app.flow.view

    @property
    def dev(self) -> Any:
        return self.rt.devices

    def end_home(self) -> None:
        """Wait for the flow's end, go home, and take back the cards the session end asks for
        (the first such prompt of a run is shot)."""

        def ended() -> bool:
            v = self.view_now()
            return self.app.channel is None or (v is not None and v.end is not None)

        self.until(ended, "end view")
        self.pump(0.2)
        if self.app.channel is not None and "button.home" in self.app.widgets \
                and self.app.widgets["button.home"].get_root_window() is not None:
            self.tap("button.home")  # some flows end without waiting on their end view
        deadline = time.monotonic() + 30
        while not (self.app.sm.current in ("attract", "out_of_service") and self.app.channel is None):
            if time.monotonic() > deadline:
                raise RuntimeError("screenshots: timed out waiting for attract")
            v = self.view_now()
            if v is not None and v.screen in ("take_id_card", "take_sscard") and self.app.sm.current == "flow":
                self.pump(0.25)
                if not any(s["name"] == v.screen for s in self.shots):
                    self.shot(v.screen)
                self.dev.card_reader.remove()  # the social security card first, as a citizen would
                self.dev.id_reader.remove()
            self.loop.idle()
            time.sleep(0.005)
        self.dev.id_reader.remove()
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


def shoot_all(out: Path, size: str, elderly: bool = False, langs: tuple[str, ...] = LANGS, pngs: bool = True,
              report: Path | None = None, tours: tuple[str, ...] = ()) -> int:
    work = Path(tempfile.mkdtemp(prefix="screenshots-"))
    central = Central(work / "central.sqlite")
    s = Shooter(out, size, work, central.url, langs, pngs)
    error = ""
    try:
        if elderly:
            s.prefix = "elderly-"
        Tour(s, elderly, tours).run()
    except Exception as exc:  # the report still carries the shots taken so far
        error = f"{type(exc).__name__}: {exc}"
        raise
    finally:
        if report is not None:
            write_atomic(report, json.dumps({"size": size, "elderly": elderly, "error": error, "shots": s.shots},
                                            ensure_ascii=False), mode=0o644)
        s.close()
        central.stop()
    return 0


# ---- the tours: a registry, walked in the order declared ------------------------------------------
@dataclass(frozen=True)
class TourSpec:
    service: str  # groups the shots in the index (its title comes from the string service.<name>)
    walk: Callable[[Tour], None]
    normal: bool  # walked in the normal passes (both sizes)
    elderly: bool  # walked in the elderly pass


TOURS: list[TourSpec] = []
MIN_FRAMES = 4  # Shooter.pump


def tour(service: str, *, normal: bool = True, elderly: bool = False) -> Callable[[Callable[[Tour], None]],
                                                                                   Callable[[Tour], None]]:
    """Register a walk through one service's screens (see the module's docstring)."""

    def register(walk: Callable[[Tour], None]) -> Callable[[Tour], None]:
        TOURS.append(TourSpec(service, walk, normal, elderly))
        return walk

    return register


class Tour:
    """Every screen a citizen can meet, with made-up seeded citizens. In elderly mode only the
    main screens: the citizen taps 长辈模式 on the attract screen at the start of each session
    (it ends with the session), then finds the service on its page."""

    def __init__(self, s: Shooter, elderly: bool, only: tuple[str, ...] = ()) -> None:
        self.s, self.elderly, self.only = s, elderly, only

    def run(self) -> None:
        for spec in TOURS:
            if self.only and spec.walk.__name__ not in self.only:
                continue
            if spec.elderly if self.elderly else spec.normal:
                self.s.service = spec.service
                spec.walk(self)

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

    def step(self, screen: str, shot: str = "", tap: str = "") -> None:
        """Wait for ``screen``, shoot it (as ``shot``), then tap ``tap``: one line per new screen."""
        self.s.view(screen)
        if shot:
            self.s.shot(shot)
        if tap:
            self.s.tap(tap)

    def reveal(self, kid: str) -> None:
        """A paged form (elderly look): turn to the field's page."""
        for _ in range(3):
            if self.shown(kid):
                return
            self.s.tap("form.next")


@tour("lobby", elderly=True)
def lobby(t: Tour) -> None:
    s = t.s
    s.home()
    if t.elderly:
        s.tap("button.elderly")
    s.shot("attract")
    if t.elderly:
        s.tap("attract.next")
        s.shot("attract_page_2")
        s.tap("button.elderly")  # a second tap: back to the normal look


@tour("loss_report", elderly=True)
def loss_report(t: Tour) -> None:
    """挂失: ID card, masked confirmation (elderly: with the longer "need more time?"), done."""
    s = t.s
    t.start("loss_report")
    t.step("read_id", shot="read_id_card")
    t.place_id("adult_active_card")
    t.step("confirm_card", shot="loss_report_confirm")
    if t.elderly:
        s.app.flow.deadline = time.monotonic() + 20  # inside the elderly warning time
        s.until(lambda: s.app.flow.prompt is not None, "more-time prompt")
        s.pump(0.3)
        s.shot("idle_more_time")
        s.tap("button.more_time")
    s.tap("button.confirm")
    t.step("done", shot="loss_report_done")
    s.end_home()


@tour("pin_change", elderly=True)
def pin_change(t: Tour) -> None:
    """修改密码: insert the card, the digit count of the PIN pad."""
    s = t.s
    t.start("pin_change")
    t.step("insert_card", shot="insert_card")
    t.insert_card("recent_card_quality")  # adult_active_card was reported lost above
    s.view("old_pin")
    for d in "888":
        s.dev.pin_pad.press(d)
    s.until(lambda: bool(s.view_now() and s.view_now().params.get("digits") == "3"), "digits")
    s.pump(0.2)
    s.shot("pin_entry")
    s.tap("button.cancel")
    s.end_home()


@tour("contact_change", elderly=True)
def contact_change(t: Tour) -> None:
    """修改联系信息: the form, the keypad, the address picker and its detail keypad."""
    s = t.s
    t.start("contact_change")
    s.view("read_id")
    t.place_id("other_city_resident")
    face_shots.through(t, "other_city_resident", "contact_form", shoot=not t.elderly)  # 人证核验
    t.step("contact_form", shot="details_form")

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
    t.reveal("form.edit.address")
    s.tap("form.edit.address")
    s.shot("address_city")
    city()
    s.shot("address_district", redo=city)
    s.tap("address.up")
    detail()
    s.shot("address_detail", redo=detail)
    s.tap("button.cancel")
    s.end_home()


@tour("progress_query")
def progress_query(t: Tour) -> None:
    """进度查询: the applications and a timeline; an application and a loss report refused after a kiosk
    accepted them offline."""
    s = t.s
    s.tap("service.progress_query")
    s.view("read_id")
    t.place_id("replacement_in_progress")
    t.step("applications", shot="progress_applications", tap="choice.APP-SEED-0007")
    t.step("timeline", shot="progress_timeline", tap="button.home")
    s.end_home()
    # an application accepted offline and refused on delivery: the status and the reasons, in words
    s.tap("service.progress_query")
    s.view("read_id")
    t.place_id("offline_refused")
    t.step("applications", shot="progress_list_refused", tap="choice.APP-SEED-0015")
    t.step("timeline", shot="progress_refused", tap="button.back")
    # a loss report a kiosk took offline, refused on delivery (the seed's; its id is the central's
    # opaque name for kiosk "seed", request SEED-0015-LOSS: central_sim/refusals.py)
    t.step("applications", tap="choice.REQ-174F8EC693FC")
    t.step("timeline", shot="progress_request_refused", tap="button.home")
    s.end_home()


@tour("apply", elderly=True)
def apply(t: Tour) -> None:
    """申领: the camera (a drawn face, never a real person's photo), details, production, take
    the card, PIN offer, done."""
    from screens.shots.face import synthetic_face

    s = t.s
    s.until(s.app.prewarmed.is_set, "face models", 60)
    t.start("apply")
    s.view("read_id")
    t.place_id("adult_never_applied")
    face_shots.through(t, "adult_never_applied", "photo_choice")
    t.step("photo_choice", shot="photo_choice", tap="button.take_new")
    s.view("photo")
    s.until(lambda: s.app.widgets["camera.preview"].frames_shown > 0, "preview")
    s.pump(0.3)
    s.shot("camera_no_face")
    s.dev.camera.present(synthetic_face())
    s.view("photo_confirm")
    s.pump(0.3)
    s.shot("camera_captured")
    s.tap("button.confirm")
    s.view("details")
    fill_details(t)
    s.pump(0.2)
    s.shot("details_filled")
    # screens.design: the answers are checked before they are sent; the SMS step keeps the art. 21 clock
    submit_details(t, "check_answers", "otp_entry_apply")
    t.step("take_card", shot="take_card")
    s.dev.issuer.take_card()
    t.step("pin_offer", shot="pin_offer", tap="button.skip")
    t.step("done", shot="issued")
    s.end_home()


@tour("apply")
def card_retained(t: Tour) -> None:
    from screens.shots import retained

    retained.shoot(t)


@tour("apply")
def refusal(t: Tour) -> None:
    """申领 refused: every reason at once."""
    s = t.s
    s.tap("service.apply")
    s.view("read_id")
    t.place_id("replacement_in_progress")
    s.until(lambda: s.app.flow.view is not None and s.app.flow.view.end is not None, "refusal")
    s.pump(0.2)
    s.shot("refused_with_reasons")
    s.end_home()


@tour("ecard_sign_in")
def ecard_sign_in(t: Tour) -> None:
    from screens.ecard_shots import shoot_ecard_screens

    shoot_ecard_screens(t)


@tour("proxy")
def proxy_documents(t: Tour) -> None:
    documents_tour.shoot(t)  # 高拍仪 and 代办 (issue 21 §3)


@tour("apply")
def child_without_id_card(t: Tour) -> None:
    from screens.shots.child_without_id import shoot

    shoot(t)  # a guardian for a child without an ID card (issue 21 §3)


@tour("replace")
def sms_code_and_fee(t: Tour) -> None:
    from screens import fee_shots

    fee_shots.shoot(t)  # SMS code, fee statement, payment QR (issue 21 §§2, 4)


@tour("contact_change")
def face_consent_declined(t: Tour) -> None:
    face_shots.declined(t)


@tour("counter_guidance")
def regulation_rules(t: Tour) -> None:
    """Issue 17 §4: counter guidance, deliver later, voluntary, under-2 photo, keep account."""
    rule_screens(t)


@tour("counter_guidance", normal=False, elderly=True)
def guidance_elderly(t: Tour) -> None:
    guidance_checklists(t)


@tour("activate")
def card_removed(t: Tour) -> None:
    s = t.s
    s.tap("service.activate")
    s.view("read_id")
    t.place_id("recent_card_quality")
    s.view("insert_card")
    t.insert_card("recent_card_quality")
    s.view("confirm")
    s.dev.card_reader.remove()
    s.until(lambda: s.view_now().end is not None, "card removed")
    s.pump(0.2)
    s.shot("card_removed")
    s.end_home()


@tour("kiosk")
def idle_prompt(t: Tour) -> None:
    """The "need more time?" prompt over a form."""
    s = t.s
    s.tap("service.contact_change")
    s.view("read_id")
    t.place_id("other_city_resident")
    face_shots.through(t, "other_city_resident", "contact_form")
    s.app.flow.deadline = time.monotonic() + 10
    s.until(lambda: s.app.flow.prompt is not None, "more-time prompt")
    s.pump(0.3)
    s.shot("idle_more_time")
    s.tap("prompt.cancel")
    s.end_home()


@tour("kiosk")
def degraded(t: Tour) -> None:
    """The card printer is down: 申领 and 补换卡 show why."""
    s = t.s
    s.dev.issuer.steer("unplug")
    s.until(lambda: s.app.widgets["service.apply"].disabled, "apply disabled", 10)
    s.pump(0.2)
    s.shot("attract_device_down")
    s.dev.issuer.steer("plug")


@tour("kiosk", elderly=True)
def out_of_service(t: Tour) -> None:
    from kiosk.runtime import Mode

    s = t.s
    if t.elderly:
        s.tap("button.elderly")
    s.rt.set_mode(Mode.OUT_OF_SERVICE, "请到鼓楼区五四路 1 号网点柜台办理 / Please visit the Wusi Road 1 counter")
    s.until(lambda: s.app.sm.current == "out_of_service", "out of service")
    s.pump(0.2)
    s.shot("out_of_service")
    s.rt.set_mode(Mode.IN_SERVICE)
    s.home()


@tour("kiosk")
def maintenance_login(t: Tour) -> None:
    s = t.s
    s.app.open_maintenance_login()
    s.pump(0.2)
    s.shot("maintenance_login")
    s.app.close_maintenance_login()


if __name__ == "__main__":
    raise SystemExit(main())
