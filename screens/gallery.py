"""The design system's gallery: every token and part on one page, rendered offscreen to a PNG so
the next screen is assembled from these parts, not drawn from scratch.

    python -m screens.gallery docs/screens/gallery.png
"""

from __future__ import annotations

import os
import sys
import tempfile
from pathlib import Path
from typing import Any

SIZE = (1920, 1080)


def build() -> Any:
    """The gallery's widget tree (call with Kivy configured and the fonts registered)."""
    from kivy.uix.boxlayout import BoxLayout
    from kivy.uix.gridlayout import GridLayout

    from screens.design.components import (
        ActionCard,
        Countdown,
        FormField,
        Frame,
        ResultPanel,
        Stepper,
        SummaryList,
        action_button,
        service_tile,
        space,
    )
    from screens.design.icons import icon
    from screens.design.lobby import SERVICE_ICONS
    from screens.design.tokens import COLOUR, TYPE
    from screens.pictures import ActionPicture
    from screens.widgets import BRAND, WHITE, BigButton, Text, paint, target_px

    page = BoxLayout(orientation="vertical", padding=space("m"), spacing=space("s"))
    paint(page, COLOUR["paper"])
    frame = Frame(lambda: "zh", target_px() * 2.2)
    frame.set("社会保障卡自助服务", "福州市鼓楼区示范网点", "咨询电话 12333")
    page.add_widget(frame)
    head = BoxLayout(size_hint_y=None, height=target_px() * 0.8)
    head.add_widget(Text("设计规范 Design system", scale=TYPE["title"], bold=True, color=BRAND, halign="left"))
    stepper = Stepper(halign="right")
    stepper.show("", ["读身份证", "核对信息", "拍照", "填写信息", "提交", "制卡", "设置密码", "完成"], 4)
    head.add_widget(stepper)
    head.add_widget(BigButton("English", "gallery.lang", size_hint_x=None, width=target_px() * 2.2))
    page.add_widget(head)

    # tokens: colour swatches and the type scale
    tokens = BoxLayout(size_hint_y=None, height=target_px() * 0.7, spacing=space("s"))
    for name, rgba in COLOUR.items():
        sw = Text(name, scale=TYPE["small"], color=WHITE if name in ("ink", "brand", "danger", "success", "muted")
                  else COLOUR["ink"])
        paint(sw, rgba, radius=8)
        tokens.add_widget(sw)
    page.add_widget(tokens)
    scale = BoxLayout(size_hint_y=None, height=target_px() * 1.0, spacing=space("m"))
    for role, factor in TYPE.items():
        scale.add_widget(Text(f"{role} 社保", scale=factor, bold=role in ("display", "title")))
    page.add_widget(scale)

    row = BoxLayout(spacing=space("m"))
    left = BoxLayout(orientation="vertical", spacing=space("s"), size_hint_x=0.9)
    icons = Text("", scale=TYPE["title"], color=BRAND, size_hint_y=None, height=target_px() * 0.7)
    icons.text = "  ".join(icon(n) for n in (*SERVICE_ICONS.values(), "check_circle", "error", "hourglass_top"))
    left.add_widget(icons)
    buttons = BoxLayout(size_hint_y=None, height=target_px(), spacing=space("s"))
    for label, action, kw in (("重听", "repeat", {}), ("返回", "back", {}), ("取消", "cancel", {"danger": True}),
                              ("确认", "confirm", {"primary": True})):
        buttons.add_widget(action_button(label, action, f"gallery.{action}", **kw))
    off = action_button("不可用", "back", "gallery.disabled")
    off.disabled = True
    buttons.add_widget(off)
    left.add_widget(buttons)
    tiles = GridLayout(cols=3, spacing=space("s"), size_hint_y=None, height=target_px() * 1.2)
    tiles.add_widget(service_tile("add_card", "申领社保卡", "", "gallery.tile1", True))
    tiles.add_widget(service_tile("password", "修改密码", "", "gallery.tile2", True))
    tiles.add_widget(service_tile("autorenew", "补换卡", "暂停服务", "gallery.tile3", False))
    left.add_widget(tiles)
    form = BoxLayout(spacing=space("s"), size_hint_y=None, height=target_px() * 1.25 + space("s") * 2 + 48)
    form.add_widget(FormField("手机号码", "138 **** 0001", "gallery.mobile", lambda: None, order=1, focused=True))
    form.add_widget(FormField("邮政编码", "3500", "gallery.postal", lambda: None, order=2,
                              error="邮政编码应为 6 位数字"))
    left.add_widget(form)
    pictures = BoxLayout(spacing=space("s"))
    for kind in ("id_card", "insert_card", "camera", "take_card", "receipt"):
        pic = ActionPicture(kind)
        pic.phase = 0.45
        pictures.add_widget(pic)
    left.add_widget(pictures)
    row.add_widget(left)

    right = BoxLayout(orientation="vertical", spacing=space("s"))
    result = ResultPanel("success", "办理成功", "社保卡已启用。", [("txn", "交易号", "20261206-0001-B30233")],
                         ["卡片已启用，可在银行网点和医院使用", "请取走回执"], qr_text="20261206-0001-B30233",
                         qr_caption="柜台扫码查询")
    result.finish()
    right.add_widget(result)
    right.add_widget(SummaryList([("mobile", "手机", "138 **** 0001"), ("address", "地址", "福建省福州市鼓楼区")],
                                 "修改", lambda _k: None))
    foot = BoxLayout(spacing=space("s"), size_hint_y=None, height=target_px() * 1.6)
    countdown = Countdown()
    countdown.show("60 秒后返回首页")
    foot.add_widget(countdown)
    foot.add_widget(ActionCard("qr_code_scanner", "电子社保卡", size_hint_x=0.7))
    right.add_widget(foot)
    row.add_widget(right)
    page.add_widget(row)
    return page


def render(out: Path) -> None:
    os.environ.pop("DISPLAY", None)
    os.environ.setdefault("KIVY_HOME", tempfile.mkdtemp(prefix="kivy-gallery-"))
    import dataclasses

    from kiosk.config import load_config
    from screens.bootstrap import configure_kivy, register_fonts

    cfg = load_config(None)
    cfg = dataclasses.replace(cfg, ui=dataclasses.replace(cfg.ui, width=SIZE[0], height=SIZE[1]))
    configure_kivy(cfg, headless=True)
    register_fonts()
    from kivy.base import EventLoop
    from kivy.core.window import Window

    from screens.design.tokens import COLOUR
    from screens.widgets import colour

    Window.clearcolor = colour(COLOUR["paper"])
    page = build()
    Window.add_widget(page)
    page.size = Window.size
    for _ in range(10):
        EventLoop.idle()
    out.parent.mkdir(parents=True, exist_ok=True)
    page.export_to_png(str(out))


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    out = Path(args[0] if args else "docs/screens/gallery.png")
    render(out)
    print(f"gallery: {out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
