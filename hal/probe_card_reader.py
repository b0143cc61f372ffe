"""Technician probe of a social security card reader: read the card once and print it.

Wired as ``kiosk hal probe card-reader --driver pcsc [--reader PATTERN] --json``; also runnable
as ``python -m hal.probe_card_reader``. Errors are one line on stderr (Chinese + English) and a
non-zero exit code, never a traceback.
"""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import json
import logging
import sys

from hal.sscard.errors import ReaderMissing
from hal.sscard.pcsc_reader import PcscCardReader
from hal.sscard.secure_access import PsamSecureAccess
from hal.status import DeviceError, DeviceTimeout, DeviceUnavailable
from hal.types import SsCardData

EXIT_OK = 0
EXIT_ERROR = 1
EXIT_NO_CARD = 2
EXIT_UNAVAILABLE = 3
EXIT_PROTOCOL = 4
EXIT_TIMEOUT = 5
DRIVERS = ("pcsc",)
FIELDS = (
    "atr", "card_id_code", "card_type", "spec_version", "issue_date", "expiry_date", "card_no",
    "ssn", "name", "sex", "ethnicity", "birth_place", "birth_date",
)


def card_json(data: SsCardData) -> dict[str, str | None]:
    out: dict[str, str | None] = {}
    for key in FIELDS:
        value = getattr(data, key)
        out[key] = value.isoformat() if isinstance(value, dt.date) else value
    return out


def _error(message: str, code: int) -> int:
    print(message, file=sys.stderr)
    return code


def probe(
    driver: str,
    reader_pattern: str | None,
    as_json: bool,
    timeout_s: float = 5.0,
    psam_pattern: str | None = None,
) -> int:
    """Read the card once and print it; 0, or one stderr line and a non-zero code.

    ``psam_pattern`` names the reader holding a PSAM, for 3rd-generation cards."""
    # The driver's own warnings would add lines to the one-line error the technician reads.
    driver_log = logging.getLogger("hal.sscard")
    level = driver_log.level
    driver_log.setLevel(logging.CRITICAL)
    try:
        return _probe(driver, reader_pattern, as_json, timeout_s, psam_pattern)
    finally:
        driver_log.setLevel(level)


def _probe(
    driver: str, reader_pattern: str | None, as_json: bool, timeout_s: float, psam_pattern: str | None
) -> int:
    if driver not in DRIVERS:
        return _error(f"错误：未知驱动 {driver!r} / error: unknown driver {driver!r} (use: pcsc)", EXIT_ERROR)
    secure = PsamSecureAccess(psam_pattern, command_timeout_s=timeout_s) if psam_pattern else None
    reader = PcscCardReader(reader_pattern, name="probe", command_timeout_s=timeout_s, secure_access=secure)
    try:
        data = reader.read_card()
    except DeviceTimeout:
        return _error("错误：读卡超时 / error: the card did not answer in time", EXIT_TIMEOUT)
    except ReaderMissing:
        return _error(
            f"错误：未找到读卡器 / error: no PC/SC reader matches {reader_pattern!r}", EXIT_UNAVAILABLE
        )
    except DeviceUnavailable as exc:
        return _error(f"错误：PC/SC 服务不可用 / error: PC/SC unavailable ({exc.message})", EXIT_UNAVAILABLE)
    except DeviceError as exc:
        return _error(f"错误：卡片通信失败 / error: card protocol error ({exc.code}: {exc.message})",
                      EXIT_PROTOCOL)
    except Exception as exc:  # the probe must never print a traceback
        return _error(f"错误：内部错误 / error: internal error ({type(exc).__name__})", EXIT_ERROR)
    finally:
        with contextlib.suppress(Exception):
            reader.close()
            if secure is not None:
                secure.close()
    if data is None:
        return _error("错误：读卡器中没有卡 / error: no card in the reader", EXIT_NO_CARD)
    values = card_json(data)
    if as_json:
        print(json.dumps(values, ensure_ascii=False))
    else:
        for key, value in values.items():
            print(f"{key}: {value if value is not None else ''}")
    return EXIT_OK


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m hal.probe_card_reader", description=__doc__)
    parser.add_argument("--driver", default="pcsc", choices=DRIVERS)
    parser.add_argument("--reader", default=None, help="reader name pattern (regex or substring)")
    parser.add_argument("--json", action="store_true")
    parser.add_argument("--timeout", type=float, default=5.0)
    parser.add_argument("--psam", default=None, help="reader name pattern of the PSAM (3rd-generation cards)")
    args = parser.parse_args(argv)
    return probe(args.driver, args.reader, args.json, args.timeout, args.psam)


if __name__ == "__main__":
    raise SystemExit(main())
