"""Software time of a full instant issuance (service 1) on zero-latency simulators.

One run: a fresh reference central on loopback and a kiosk Runtime on simulators; the
citizen's answers are given the moment each view appears (photo on file, details, take the
card, skip the PIN change), so what is measured is the kiosk's own software path plus the
real HTTP round trips: read ID → lookup → eligibility → photo → apply → class-I account →
feed/personalise/verify/print/eject (journalled) → 回盘 queued → activation delivered →
receipt → stock ledger; the mobile is confirmed by the SMS code the phone got (issue 21 §2).
Baseline, same run: the bare central round trips the flow cannot avoid (lookup, photo, SMS code
sent, read on the phone and checked, apply, bank account, activation), made directly with the CentralClient.
Key: flows.issuance_software_s (median of RUNS; goal < 1 s); flows.central_roundtrips_s.
"""

from __future__ import annotations

import base64
import dataclasses
import datetime as dt
import logging
import statistics
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

import httpx

from central_sim.server import run_in_thread
from hal.sim.id_reader import SimIdCardReader
from hal.sim.issuer import SimCardIssuer
from kiosk.central.client import CentralClient
from kiosk.clock import CHINA_TZ, FixedDateClock
from kiosk.config import load_config, simulated
from kiosk.demo import citizen, id_card_for
from kiosk.domain.services import ServiceId
from kiosk.flows.base import End, FlowChannel, UserInput, View
from kiosk.runtime import Runtime

RUNS = 5
MOBILE = "13800000001"
DETAILS = [("set_mobile", MOBILE), ("set_address", "350102|示范路1号"), ("set_postal_code", "350001"),
           ("confirm", "")]


def _runtime(data: Path, url: str) -> Runtime:
    cfg = simulated(load_config(None))
    cfg = dataclasses.replace(
        cfg, kiosk=dataclasses.replace(cfg.kiosk, data_dir=str(data)),
        central=dataclasses.replace(cfg.central, url=url))
    rt = Runtime(cfg, clock=FixedDateClock(dt.datetime.now(CHINA_TZ).date()))
    rt.start()
    return rt


def _one_issuance(tmp: Path) -> tuple[float, float]:
    central = run_in_thread(str(tmp / "central.sqlite"), port=0)
    rt = _runtime(tmp / "kiosk", central.url)
    try:
        person = citizen("adult_never_applied")
        reader = rt.devices.id_reader
        issuer = rt.devices.issuer
        assert isinstance(reader, SimIdCardReader) and isinstance(issuer, SimCardIssuer)
        holder: dict[str, FlowChannel] = {}
        ready = threading.Event()
        details = iter(DETAILS)

        def answer(view: View) -> None:
            ready.wait()
            ch = holder["ch"]
            if view.screen == "read_id":  # placed once asked: a card already lying there is not read
                reader.place(id_card_for(person))
            elif view.screen == "face_consent":  # 人证核验 (issue 17): agreed; the citizen blinks
                ch.send(UserInput("agree"))
            elif view.screen == "photo_choice":
                ch.send(UserInput("use_on_file"))
            elif view.screen == "details":
                action, value = next(details)
                ch.send(UserInput(action, value))
            elif view.screen == "otp":  # the code the phone got (the central's loopback test hook)
                ch.send(UserInput("submit_code", _sms_code(central.url, MOBILE)))
            elif view.screen == "take_card":
                issuer.take_card()
            elif view.screen == "pin_offer":
                ch.send(UserInput("skip"))
            elif view.end is not None:
                ch.send(UserInput("home"))
                reader.remove()  # the citizen takes the ID card, as the session end asks

        _live_face(rt, citizen("adult_never_applied"))
        t0 = time.perf_counter()
        holder["ch"] = rt.start_service(ServiceId.APPLY, answer)
        ready.set()
        result = rt.wait_idle(60)
        flow_s = time.perf_counter() - t0
        assert result is not None and result.end is End.DONE and result.code == "issued", result
    finally:
        rt.stop()
    # baseline: the same person's unavoidable central round trips, bare, on a fresh central
    central.stop()
    return flow_s, _bare_roundtrips(tmp / "bare.sqlite")


def _live_face(rt: Runtime, p: dict[str, Any]) -> None:
    """The citizen blinks before the simulator camera (models loaded before the clock starts)."""
    import cv2

    from kiosk.photo.detector import get_models
    from kiosk.photo.live_sim import live_citizen

    get_models()
    frames = live_citizen(cv2.imread(str(p["photo_path"])))  # type: ignore[arg-type]
    assert frames is not None
    rt.devices.camera.present_sequence(frames)  # type: ignore[union-attr]


def _sms_code(url: str, mobile: str) -> str:
    r = httpx.post(f"{url}/_admin/sms/inbox", json={"mobile": mobile}, timeout=5)
    r.raise_for_status()
    return str(r.json()["code"])


def _bare_roundtrips(db: Path) -> float:
    central = run_in_thread(str(db), port=0)
    client = CentralClient(central.url, "FZ-BENCH-0001")
    try:
        p = citizen("adult_never_applied")
        t0 = time.perf_counter()
        client.lookup_person(p["id_number"], p["name"])
        photo = client.person_photo(p["id_number"])
        sent = client.send_sms_code(MOBILE, "apply")
        proof = client.verify_sms_code(sent.otp_id, MOBILE, _sms_code(central.url, MOBILE))
        created = client.apply({
            "mobile_verification_id": proof.verification_id,
            "kind": "new", "bank_code": "FZB", "delivery": "instant",
            "photo_jpeg_b64": base64.b64encode(photo).decode(),
            "applicant": {"name": p["name"], "sex": p["sex"], "ethnicity": p["ethnicity"],
                          "birth_date": p["birth_date"], "id_type": "01", "id_number": p["id_number"],
                          "id_valid_from": p["id_valid_from"], "id_valid_until": p["id_valid_until"],
                          "nationality": "CHN", "occupation": "其他", "mobile": MOBILE,
                          "household_address": p["household_address"],
                          "residence_address": "福建省福州市鼓楼区示范路1号",
                          "postal_code": "350001", "medical_insurance": p["medical_insurance"]}})
        client.open_bank_account(created.application_id, p["id_number"], created.card_no)
        client.report_production_result(created.application_id, {
            "result": "success", "card_no": created.card_no, "chip_atr": "3B00", "card_id_code": "X",
            "produced_at": dt.datetime.now(CHINA_TZ).isoformat(timespec="seconds")})
        client.activate_card(created.card_no, p["id_number"])
        return time.perf_counter() - t0
    finally:
        client.close()
        central.stop()


def run(results: dict[str, float], report: list[str]) -> None:
    logging.disable(logging.WARNING)
    try:
        flows: list[float] = []
        bare: list[float] = []
        for i in range(RUNS + 1):  # the first run warms imports and is not counted
            with tempfile.TemporaryDirectory() as d:
                f, b = _one_issuance(Path(d))
            if i:
                flows.append(f)
                bare.append(b)
    finally:
        logging.disable(logging.NOTSET)
    flow_s, bare_s = statistics.median(flows), statistics.median(bare)
    results["flows.issuance_software_s"] = round(flow_s, 4)
    results["flows.central_roundtrips_s"] = round(bare_s, 4)
    report += [
        "## Flows: full instant issuance on zero-latency simulators",
        "",
        "| measure | median of runs | note |",
        "|---|---|---|",
        f"| flows.issuance_software_s | {flow_s:.3f} s | goal < 1 s; {RUNS} runs |",
        f"| baseline: bare central round trips | {bare_s:.3f} s |"
        " lookup, photo, SMS code sent + checked, apply, account, 回盘, activate |",
        f"| ratio | {flow_s / bare_s:.1f}× | kiosk software path over its unavoidable HTTP calls |",
    ]
