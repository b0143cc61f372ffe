"""Drives the real Kivy app offscreen in this process: pump frames, tap widgets by id.

Kivy creates one window per process, so each UI scenario runs in its own subprocess
(see run_scenario.py); the test only reads the scenario's exit code and JSON report.
"""

from __future__ import annotations

import dataclasses
import os
import re
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from hal.sim.card_reader import SimCardReader
from hal.sim.id_reader import SimIdCardReader
from kiosk.config import Config, load_config, simulated

MIN_FONT_PX = 32.0
MIN_TARGET_PX = 80.0


def test_config(data_dir: Path, central_url: str, *, width: int = 1280, height: int = 800,
                **sections: dict[str, Any]) -> Config:
    cfg = simulated(load_config(None))
    devices = cfg.devices
    for name, changes in sections.get("devices", {}).items():
        devices = dataclasses.replace(devices, **{name: dataclasses.replace(getattr(devices, name), **changes)})
    cfg = dataclasses.replace(
        cfg,
        kiosk=dataclasses.replace(cfg.kiosk, data_dir=str(data_dir), **sections.get("kiosk", {})),
        central=dataclasses.replace(cfg.central, url=central_url, read_timeout_s=3.0, connect_timeout_s=1.0,
                                    **{"answer_wait_s": 3.0, **sections.get("central", {})}),
        timeouts=dataclasses.replace(cfg.timeouts, **sections.get("timeouts", {})),
        offline=dataclasses.replace(cfg.offline, **sections.get("offline", {})),
        ui=dataclasses.replace(cfg.ui, width=width, height=height, **sections.get("ui", {})),
        devices=devices,
    )
    return cfg


class UiHarness:
    def __init__(self, cfg: Config, central: Any = None) -> None:
        from screens.bootstrap import configure_kivy, register_fonts

        home = Path(cfg.kiosk.data_dir) / "kivy"
        home.mkdir(parents=True, exist_ok=True)
        os.environ.setdefault("KIVY_HOME", str(home))
        configure_kivy(cfg, headless=True)
        from kiosk.runtime import Runtime

        self.runtime = Runtime(cfg, central=central)
        self.runtime.start()
        register_fonts()
        from kivy.base import EventLoop

        from kiosk.ui_feeds import runtime_feeds
        from screens.app import KioskApp

        self.app = KioskApp(self.runtime, runtime_feeds(self.runtime))
        self.app._run_prepare()
        self._loop = EventLoop
        self.size_violations: list[str] = []
        self.clip_violations: list[str] = []
        self.clip_checks = 0  # how many labels the clipping check compared
        self.contrast_violations: list[str] = []
        self.contrast_checks = 0
        self.check_clipping_on_views = False  # wait_view also checks that no text is clipped
        self.pump(0.2)

    # ---- the event loop ------------------------------------------------------------------------
    def pump(self, seconds: float) -> None:
        end = time.monotonic() + seconds
        while time.monotonic() < end:
            self._step()

    def _step(self) -> None:
        self._loop.idle()
        self._take_cards_when_asked()
        time.sleep(0.004)

    def _take_cards_when_asked(self) -> None:
        """The citizen takes the ID / social security card when the session end asks for it."""
        seen = self.app.views_seen
        if not seen or seen[-1].screen not in ("take_id_card", "take_sscard"):
            return
        # the social security card first: once the ID card is gone its prompt ends at once
        for reader in (self.runtime.devices.card_reader, self.runtime.devices.id_reader):
            if isinstance(reader, SimIdCardReader | SimCardReader) and reader.card_present():
                reader.remove()

    @property
    def screens(self) -> list[str]:
        """Flow screen names in the order the app rendered them (repeats folded)."""
        out: list[str] = []
        for v in self.app.views_seen:
            if not out or out[-1] != v.screen:
                out.append(v.screen)
        return out

    def new_transaction(self) -> None:
        """Forget the screens seen so far (the previous citizen's)."""
        self.app.views_seen.clear()

    def pump_until(self, pred: Callable[[], bool], timeout: float = 10.0, what: str = "") -> None:
        end = time.monotonic() + timeout
        while not pred():
            if time.monotonic() > end:
                raise AssertionError(f"timed out waiting for {what or pred}; screen={self.screen} "
                                     f"view={self.view_name} screens={self.screens[-8:]}")
            self._step()

    # ---- what is on screen ---------------------------------------------------------------------
    @property
    def screen(self) -> str:
        return str(self.app.sm.current)

    @property
    def view(self) -> Any:
        return self.app.flow.view

    @property
    def view_name(self) -> str:
        v = self.app.flow.view
        return "" if v is None else str(v.screen)

    def wait_view(self, screen: str, timeout: float = 10.0) -> Any:
        self.pump_until(lambda: self.screen == "flow" and self.view_name == screen, timeout, f"view {screen}")
        self.pump(0.03)  # let the layout settle before sizes are checked or widgets tapped
        self.check_sizes()
        if self.check_clipping_on_views:
            self.check_clipping()
        return self.view

    def wait_home(self, timeout: float = 10.0) -> None:
        self.pump_until(lambda: self.screen in ("attract", "out_of_service") and self.app.channel is None,
                        timeout, "home")

    def text_of(self, kiosk_id: str) -> str:
        """What the citizen reads: the widget's text without markup tags and icon glyphs."""
        return plain_text(str(getattr(self.app.widgets[kiosk_id], "text", "")))

    # ---- input ---------------------------------------------------------------------------------
    def tap(self, kiosk_id: str, timeout: float = 10.0) -> None:
        def ready() -> bool:
            w = self.app.widgets.get(kiosk_id)
            return w is not None and not w.disabled and w.get_root_window() is not None

        self.pump_until(ready, timeout, what=f"widget {kiosk_id}")
        self.app.tap(kiosk_id)
        self.pump(0.03)

    def type_digits(self, digits: str) -> None:
        for d in digits:
            self.tap(f"key.{d}")

    def shot(self, path: str | Path) -> None:
        """A screenshot is a deliberate pause: it is not counted as a UI stall."""
        from kiosk.app_main import save_screenshot

        self.app.pause_measuring()
        self.pump(0.05)
        save_screenshot(str(path))
        self.app.resume_measuring()

    # ---- sizing --------------------------------------------------------------------------------
    def check_sizes(self) -> list[str]:
        """Every visible text ≥ 32 px and every visible button ≥ 80 px; violations are kept."""
        from kivy.core.window import Window
        from kivy.uix.button import Button
        from kivy.uix.label import Label

        found: list[str] = []
        measuring = self.app.measuring
        self.app.pause_measuring()  # the walk is the test's own work, not a UI stall

        def visible(w: Any) -> bool:
            return bool(w.opacity > 0 and w.width > 1 and w.height > 1)

        def walk(w: Any) -> None:
            if not visible(w):
                return
            name = getattr(w, "kiosk_id", type(w).__name__)
            if isinstance(w, Label) and w.text.strip() and w.font_size < MIN_FONT_PX:
                found.append(f"{self.view_name or self.screen}:{name} font {w.font_size:.0f}px")
            if isinstance(w, Button) and min(w.height, w.width) < MIN_TARGET_PX:
                found.append(f"{self.view_name or self.screen}:{name} target {w.width:.0f}x{w.height:.0f}px")
            for c in w.children:
                walk(c)

        for child in Window.children:
            walk(child)
        self.size_violations.extend(found)
        if measuring:
            self.app.resume_measuring()
        return found

    def check_clipping(self, where: str = "", tolerance: float = 2.0) -> list[str]:
        """No text is clipped: each visible label's rendered texture fits its box, and the box lies
        inside its parent's and the window (an overfull layout pushes boxes out or over others).

        Wrapped text (``text_size`` width set) must fit in height; unwrapped text in both.
        """
        from kivy.core.window import Window
        from kivy.uix.label import Label
        from kivy.uix.layout import Layout

        measuring = self.app.measuring
        self.app.pause_measuring()
        self.pump(0.03)  # textures of text changed by the last tap are rendered on the next frame
        found: list[str] = []
        at = where or f"{self.view_name or self.screen}"

        def box(w: Any) -> tuple[float, float, float, float]:
            x, y = w.to_window(*w.pos)
            return x, y, x + w.width, y + w.height

        def inside(inner: tuple[float, ...], outer: tuple[float, ...]) -> bool:
            return (inner[0] >= outer[0] - tolerance and inner[1] >= outer[1] - tolerance
                    and inner[2] <= outer[2] + tolerance and inner[3] <= outer[3] + tolerance)

        window = (0.0, 0.0, float(Window.width), float(Window.height))

        def walk(w: Any, layouts: tuple[tuple[float, float, float, float], ...]) -> None:
            if w.opacity <= 0:
                return
            if isinstance(w, Label) and w.text.strip():
                name = getattr(w, "kiosk_id", "") or f"{type(w).__name__}:{w.text[:24]!r}"
                self.clip_checks += 1
                tw, th = w.texture_size
                if w.width <= 1 or w.height <= 1:
                    found.append(f"{at}:{name} text in a {w.width:.0f}x{w.height:.0f} box")
                elif tw > w.width + tolerance or th > w.height + tolerance:
                    found.append(f"{at}:{name} text {tw:.0f}x{th:.0f} in box {w.width:.0f}x{w.height:.0f}")
                elif not inside(box(w), window):
                    found.append(f"{at}:{name} box {tuple(round(v) for v in box(w))} outside the window")
                elif any(not inside(box(w), outer) for outer in layouts):
                    outer = next(o for o in layouts if not inside(box(w), o))
                    found.append(f"{at}:{name} box {tuple(round(v) for v in box(w))} outside a layout it is in "
                                 f"{tuple(round(v) for v in outer)} (an overfull screen)")
            if w.width <= 1 or w.height <= 1:
                return  # a collapsed container (e.g. the hidden progress row)
            inner = (*layouts, box(w)) if isinstance(w, Layout) else layouts
            for c in w.children:
                walk(c, inner)

        for child in Window.children:
            walk(child, ())
        self.clip_violations.extend(found)
        if measuring:
            self.app.resume_measuring()
        return found

    def check_contrast(self, where: str, minimum: float) -> list[str]:
        """Each visible text against what it is drawn on: a button's own background (its disabled
        colours when disabled), otherwise the page (the window's clear colour)."""
        from kivy.core.window import Window
        from kivy.uix.button import Button
        from kivy.uix.label import Label

        found: list[str] = []

        def walk(w: Any) -> None:
            if w.opacity <= 0 or w.width <= 1 or w.height <= 1:
                return
            if isinstance(w, Label) and w.text.strip():
                fg = w.disabled_color if w.disabled else w.color
                bg = w.background_color if isinstance(w, Button) else Window.clearcolor
                ratio = contrast_ratio(fg, bg)
                self.contrast_checks += 1
                if ratio < minimum:
                    name = getattr(w, "kiosk_id", "") or f"{type(w).__name__}:{w.text[:24]!r}"
                    found.append(f"{where}:{name} {ratio:.1f}:1")
            for c in w.children:
                walk(c)

        for child in Window.children:
            walk(child)
        self.contrast_violations.extend(found)
        return found

    def close(self) -> None:
        from kiosk.flows.base import UserInput

        if self.runtime.in_transaction:  # end a half-driven flow at once, end view included
            self.app.send(UserInput("cancel"))
            self.pump_until(lambda: self.view is not None and self.view.end is not None, 5, "end view")
            self.app.send(UserInput("home"))
            for reader in (self.runtime.devices.id_reader, self.runtime.devices.card_reader):
                if isinstance(reader, SimIdCardReader | SimCardReader):
                    reader.remove()  # else the session end waits for the cards to be taken
            self.runtime.wait_idle(5)
        self.app.stop()
        self.runtime.stop()


_MARKUP_TAG = re.compile(r"\[/?(?:b|i|u|s|font|size|color|sub|sup|ref|anchor)(?:=[^\]]*)?\]")
_ICON_GLYPHS = re.compile("[\ue000-\uf8ff]")  # Material Icons live in the private use area


def plain_text(markup_text: str) -> str:
    text = _ICON_GLYPHS.sub("", _MARKUP_TAG.sub("", markup_text))
    return text.replace("&bl;", "[").replace("&br;", "]").replace("&amp;", "&").strip()


def contrast_ratio(a: Any, b: Any) -> float:
    """WCAG 2 contrast ratio of two sRGB colours (0..1 channels; alpha ignored)."""

    def luminance(c: Any) -> float:
        def lin(v: float) -> float:
            return v / 12.92 if v <= 0.03928 else float(((v + 0.055) / 1.055) ** 2.4)

        return 0.2126 * lin(c[0]) + 0.7152 * lin(c[1]) + 0.0722 * lin(c[2])

    hi, lo = sorted((luminance(a), luminance(b)), reverse=True)
    return (hi + 0.05) / (lo + 0.05)
