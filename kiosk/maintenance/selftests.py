"""Device self-tests (pass/fail with the time last tested) and the printable readiness report.

Nothing personal is kept: a test reads a card and records only that it could; the camera test
keeps no picture; the PIN pad runs in the pad's own key-test mode, never a PIN entry.
"""

from __future__ import annotations

import datetime as dt
import html
import json
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from hal.atomic_file import write_atomic
from hal.audio.chime import CHIME_S, ensure_chime
from hal.status import DeviceError, DeviceStatus
from hal.types import CardFace, Receipt, ReceiptLine
from kiosk.clock import CHINA_TZ
from kiosk.devices import DeviceSet
from kiosk.domain.masking import scrub
from kiosk.stock_ledger import CardRecord, Kind, StockLedger

SELFTEST_FILE = "selftests.json"
CHIME_FILE = "audio-selftest.wav"
KEY_TEST_KEYS = 3  # the technician presses a few keys, then Enter


@dataclass(frozen=True)
class TestResult:
    name: str
    passed: bool
    at: str
    detail: str = ""


TESTS: dict[str, str] = {
    "id_reader": "读身份证 read an ID card",
    "card_reader": "读测试社保卡 read a test social security card",
    "issuer": "打印测试卡 print a test card",
    "camera": "拍照 capture a photo",
    "pin_pad": "密码键盘按键测试 PIN pad key test",
    "receipt_printer": "打印凭条 print a receipt",
    "audio": "播放测试音 play a test chime",
}


def _now() -> str:
    return dt.datetime.now(CHINA_TZ).isoformat(timespec="seconds")


class SelfTests:
    def __init__(self, devices: DeviceSet, path: Path, ledger: StockLedger | None = None,
                 *, timeout_s: float = 10.0) -> None:
        self.devices = devices
        self.path = path
        self.ledger = ledger
        self.timeout_s = timeout_s
        self._lock = threading.Lock()
        self.results: dict[str, TestResult] = self._load()
        self.chime = path.parent / CHIME_FILE  # the speaker test's sound, generated when first needed

    def _load(self) -> dict[str, TestResult]:
        try:
            raw = json.loads(self.path.read_text(encoding="utf-8"))
            return {k: TestResult(**v) for k, v in raw.items() if k in TESTS}
        except (OSError, ValueError, TypeError):
            return {}

    def _save(self) -> None:
        write_atomic(self.path, json.dumps({k: asdict(v) for k, v in self.results.items()}, ensure_ascii=False))

    def run(self, name: str) -> TestResult:
        if name not in TESTS:
            raise KeyError(name)
        test: Callable[[], str] = getattr(self, f"_test_{name}")
        try:
            if getattr(self.devices, name) is None:
                raise DeviceError("no_device", "not configured")
            result = TestResult(name, True, _now(), test())
        except DeviceError as exc:
            result = TestResult(name, False, _now(), exc.code)
        except _Failed as exc:
            result = TestResult(name, False, _now(), str(exc))
        with self._lock:
            self.results[name] = result
            self._save()
        return result

    # ---- the tests ----------------------------------------------------------------------------
    def _test_id_reader(self) -> str:
        dev = self.devices.id_reader
        assert dev is not None
        card = dev.read_card(self.timeout_s)
        if card is None:
            raise _Failed("no ID card read")
        return "ID card read" + (" with photo" if card.photo_wlt else "")

    def _test_card_reader(self) -> str:
        dev = self.devices.card_reader
        assert dev is not None
        if not dev.wait_for_card(self.timeout_s):
            raise _Failed("no card inserted")
        card = dev.read_card()
        if card is None:
            raise _Failed("card not read")
        return f"card read (type {scrub(card.card_type)[:2]}, spec {scrub(card.spec_version)[:8]})"

    def _test_issuer(self) -> str:
        dev = self.devices.issuer
        assert dev is not None
        dev.feed_to_contact()
        try:
            dev.print_face(CardFace(name="测试卡", ssn="SELF-TEST", card_no="TEST", issue_date=dt.date.today(),
                                    photo_jpeg=None))
        finally:
            dev.eject_to_reject()  # a test card is spoiled stock: it goes to the reject box
            if self.ledger is not None:
                self.ledger.record(Kind.SPOILED, dt.datetime.now(CHINA_TZ), f"selftest-{uuid.uuid4().hex[:8]}",
                                   CardRecord(), "self-test card")
        return "test card printed and sent to the reject box"

    def _test_camera(self) -> str:
        dev = self.devices.camera
        assert dev is not None
        frame = dev.read_frame()
        if frame is None or frame.size == 0:
            raise _Failed("no frame")
        if int(frame.max()) == int(frame.min()):
            raise _Failed("blank frame")
        return f"frame {frame.shape[1]}x{frame.shape[0]}"  # the frame itself is dropped here

    def _test_pin_pad(self) -> str:
        dev: Any = self.devices.pin_pad
        if not hasattr(dev, "start_key_test"):
            st: DeviceStatus = dev.status()
            if not st.usable:
                raise _Failed(st.state.value)
            return "no key-test mode on this pad: status only"
        dev.start_key_test()
        keys: list[str] = []
        try:
            while True:
                key = dev.next_test_key(self.timeout_s)
                if key is None:
                    raise _Failed(f"timed out after {len(keys)} keys")
                keys.append(key)
                if key == "enter" and len(keys) > KEY_TEST_KEYS:
                    break
        finally:
            dev.stop_key_test()
        return f"{len(keys)} keys reported"

    def _test_receipt_printer(self) -> str:
        dev = self.devices.receipt_printer
        assert dev is not None
        dev.print_receipt(Receipt("自检 SELF-TEST", (ReceiptLine("凭条打印测试 receipt printer test", center=True),
                                                     ReceiptLine(_now())), f"TEST-{uuid.uuid4().hex[:6]}"))
        return "test receipt printed"


    def _test_audio(self) -> str:
        dev = self.devices.audio
        assert dev is not None
        st = dev.status()
        if not st.usable:
            dev.open()  # reconnect: a speaker plugged in since the start is found here
        before = dev.status().counters.get("clips_played", 0)
        dev.play([ensure_chime(self.chime)])
        deadline = time.monotonic() + CHIME_S + self.timeout_s
        while dev.playing() and time.monotonic() < deadline:
            time.sleep(0.02)
        if dev.playing():
            dev.stop()
            raise _Failed("the chime did not finish")
        st = dev.status()
        if not st.usable:
            raise _Failed(st.last_error or st.state.value)
        if st.counters.get("clips_played", 0) <= before or st.last_error == "clip_unreadable":
            raise _Failed(st.last_error or "nothing played")
        return f"test chime played at volume {round(dev.volume() * 100)}%"


class _Failed(Exception):
    pass


# ---- readiness report ---------------------------------------------------------------------------
@dataclass(frozen=True)
class Readiness:
    kiosk_id: str
    at: str
    devices: dict[str, DeviceStatus]
    tests: dict[str, TestResult]
    supplies: dict[str, str]
    queue: dict[str, Any]
    link_online: bool

    @property
    def ready(self) -> bool:
        """Every configured device usable, self-tested and passing; no supply out; the link up."""
        configured = {n for n, st in self.devices.items() if st.state.value != "no_device"}
        tested = all(n in self.tests and self.tests[n].passed for n in configured if n in TESTS)
        return (all(self.devices[n].usable for n in configured) and tested
                and "out" not in self.supplies.values() and self.link_online)

    def lines(self) -> list[str]:
        out = [f"自助终端就绪报告 readiness report {self.kiosk_id}", f"时间 at {self.at}",
               f"结论 verdict: {'就绪 READY' if self.ready else '未就绪 NOT READY'}", "-- 设备 devices --"]
        for name, st in self.devices.items():
            t = self.tests.get(name)
            tested = f"{'PASS' if t.passed else 'FAIL'} {t.at} {t.detail}" if t else "never tested"
            out.append(f"{name}: {st.state.value} action={st.action.value} err={st.last_error or '-'} | {tested}")
        out.append("-- 耗材 supplies --")
        out += [f"{k}: {v}" for k, v in sorted(self.supplies.items())]
        out.append("-- 队列 queue --")
        out += [f"{k}: {v}" for k, v in self.queue.items()]
        out.append(f"链路 link: {'online' if self.link_online else 'OFFLINE'}")
        return [scrub(x) for x in out]

    def text(self) -> str:
        return "\n".join(self.lines()) + "\n"

    def html(self) -> str:
        rows = "".join(f"<li>{html.escape(x)}</li>" for x in self.lines()[3:])
        head = "".join(f"<p>{html.escape(x)}</p>" for x in self.lines()[:3])
        return (f"<!doctype html><html><head><meta charset='utf-8'><title>readiness {html.escape(self.kiosk_id)}"
                f"</title></head><body>{head}<ul>{rows}</ul></body></html>")

    def receipt(self) -> Receipt:
        lines = tuple(ReceiptLine(x) for x in self.lines()[1:])
        return Receipt("就绪报告 READINESS", lines, f"RDY-{self.at[:19].replace(':', '')}")
