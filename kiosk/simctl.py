"""Steering the simulators of a running demo kiosk from another terminal (`kiosk sim …`).

Only in simulator mode: the runtime listens on a unix socket in its run directory (0600) and
applies each JSON command to a simulator's ``steer`` or to the demo helpers.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import socket
import socketserver
import sys
import threading
from pathlib import Path
from typing import Any

log = logging.getLogger("kiosk.simctl")


def apply(devices: Any, command: dict[str, Any]) -> str:
    """Carry out one steering command on the simulators; returns a short result."""
    from kiosk import demo

    action = str(command.get("action", ""))
    if action == "place-id":
        devices.id_reader.place(demo.id_card_for(demo.citizen(str(command["citizen"]))))
        return "ID card placed"
    if action == "insert-card":
        person = demo.citizen(str(command["citizen"]))
        devices.card_reader.insert(demo.chip_of(person, int(command.get("index", 0))))
        return "card inserted"
    if action == "live-face":  # 人证核验: the seeded citizen blinking before the camera
        return _live_face(devices, demo.citizen(str(command["citizen"])))
    device = getattr(devices, str(command.get("device", "")), None)
    if device is None or not hasattr(device, "steer"):
        raise ValueError(f"no simulated device {command.get('device')!r}")
    params = {k: v for k, v in command.items() if k not in ("action", "device")}
    return str(device.steer(action, **params))


def _live_face(devices: Any, person: dict[str, Any]) -> str:
    import cv2

    from kiosk.photo.detector import u8
    from kiosk.photo.live_sim import live_citizen

    img = cv2.imread(str(person.get("photo_path") or ""))
    frames = live_citizen(u8(img)) if img is not None else None
    if frames is None:
        raise ValueError("no live face for this citizen (no usable photo)")
    devices.camera.present_sequence(frames)
    return "citizen before the camera"


class _Handler(socketserver.StreamRequestHandler):
    def handle(self) -> None:
        line = self.rfile.readline(64 * 1024)
        try:
            result = {"ok": True, "result": apply(self.server.devices, json.loads(line))}  # type: ignore[attr-defined]
        except Exception as exc:  # report, never crash the kiosk
            result = {"ok": False, "error": f"{type(exc).__name__}: {exc}"}
        self.wfile.write(json.dumps(result, ensure_ascii=False).encode("utf-8") + b"\n")


class SimControlServer:
    def __init__(self, path: Path, devices: Any) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.unlink(missing_ok=True)
        self.server = socketserver.ThreadingUnixStreamServer(str(path), _Handler)
        self.server.devices = devices  # type: ignore[attr-defined]
        os.chmod(path, 0o600)
        self.path = path
        self.thread = threading.Thread(target=self.server.serve_forever, name="simctl", daemon=True)

    def start(self) -> None:
        self.thread.start()

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()
        self.path.unlink(missing_ok=True)


def send(path: Path, command: dict[str, Any], timeout: float = 5.0) -> dict[str, Any]:
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as s:
        s.settimeout(timeout)
        s.connect(str(path))
        s.sendall(json.dumps(command).encode("utf-8") + b"\n")
        data = b""
        while not data.endswith(b"\n"):
            chunk = s.recv(4096)
            if not chunk:
                break
            data += chunk
    reply: dict[str, Any] = json.loads(data)
    return reply


def add_parser(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser("sim", help="steer the simulators of a running demo kiosk")
    p.add_argument("--config", help="the running kiosk's configuration")
    s = p.add_subparsers(dest="sim_command", required=True)
    pid = s.add_parser("place-id", help="place a seeded citizen's ID card on the reader")
    pid.add_argument("citizen")
    s.add_parser("remove-id", help="lift the ID card")
    ic = s.add_parser("insert-card", help="insert a seeded citizen's social security card")
    ic.add_argument("citizen")
    ic.add_argument("--index", type=int, default=0)
    s.add_parser("remove-card", help="pull the social security card")
    s.add_parser("take-card", help="take the new card from the bezel")
    pf = s.add_parser("present-face", help="show an image to the camera ('' to clear)")
    pf.add_argument("path")
    lf = s.add_parser("live-face", help="a seeded citizen blinking before the camera (the face check)")
    lf.add_argument("citizen")
    tp = s.add_parser("type-pin", help="type a PIN on the simulated pad, then Enter")
    tp.add_argument("pin")
    f = s.add_parser("fail", help="make a device's next operation fail")
    f.add_argument("device")
    f.add_argument("--op", default="*")
    f.add_argument("--code", default="hardware_error")
    for name in ("unplug", "plug", "clear"):
        d = s.add_parser(name, help=f"{name} a device")
        d.add_argument("device")
    h = s.add_parser("hopper", help="set the blank cards in the hopper")
    h.add_argument("count", type=int)
    ec = s.add_parser("show-ecard", help="show a seeded citizen's e-card sign-in code to the scanner "
                                         "(issued by the reference central's test hook)")
    ec.add_argument("citizen")
    s.add_parser("unreadable-code", help="show the scanner a code it cannot read")
    dc = s.add_parser("document", help="lay a document on the document camera (高拍仪)")
    dc.add_argument("kind", help="household_register | birth_certificate | authorisation_letter | id_card | none")
    df = s.add_parser("document-fault", help="spoil the document camera's view")
    df.add_argument("fault", help="none | glare | blur | no_page")
    p.set_defaults(func=_cmd)


def _cmd(args: argparse.Namespace) -> int:
    from kiosk.config import load_config

    cfg = load_config(args.config)
    c = args.sim_command
    simple = {"remove-id": ("id_reader", "remove"), "remove-card": ("card_reader", "remove"),
              "take-card": ("issuer", "take")}
    if c in ("place-id", "insert-card", "live-face"):
        command: dict[str, Any] = {"action": c, "citizen": args.citizen}
        if c == "insert-card":
            command["index"] = args.index
    elif c in simple:
        command = {"device": simple[c][0], "action": simple[c][1]}
    elif c == "present-face":
        command = {"device": "camera", "action": "present", "path": args.path}
    elif c == "type-pin":
        command = {"device": "pin_pad", "action": "type", "pin": args.pin}
    elif c == "fail":
        command = {"device": args.device, "action": "fail", "op": args.op, "code": args.code}
    elif c == "hopper":
        command = {"device": "issuer", "action": "hopper", "count": args.count}
    elif c == "show-ecard":
        command = {"device": "scanner", "action": "scan", "text": _demo_ecard_code(cfg, args.citizen)}
    elif c == "unreadable-code":
        command = {"device": "scanner", "action": "unreadable"}
    elif c == "document-fault":
        command = {"device": "document_camera", "action": "fault", "kind": args.fault}
    elif c == "document":
        command = {"device": "document_camera", "action": "document", "kind": args.kind}
    else:
        command = {"device": args.device, "action": c}
    try:
        reply = send(cfg.run_path("sim.sock"), command)
    except OSError as exc:
        print(f"无法连接演示终端 cannot reach the demo kiosk: {exc.strerror or exc}", file=sys.stderr)
        return 3
    if not reply.get("ok"):
        print(f"失败 failed: {reply.get('error')}", file=sys.stderr)
        return 1
    print(reply.get("result"))
    return 0


def _demo_ecard_code(cfg: Any, citizen: str) -> str:
    """The citizen's e-card app, played by the reference central's test hook (never a production one)."""
    import httpx

    from kiosk import demo

    body = {"id_number": demo.citizen(citizen)["id_number"], "kiosk_id": cfg.kiosk.id}
    resp = httpx.post(f"{cfg.central.url}/v1/_test/ecard/codes", json=body, timeout=5.0)
    resp.raise_for_status()
    return str(resp.json()["code"])
