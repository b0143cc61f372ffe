"""Check your answers before a committing step (kiosk/flows/check_answers.py): the summary list of
what will be done and a "what happens next" line; the footer's 确认 / 返回 / 取消 answer it.

One panel for every service's confirmation: the rows come from the view (``params["summary"]``),
so a service adds rows, never a screen of its own. Elderly mode shows two rows a page with big
page buttons (taps only, no scrolling), like the details form's check."""

from __future__ import annotations

from typing import Any

from kivy.uix.widget import Widget

from kiosk.flows.base import View
from kiosk.flows.check_answers import NEXT_PARAM, summary_rows
from screens.design.components import SummaryList
from screens.panels import ELDERLY_ROWS, Pager, Panel
from screens.ports import AppPort
from screens.widgets import BRAND, INK, Text, body_px, target_px, theme


class CheckPanel(Panel):
    def __init__(self, app: AppPort, view: View, **kw: Any) -> None:
        super().__init__(app, view, **kw)
        params = dict(view.params)
        rows = [(f"check{i}", self.t(r.label), self.t(r.value, **params) if r.is_key else r.value)
                for i, r in enumerate(summary_rows(params))]
        elderly = theme().elderly
        summary = SummaryList(rows, cols=1 if elderly else 2)  # two a line: the next steps keep their room
        for w in summary.labels():
            app.register(w)
        if elderly and len(rows) > ELDERLY_ROWS:
            lines = list(summary.rows_shown)
            summary.clear_widgets()
            # Each row a touch target's height: the page buttons beside them are half the page each.
            self.add_widget(Pager(app, lines, ELDERLY_ROWS, max(lines[0].height, target_px()), "check"))
        else:
            self.add_widget(summary)
        next_text = self.t(params.get(NEXT_PARAM, ""), **params)
        nxt = Text(next_text, color=INK, halign="left", size_hint_y=None)
        nxt.kiosk_id = "check.next_text"
        nxt.bind(texture_size=lambda w, ts: setattr(w, "height", ts[1]))
        if elderly:  # 1.5x type: the heading leads the text's first line instead of a line of its own
            sep = "：" if app.lang == "zh" else ": "
            nxt.set(next_text, lead=self.t("check.next") + sep)
        else:
            heading = Text(self.t("check.next"), bold=True, color=BRAND, halign="left", size_hint_y=None,
                           height=body_px() * 1.6)
            heading.kiosk_id = "check.next"
            app.register(heading)
            self.add_widget(heading)
        app.register(nxt)
        self.add_widget(nxt)
        self.add_widget(Widget())


def check_panel(app: AppPort, view: View) -> CheckPanel | None:
    """The summary panel for a check-your-answers view, None for any other."""
    return CheckPanel(app, view) if view.end is None and summary_rows(view.params) else None
