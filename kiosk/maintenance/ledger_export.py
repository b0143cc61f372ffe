"""The daily card stock ledger (art. 27) exported to CSV and XLSX, and uploaded through the queue.

Files written on the kiosk hold the masked columns only (the disk never holds personal data in
clear, DESIGN.md); the complete ledger goes to the central inside the encrypted queue
(``StockLedger.upload_body``), where the data centre prints and stamps it.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
from pathlib import Path

from hal.atomic_file import write_atomic
from kiosk.stock_ledger import Kind, LedgerRow, StockLedger

HEADER = ("日期 date", "类别 kind", "制卡时间 produced at", "计划移交时间 planned handover", "申请号 application",
          "姓名 name", "社会保障号码 SSN", "社保卡号 card no.", "银行账号 bank account", "原因 reason")
UNDELIVERED_HANDOVER = dt.timedelta(days=1)
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def _cell(text: str) -> str:
    """Neutralise spreadsheet formulas (CSV/XLSX injection) in free-text cells."""
    return "'" + text if text.startswith(_FORMULA_START) else text


def planned_handover(r: LedgerRow) -> str:
    """Art. 27's 计划移交时间: a card issued on the spot was handed over when made; a card left in
    the kiosk goes to the outlet counter the next day; a spoiled card is not handed over (art. 36)."""
    if r.kind is Kind.ISSUED:
        return r.at
    if r.kind is Kind.UNDELIVERED:
        return (dt.datetime.fromisoformat(r.at) + UNDELIVERED_HANDOVER).isoformat(timespec="seconds")
    return ""


def _row(r: LedgerRow) -> tuple[str, ...]:
    return tuple(_cell(str(x)) for x in (r.day, r.kind.value, r.at, planned_handover(r), r.application_id, r.name,
                                         r.ssn, r.card_no, r.bank_account, r.reason))


def _write_private(path: Path, data: bytes) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    write_atomic(path, data)
    return path


def csv_bytes(ledger: StockLedger, day: dt.date) -> bytes:
    buf = io.StringIO()
    w = csv.writer(buf)
    w.writerow(HEADER)
    for r in ledger.rows(day):
        w.writerow(_row(r))
    return ("\ufeff" + buf.getvalue()).encode("utf-8")  # BOM: spreadsheet programs then read UTF-8


def export_csv(ledger: StockLedger, day: dt.date, path: Path) -> Path:
    return _write_private(path, csv_bytes(ledger, day))


def export_xlsx(ledger: StockLedger, day: dt.date, path: Path) -> Path:
    from openpyxl import Workbook

    wb = Workbook()
    ws = wb.active
    assert ws is not None
    ws.title = day.isoformat()
    ws.append(list(HEADER))
    for r in ledger.rows(day):
        ws.append(list(_row(r)))
    ws.append([])
    counts = ledger.counts(day)
    ws.append(["合计 totals", *(f"{k}={v}" for k, v in counts.items())])
    buf = io.BytesIO()
    wb.save(buf)
    return _write_private(path, buf.getvalue())


def export_day(ledger: StockLedger, day: dt.date, out_dir: Path) -> tuple[Path, Path]:
    stem = f"stock-ledger-{ledger.kiosk_id}-{day.isoformat()}"
    return export_csv(ledger, day, out_dir / f"{stem}.csv"), export_xlsx(ledger, day, out_dir / f"{stem}.xlsx")
