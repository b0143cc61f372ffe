"""Technician's probe: read one ID card and print it. ``kiosk hal probe id-reader`` calls ``probe``.

    python -m hal.probe_id_reader --driver sam-serial --port /dev/ttyUSB0 [--baud 115200] --json

Exit codes: 0 read, 1 no card, 2 bad arguments, 3 no reader/port, 4 protocol or device error,
5 timeout. Errors are one line on stderr (Chinese, then English), never a traceback.
This is a diagnostic that shows the card to the technician in front of it; it logs nothing.
"""

from __future__ import annotations

import argparse
import json
import sys

from hal.idreader.sam_serial import SamSerialIdReader
from hal.idreader.text_block import NO_EXPIRY, IdTextError
from hal.status import DeviceError, DeviceTimeout, DeviceUnavailable
from hal.types import IdCardData

DRIVERS = ("sam-serial",)
SEX_NAMES = {"0": "未知", "1": "男", "2": "女", "9": "未说明"}

EXIT_OK, EXIT_NO_CARD, EXIT_USAGE, EXIT_NO_DEVICE, EXIT_ERROR, EXIT_TIMEOUT = 0, 1, 2, 3, 4, 5


def card_to_json(card: IdCardData) -> dict[str, object]:
    return {
        "name": card.name,
        "sex": SEX_NAMES.get(card.sex_code, card.sex_code),
        "ethnicity": card.ethnicity_code,  # GB 3304 code; hal keeps no name table (kiosk/domain has it)
        "birth_date": card.birth_date.isoformat(),
        "address": card.address,
        "id_number": card.id_number,
        "issuer": card.issuer,
        "valid_from": card.valid_from.isoformat(),
        "valid_until": NO_EXPIRY if card.valid_until is None else card.valid_until.isoformat(),
        "photo_wlt_len": len(card.photo_wlt),
    }


def _fail(code: int, zh: str, en: str) -> int:
    print(f"{zh} / {en}", file=sys.stderr)
    return code


def probe(driver: str, port: str, baud: int, as_json: bool, timeout_s: float = 5.0) -> int:
    if driver not in DRIVERS:
        known = ", ".join(DRIVERS)
        return _fail(EXIT_USAGE, f"不支持的驱动 {driver}", f"unknown driver {driver!r} (use {known})")
    reader = SamSerialIdReader(port, baud, response_timeout_s=min(2.0, max(0.2, timeout_s)))
    try:
        card = reader.read_card(timeout_s)
    except DeviceUnavailable:
        return _fail(EXIT_NO_DEVICE, f"找不到身份证阅读器 {port}", f"no ID card reader at {port}")
    except DeviceTimeout:
        return _fail(EXIT_TIMEOUT, "身份证阅读器无响应（超时）", "ID card reader did not answer (timeout)")
    except IdTextError as exc:
        return _fail(EXIT_ERROR, f"身份证信息无效：{exc.code}", f"invalid ID card data: {exc}")
    except DeviceError as exc:
        return _fail(EXIT_ERROR, f"身份证阅读器通信错误：{exc.code}", f"ID card reader error: {exc}")
    except Exception as exc:  # the probe's contract: one line, never a traceback
        return _fail(EXIT_ERROR, "身份证阅读器未知错误", f"unexpected error: {type(exc).__name__}")
    finally:
        reader.close()
    if card is None:
        return _fail(EXIT_NO_CARD, "未检测到身份证", "no ID card on the reader")
    data = card_to_json(card)
    if as_json:
        print(json.dumps(data, ensure_ascii=False))
    else:
        for key, value in data.items():
            print(f"{key}: {value}")
    return EXIT_OK


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m hal.probe_id_reader", description="Read one ID card and print it."
    )
    parser.add_argument("--driver", default="sam-serial", help="sam-serial")
    parser.add_argument("--port", required=True, help="serial port, e.g. /dev/ttyUSB0")
    parser.add_argument("--baud", type=int, default=115200)
    parser.add_argument("--timeout", type=float, default=5.0, help="seconds to wait for a card")
    parser.add_argument("--json", action="store_true", dest="as_json")
    args = parser.parse_args(argv)
    return probe(args.driver, args.port, args.baud, args.as_json, args.timeout)


if __name__ == "__main__":
    sys.exit(main())
