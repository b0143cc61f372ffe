"""Run as a subprocess: the loss report through the touchscreen, offscreen, with taps by id.

Prints one JSON line: the screens seen, the view sequence and the central's card status.
"""

from __future__ import annotations

import json
import sqlite3
import sys
import tempfile
from pathlib import Path


def main(out_dir: str | None = None) -> int:
    tmp = Path(tempfile.mkdtemp(prefix="ui-loss-"))
    from central_sim.server import run_in_thread

    central = run_in_thread(str(tmp / "central.sqlite"), port=0)
    from tests.ui.harness import UiHarness, test_config

    cfg = test_config(tmp / "kiosk", central.url, kiosk={"language": "zh"})
    ui = UiHarness(cfg)
    from kiosk.demo import citizen, id_card_for

    person = citizen("adult_active_card")
    card_no = person["cards"][0]["card_no"] if person["cards"] else ""
    shots = Path(out_dir) if out_dir else None
    try:
        ui.pump_until(lambda: ui.screen == "attract", what="attract")
        if shots:
            ui.shot(shots / "attract.png")
        ui.tap("service.loss_report")
        ui.pump_until(lambda: ui.view is not None and ui.view.screen == "read_id", what="read_id")
        if shots:
            ui.shot(shots / "loss_report-read_id.png")
        ui.runtime.devices.id_reader.place(id_card_for(person))  # type: ignore[union-attr]
        ui.pump_until(lambda: ui.view is not None and ui.view.screen in ("confirm_card", "choose_card", "end"),
                      what="confirm")
        if shots:
            ui.shot(shots / "loss_report-confirm.png")
        ui.tap("button.confirm")
        ui.pump_until(lambda: ui.view is not None and ui.view.screen == "done", what="done")
        if shots:
            ui.shot(shots / "loss_report-done.png")
        ui.tap("button.home")
        ui.pump_until(lambda: ui.screen == "attract" and not ui.runtime.in_transaction, what="home")
        with sqlite3.connect(tmp / "central.sqlite") as conn:
            status = conn.execute("SELECT status FROM cards WHERE card_no = ?", (card_no,)).fetchone()[0]
        receipts = ui.runtime.devices.receipt_printer.printed  # type: ignore[union-attr]
        report = {
            "screens": ui.app.screens_seen,
            "views": [v.screen for v in ui.app.views_seen],
            "card_status": status,
            "receipts": len(receipts),
            "max_frame_gap_s": ui.app.max_frame_gap_s,
        }
    finally:
        ui.close()
        central.stop()
    print(json.dumps(report, ensure_ascii=False))
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1] if len(sys.argv) > 1 else None))
