"""The attract screen (every service, disabled ones with their reason) and the
out-of-service screen (hotline 12333 and the counter message)."""

from __future__ import annotations

from typing import Any

from kivy.uix.boxlayout import BoxLayout
from kivy.uix.gridlayout import GridLayout
from kivy.uix.widget import Widget

from kiosk.domain.services import Availability, ServiceId
from screens.design.components import action_button, relabel, service_tile
from screens.design.lobby import LOBBY, SERVICE_ICONS, SERVICE_ORDER, is_service, lobby_pages, tile_note
from screens.header import LANG_BUTTON_WIDTH, KioskScreen
from screens.ports import AppPort
from screens.widgets import (
    ACCENT,
    BRAND,
    INK,
    MUTED,
    BigButton,
    Text,
    fit_height,
    gap_px,
    markup,
    shrink_to_fit,
    target_px,
    text_px,
    theme,
)

USABLE = (Availability.AVAILABLE, Availability.AVAILABLE_OFFLINE)
ELDERLY_GLYPH = {True: "✓", False: "○"}  # both in the UI font: the switch shows its state
__all__ = ["LOBBY", "SERVICE_ORDER", "AttractScreen", "OutOfServiceScreen", "lobby_pages"]


class AttractScreen(KioskScreen):
    """Every service, in its group, with its icon; the elderly-mode switch. In elderly mode the
    groups are paged, two at a time, with big 上一页/下一页 buttons (no scrolling: taps only)."""

    def __init__(self, app: AppPort) -> None:
        super().__init__(app, name="attract")
        pad = gap_px()
        self.elderly = theme().elderly
        self.page = 0
        self.box = BoxLayout(orientation="vertical", padding=pad, spacing=pad)
        # Elderly: the title row is one target high (the title steps down to fit), the grid gets the rest.
        top = BoxLayout(size_hint_y=None, height=target_px() * (1.0 if self.elderly else 1.2))
        # 重听 at the top left, opposite the language button (its top-left corner is the hidden
        # maintenance corner, which keeps its taps).
        self.repeat_button = action_button("", "repeat", "button.repeat", size_hint_x=None,
                                           width=target_px() * LANG_BUTTON_WIDTH)
        self.repeat_button.bind(on_release=lambda _b: app.repeat_voice())
        top.add_widget(self.repeat_button)
        self.title = Text(scale=1.6 if not self.elderly else 1.25, bold=True, color=BRAND)
        self.title.kiosk_id = "attract.title"
        top.add_widget(self.title)
        top.add_widget(Widget(size_hint_x=None, width=target_px() * LANG_BUTTON_WIDTH))
        self.subtitle = Text(size_hint_y=None, height=target_px() * 0.7)
        self.subtitle.kiosk_id = "attract.subtitle"
        self.grid = BoxLayout(orientation="vertical", spacing=pad)
        self.footer = Text(scale=0.9, color=MUTED, size_hint_y=None, height=target_px() * 0.6)
        if self.elderly:  # a long title steps down to one line; a long footer wraps and its row grows
            fit_height(self.footer, target_px() * 0.6)
            shrink_to_fit(self.title, text_px(1.0))
        self.elderly_button = BigButton("", "button.elderly", primary=self.elderly, raw=True, scale=1.0)
        self.elderly_button.bind(on_release=lambda _b: app.toggle_elderly())
        bottom = BoxLayout(size_hint_y=None, height=target_px(), spacing=pad)
        self.nav: dict[str, BigButton] = {}
        if self.elderly:
            self.page_label = Text(size_hint_x=0.16, bold=True, color=BRAND)
            self.page_label.kiosk_id = "attract.page"
            app.register(self.page_label)
            for kid, delta in (("attract.prev", -1), ("attract.next", 1)):
                b = BigButton("", kid, size_hint_x=0.24)
                b.bind(on_release=lambda _b, d=delta: self.turn(d))
                self.nav[kid] = b
                app.register(b)
            self.elderly_button.size_hint_x = 0.36
            for w in (self.nav["attract.prev"], self.page_label, self.nav["attract.next"], self.elderly_button):
                bottom.add_widget(w)
            rows: tuple[Widget, ...] = (top, self.subtitle, self.grid, bottom, self.footer)
        else:
            self.footer.size_hint_y = 1
            self.elderly_button.size_hint_x = None
            self.elderly_button.width = target_px() * 3.4
            bottom.add_widget(self.footer)
            bottom.add_widget(self.elderly_button)
            rows = (top, self.subtitle, self.grid, bottom)
        for w in rows:
            self.box.add_widget(w)
        self.add_widget(self.box)
        app.register(self.title)
        app.register(self.subtitle)
        app.register(self.elderly_button)

    def turn(self, delta: int) -> None:
        self.page += delta
        self.refresh()

    def refresh(self) -> None:
        t = self.app.t
        self.title.set(t("app.title"))
        self.subtitle.set(t("app.subtitle"))
        relabel(self.repeat_button, t("voice.repeat"))
        cfg = self.app.cfg
        self.footer.set(t("app.footer", outlet=cfg.kiosk.outlet_name, hotline=cfg.kiosk.hotline))
        glyph = ELDERLY_GLYPH[self.elderly]
        self.elderly_button.text = f"{glyph} [b]{markup(t('elderly.button'))}[/b]"  # the switch's state is its icon
        self.grid.clear_widgets()
        avail = self.app.availability()
        pages = lobby_pages(self.elderly)
        self.page = max(0, min(self.page, len(pages) - 1))
        if self.elderly:
            self.page_label.set(t("elderly.page", page=self.page + 1, pages=len(pages)))
            self.nav["attract.prev"].set(f"◀ {t('elderly.prev_page')}")
            self.nav["attract.next"].set(f"{t('elderly.next_page')} ▶")
            self.nav["attract.prev"].disabled = self.page == 0
            self.nav["attract.next"].disabled = self.page >= len(pages) - 1
        cols = 2 if self.elderly else max(len(keys) for _g, keys in LOBBY)
        for group, keys in pages[self.page]:
            # Normal: the group's name left of its row. Elderly: one group a page, its name leads
            # the instruction line (the tiles need the height a heading row would take).
            row = BoxLayout(spacing=gap_px())
            head = Text(t(f"lobby.group.{group}"), scale=0.9, bold=True, color=BRAND, halign="left",
                        size_hint_x=0.2)
            head.kiosk_id = f"lobby.group.{group}"
            self.app.register(head)
            if self.elderly:
                self.subtitle.text = f"[b]{markup(t(f'lobby.group.{group}'))}[/b]  ·  {markup(t('app.subtitle'))}"
            else:
                row.add_widget(head)
            tiles = GridLayout(cols=cols, spacing=gap_px())
            for key in keys:
                tiles.add_widget(self._tile(key, avail))
            for _ in range(len(keys), cols):
                tiles.add_widget(Widget())  # a short group keeps the tiles' size
            row.add_widget(tiles)
            self.grid.add_widget(row)

    def _tile(self, key: str, avail: Any) -> BigButton:
        t = self.app.t
        label = t(f"service.{key}")
        if not is_service(key):  # an entry whose flow is not built yet
            b = service_tile(SERVICE_ICONS[key], label, t("availability.coming_soon"), f"service.{key}", False)
            self.app.register(b)
            return b
        sid = ServiceId(key)
        state, missing = avail[sid]
        usable = state in USABLE
        note = tile_note(t, state, missing, self.elderly)
        b = service_tile(SERVICE_ICONS[key], label, note, f"service.{key}", usable)
        b.bind(on_release=lambda _b, s=sid: self.app.start_service(s))
        self.app.register(b)
        return b


class OutOfServiceScreen(KioskScreen):
    def __init__(self, app: AppPort) -> None:
        super().__init__(app, name="out_of_service")
        elderly = theme().elderly
        # Elderly mode: less margin, each line as tall as its wrapped text (stacked from the top),
        # a smaller title: the message and the counter's address wrap at 1.5x in English.
        box = BoxLayout(orientation="vertical", padding=gap_px() if elderly else target_px(), spacing=gap_px())
        self.title = Text(scale=1.3 if elderly else 1.8, bold=True, color=ACCENT)
        self.message = Text(scale=1.1)
        self.reason = Text(color=INK)
        self.counter = Text(color=BRAND)
        self.hotline = Text(scale=1.5, bold=True, color=BRAND)
        # The title's row keeps the floating language button's width free on both sides (centred).
        title_row = BoxLayout(size_hint_y=None, height=target_px())
        side = target_px() * LANG_BUTTON_WIDTH
        for w in (Widget(size_hint_x=None, width=side), self.title, Widget(size_hint_x=None, width=side)):
            title_row.add_widget(w)
        for kid, w in (("oos.title", self.title), ("oos.message", self.message), ("oos.reason", self.reason),
                       ("oos.counter", self.counter), ("oos.hotline", self.hotline)):
            w.kiosk_id = kid
            app.register(w)
            if w is self.title:
                box.add_widget(title_row)
            else:
                box.add_widget(fit_height(w) if elderly else w)
        self.repeat_button = action_button("", "repeat", "button.repeat", size_hint=(None, None),
                                       size=(target_px() * LANG_BUTTON_WIDTH, target_px()), pos_hint={"center_x": 0.5})
        self.repeat_button.bind(on_release=lambda _b: app.repeat_voice())
        box.add_widget(self.repeat_button)
        self.add_widget(box)
        self.reason_key = "oos.reason.devices"

    def refresh(self) -> None:
        t, cfg = self.app.t, self.app.cfg
        self.title.set(t("oos.title"))
        self.message.set(t("oos.message"))
        # The nearest-counter message: from the remote command that set the mode, else configuration.
        self.reason.set(t(self.reason_key))
        self.counter.set(self.app.counter_message())
        self.hotline.set(t("oos.hotline", hotline=cfg.kiosk.hotline))
        self.repeat_button.set(t("voice.repeat"))
