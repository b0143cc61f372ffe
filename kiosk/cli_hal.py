"""`kiosk hal status|probe`: the technician's device diagnostics (a stable black-box interface)."""

from __future__ import annotations

import argparse
import json
import sys

from kiosk.config import load_config


def add_parser(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    hal = sub.add_parser("hal", help="device diagnostics")
    hsub = hal.add_subparsers(dest="hal_command", required=True)
    st = hsub.add_parser("status", help="status of every configured device")
    st.add_argument("--config")
    st.add_argument("--json", action="store_true")
    st.set_defaults(func=_status)
    probe = hsub.add_parser("probe", help="read one device directly")
    psub = probe.add_subparsers(dest="device", required=True)
    idr = psub.add_parser("id-reader")
    idr.add_argument("--driver", default="sam-serial", choices=["sam-serial"])
    idr.add_argument("--port", required=True)
    idr.add_argument("--baud", type=int, default=115200)
    idr.add_argument("--json", action="store_true")
    idr.set_defaults(func=_probe_id)
    cr = psub.add_parser("card-reader")
    cr.add_argument("--driver", default="pcsc", choices=["pcsc"])
    cr.add_argument("--reader", default=None)
    cr.add_argument("--json", action="store_true")
    cr.set_defaults(func=_probe_card)
    au = psub.add_parser("audio", help="play a test chime (or a clip) through the sound card")
    au.add_argument("--driver", default="sdl", choices=["sdl"])
    au.add_argument("--clip", default=None, help="an OGG/WAV file instead of the test chime")
    au.add_argument("--volume", type=float, default=0.8)
    au.add_argument("--json", action="store_true")
    au.set_defaults(func=_probe_audio)
    sc = psub.add_parser("scanner", help="arm the QR scanner and wait for one code (e-card sign-in)")
    sc.add_argument("--driver", default="honeywell-serial", choices=["honeywell-serial", "evdev", "camera"])
    sc.add_argument("--port", default="", help="serial port, or the evdev node for --driver evdev")
    sc.add_argument("--baud", type=int, default=115200)
    sc.add_argument("--suffix", default="cr", choices=["cr", "crlf", "lf", "tab"])
    sc.add_argument("--source", default="0", help="camera index or path for --driver camera")
    sc.add_argument("--wait", type=float, default=10.0, help="seconds to wait for a code")
    sc.add_argument("--json", action="store_true")
    sc.set_defaults(func=_probe_scanner)
    dc = psub.add_parser("document-camera", help="read frames from the document camera (高拍仪)")  # doccam
    dc.add_argument("--driver", default="opencv", choices=["opencv"])
    dc.add_argument("--source", default="", help="device index or path (default: the second camera, index 1)")
    dc.add_argument("--width", type=int, default=1600)
    dc.add_argument("--height", type=int, default=1200)
    dc.add_argument("--json", action="store_true")
    dc.set_defaults(func=_probe_document_camera)


def _status(args: argparse.Namespace) -> int:
    from kiosk.devices import build_devices

    devices = build_devices(load_config(args.config))
    devices.open_all()
    try:
        statuses = {k: v.to_json() for k, v in devices.statuses().items()}
    finally:
        devices.close_all()
    if args.json:
        print(json.dumps(statuses, ensure_ascii=False, indent=2))
    else:
        for name, st in statuses.items():
            print(f"{name:16} {st['state']:15} {st['last_error'] or ''}")
    return 0


def _probe_id(args: argparse.Namespace) -> int:
    try:
        from hal.probe_id_reader import probe
    except ImportError:
        print("探测不可用 probe unavailable: id-reader driver not installed", file=sys.stderr)
        return 3
    return int(probe(args.driver, args.port, args.baud, args.json))


def _probe_card(args: argparse.Namespace) -> int:
    try:
        from hal.probe_card_reader import probe
    except ImportError:
        print("探测不可用 probe unavailable: card-reader driver not installed", file=sys.stderr)
        return 3
    return int(probe(args.driver, args.reader, args.json))


def _probe_audio(args: argparse.Namespace) -> int:
    try:
        from hal.audio.probe import probe
    except ImportError:
        print("探测不可用 probe unavailable: audio driver not installed", file=sys.stderr)
        return 3
    return int(probe(args.driver, args.clip, args.volume, args.json))


def _probe_scanner(args: argparse.Namespace) -> int:
    try:
        from hal.scanner.probe import probe
    except ImportError:
        print("探测不可用 probe unavailable: scanner driver not installed", file=sys.stderr)
        return 3
    return int(probe(args.driver, args.port, args.baud, args.suffix, args.source, args.wait, args.json))
def _probe_document_camera(args: argparse.Namespace) -> int:
    try:
        from hal.doccam.probe import probe
    except ImportError:
        print("探测不可用 probe unavailable: document camera driver not installed", file=sys.stderr)
        return 3
    return int(probe(args.driver, args.source, args.width, args.height, args.json))
