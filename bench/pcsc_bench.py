"""PC/SC path speed: pyscard → pcscd → vpcd → virtual card, against two baselines in the same run.

- ``pcsc.apdu_ms_p50``: one SELECT round trip through the whole stack (TCP_QUICKACK on the card side);
- ``pcsc.apdu_ms_p50_no_quickack``: the same without QUICKACK (the 40 ms delayed-ACK stall);
- ``pcsc.chip_only_us_p50``: the virtual chip's own processing (in-process, no I/O);
- ``pcsc.read_card_ms_p50``: a full ``PcscCardReader.read_card`` (2 SELECT EF + 13 READ RECORD on a connected card).
"""

from __future__ import annotations

import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from hal.emulators.pcscd import PcscdError, running_pcscd, wait_card_state
from hal.emulators.vcard import VirtualSsCard
from hal.emulators.vpcd import READER_0, VpcdLink
from hal.sscard import apdu
from hal.sscard.pcsc_reader import PcscCardReader
from hal.sscard.pcsc_transport import PcscTransport


def _p50_ms(samples: list[float]) -> float:
    return statistics.median(samples) * 1000


def _apdu_rtts(n: int) -> list[float]:
    transport = PcscTransport(READER_0)
    transport.exchange(apdu.select_ssse())
    out = []
    for _ in range(n):
        started = time.perf_counter()
        transport.exchange(apdu.select_ssse())
        out.append(time.perf_counter() - started)
    transport.close()
    return out


def _with_card(quickack: bool, fn: Callable[[], list[float]]) -> list[float]:
    link = VpcdLink(VirtualSsCard.personalised(), quickack=quickack).start()
    try:
        if not wait_card_state(READER_0, present=True):
            raise PcscdError("virtual card not seen by pcscd")
        return fn()
    finally:
        link.stop()
        wait_card_state(READER_0, present=False)


def run(results: dict[str, float], report: list[str]) -> None:
    report.append("## PC/SC (pyscard → pcscd → vpcd → virtual card)")
    chip = VirtualSsCard.personalised()
    chip_samples = []
    for _ in range(2000):
        started = time.perf_counter()
        chip.process(apdu.select_ssse())
        chip_samples.append(time.perf_counter() - started)
    try:
        with tempfile.TemporaryDirectory() as tmp, running_pcscd(Path(tmp) / "pcscd.log"):
            fast = _with_card(True, lambda: _apdu_rtts(300))
            slow = _with_card(False, lambda: _apdu_rtts(20))

            def reads() -> list[float]:
                reader = PcscCardReader(READER_0)
                reader.read_card()
                out = []
                for _ in range(50):
                    started = time.perf_counter()
                    reader.read_card()
                    out.append(time.perf_counter() - started)
                reader.close()
                return out

            read_samples = _with_card(True, reads)
    except (PcscdError, TimeoutError) as exc:
        report.append(f"- not measured: {exc}")
        return
    results["pcsc.apdu_ms_p50"] = round(_p50_ms(fast), 3)
    results["pcsc.apdu_ms_p50_no_quickack"] = round(_p50_ms(slow), 3)
    results["pcsc.chip_only_us_p50"] = round(_p50_ms(chip_samples) * 1000, 2)
    results["pcsc.read_card_ms_p50"] = round(_p50_ms(read_samples), 3)
    results["pcsc.quickack_speedup"] = round(_p50_ms(slow) / _p50_ms(fast), 1)
    report += [
        "| measure | p50 |",
        "|---|---|",
        f"| one APDU, whole stack, QUICKACK | {results['pcsc.apdu_ms_p50']} ms |",
        f"| one APDU, whole stack, no QUICKACK (baseline) | {results['pcsc.apdu_ms_p50_no_quickack']} ms |",
        f"| virtual chip only, in-process (baseline) | {results['pcsc.chip_only_us_p50']} µs |",
        f"| read_card (15 APDUs) | {results['pcsc.read_card_ms_p50']} ms |",
        f"\nQUICKACK speed-up: {results['pcsc.quickack_speedup']}×.",
    ]
