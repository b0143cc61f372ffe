"""Run as a subprocess: renders text and widgets of the design system offscreen with the fonts
the app registers, and prints one JSON report (tests/ui/test_design_system.py reads it).

Ink is the count of opaque pixels of a text's texture: the Bold face has more of it than the
Regular one for the same text; a character no font has draws the .notdef box, which two
unassigned code points draw alike."""

from __future__ import annotations

import json
import os
import sys
import tempfile
from typing import Any

REPORT_PREFIX = "DESIGN-PROBE "


def main() -> int:
    os.environ.pop("DISPLAY", None)
    os.environ.setdefault("KIVY_HOME", tempfile.mkdtemp(prefix="kivy-design-"))
    os.environ.setdefault("KIVY_NO_ARGS", "1")
    os.environ.setdefault("KIVY_NO_CONSOLELOG", "1")
    from kiosk.config import load_config
    from screens.bootstrap import configure_kivy, register_fonts

    cfg = load_config(None)
    configure_kivy(cfg, headless=True)
    register_fonts()
    import numpy as np
    from kivy.base import EventLoop
    from kivy.core.text import Label as CoreLabel
    from kivy.core.window import Window

    from kiosk.fonts import with_fallback_markup

    def alpha(markup_text: str, bold: bool, size: int = 64) -> Any:
        lbl = CoreLabel(text=markup_text, markup=True, font_size=size, bold=bold)
        lbl.refresh()
        tex = lbl.texture
        arr = np.frombuffer(tex.pixels, dtype=np.uint8).reshape(tex.height, tex.width, 4)[:, :, 3]
        return (arr > 127).astype(np.uint8)

    def same(a: Any, b: Any) -> bool:
        return bool(a.shape == b.shape and (a == b).mean() > 0.98)

    out: dict[str, Any] = {}
    notdef = {bold: alpha("\U0010fffd", bold) for bold in (False, True)}
    out["notdef_stable"] = same(alpha("\U0003fffd", False), notdef[False])
    for name, text in (("common", "社会保障卡"), ("yan", "䶮"), ("long_name", "欧阳娜娜䶮"), ("latin", "Delete")):
        row: dict[str, Any] = {}
        for bold in (False, True):
            px = alpha(with_fallback_markup(text), bold)
            row["bold" if bold else "regular"] = {"ink": int(px.sum()), "width": int(px.shape[1]),
                                                  "is_notdef": same(px, notdef[bold])}
        out[name] = row
    # Each rare character alone, in both weights: no glyph may be the .notdef box.
    out["rare_notdef"] = [ch for ch in "䶮𠮷" for bold in (False, True)
                          if same(alpha(with_fallback_markup(ch), bold), notdef[bold])]

    # A word wider than its button: it steps down instead of breaking ("Delet/e").
    from screens.widgets import BigButton, use_theme

    use_theme(True)
    narrow = BigButton("Delete", "probe.delete", size_hint=(None, None), size=(150, 100))
    Window.add_widget(narrow)
    for _ in range(5):
        EventLoop.idle()
    line = narrow.font_size * 1.6
    out["delete"] = {"font_size": float(narrow.font_size), "texture_h": float(narrow.texture_size[1]),
                     "one_line": narrow.texture_size[1] < line, "texture_w": float(narrow.texture_size[0])}
    Window.remove_widget(narrow)
    use_theme(False)

    # A Chinese sentence whose "。" falls just past the width: Kivy's own wrap starts a line with it.
    from kivy.uix.label import Label

    from screens.shots.layout import bad_wraps, laid_out_lines
    from screens.widgets import Text

    sentence = "挂失后该卡立即冻结。之后可在本机补换新卡（带上身份证），找回旧卡可解除挂失。"
    one = CoreLabel(text="冻", font_size=40).get_extents("冻")[0]
    breaks: dict[str, Any] = {}
    for name, widget in (("kivy", Label(text=sentence, font_size=40)), ("text", Text(sentence))):
        widget.font_size = 40
        widget.size_hint = (None, None)
        widget.size = (one * 9 + 4, 400)  # nine characters to a line: the tenth, "。", would wrap
        widget.text_size = (widget.width, None)
        Window.add_widget(widget)
        for _ in range(5):
            EventLoop.idle()
        breaks[name] = {"bad": bad_wraps(widget), "lines": [text for text, _ in laid_out_lines(widget)]}
        Window.remove_widget(widget)
    out["line_breaks"] = breaks

    # The result page's QR code: the counter's scanner reads the transaction number back.
    import cv2

    from screens.design.components import QrCode

    qr = QrCode("20261206151333-0001-B30233", size_hint=(None, None), size=(300, 300), pos=(10, 10))
    Window.add_widget(qr)
    for _ in range(3):
        EventLoop.idle()
    png = os.path.join(tempfile.mkdtemp(prefix="qr-"), "qr.png")
    qr.export_to_png(png)
    image = cv2.imread(png)
    out["qr_decoded"] = cv2.QRCodeDetector().detectAndDecode(image)[0] if image is not None else ""
    sys.stdout.write(REPORT_PREFIX + json.dumps(out) + "\n")
    sys.stdout.flush()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
