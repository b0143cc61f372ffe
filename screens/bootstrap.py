"""Kivy settings that must be in place before any Kivy module is imported."""

from __future__ import annotations

import logging
import os
import tempfile
from pathlib import Path

from kiosk.config import Config


def configure_kivy(cfg: Config, *, headless: bool = False) -> None:
    os.environ.setdefault("KIVY_NO_ARGS", "1")
    os.environ.setdefault("KIVY_NO_FILELOG", "1")
    os.environ.setdefault("KIVY_NO_CONSOLELOG", "1")  # our JSON logs go to stderr instead
    # Kivy's default log mode swaps sys.stderr for its logger: a crash would leave no trace.
    os.environ.setdefault("KIVY_LOG_MODE", "PYTHON")
    logging.getLogger("kivy").setLevel(logging.WARNING)
    if "KIVY_HOME" not in os.environ:
        home = Path(cfg.kiosk.data_dir) / "kivy"
        try:
            home.mkdir(parents=True, exist_ok=True)
        except OSError:
            home = Path(tempfile.mkdtemp(prefix="kivy-"))
        os.environ["KIVY_HOME"] = str(home)
    if headless:
        os.environ.pop("DISPLAY", None)
        os.environ.pop("WAYLAND_DISPLAY", None)
    from kivy.config import Config as KivyConfig

    KivyConfig.set("kivy", "log_level", "warning")  # Kivy's chatter stays out of the kiosk's journal
    logging.getLogger("kivy").setLevel(logging.WARNING)
    KivyConfig.set("kivy", "exit_on_escape", "0")  # a citizen must never reach the desktop
    KivyConfig.set("kivy", "pause_on_minimize", "0")
    KivyConfig.set("graphics", "width", str(cfg.ui.width))
    KivyConfig.set("graphics", "height", str(cfg.ui.height))
    KivyConfig.set("graphics", "fullscreen", "auto" if cfg.ui.fullscreen and not headless else "0")
    KivyConfig.set("graphics", "show_cursor", "1" if cfg.ui.show_cursor else "0")
    KivyConfig.set("graphics", "resizable", "0")
    KivyConfig.set("input", "mouse", "mouse,disable_multitouch")
    for name, _ in list(KivyConfig.items("input")):
        if name != "mouse":
            KivyConfig.remove_option("input", name)
    if cfg.ui.touch_provider:
        KivyConfig.set("input", "touch", cfg.ui.touch_provider)
        if not cfg.ui.show_cursor:
            KivyConfig.remove_option("input", "mouse")


def register_fonts() -> None:
    """The UI font in both weights: Kivy draws ``bold``/``[b]`` with ``fn_bold`` and never
    emboldens a face itself, so without the Bold face every bold text came out regular."""
    from kivy.core.text import DEFAULT_FONT, LabelBase

    from kiosk.fonts import PRIMARY, bold_face, generate

    generate()
    LabelBase.register(DEFAULT_FONT, str(PRIMARY), fn_bold=str(bold_face()))
