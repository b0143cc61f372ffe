"""`make soak`: N simulated transactions of mixed services through the flows and the reference central,
with link outages and device faults sprinkled in, sampling memory, open fds and threads over time.

Everything runs in this process (the kiosk Runtime on zero-latency simulators and the reference
central over loopback HTTP), so the figures cover both. Services, cycled by a seeded RNG: apply with
instant issue (a fresh insured citizen each time, added to the central's records), contact change,
progress query, PIN change, loss report followed by loss cancel. Every 100 transactions the link
goes down for 6 transactions (the central resets every request; offline applications are accepted
for later); every 23rd transaction arms a fault in the device it uses. After the last transaction
the queue must drain to the central with nothing set aside.

Memory is VmRSS from /proc/self/status; fds are /proc/self/fd entries less the TCP sockets between
the kiosk and the in-process central (both ends of a keep-alive connection: the client's pool is
bounded and a pair open at one sample and closed at the other is not a leak); threads are the OS threads
(/proc/self/status Threads) less the in-process reference central's AnyIO worker pool, which grows
on demand up to its cap and is not the kiosk's. Growth is end minus the sample after warm-up (the first 10%, at least
10 transactions: imports, dlib-free caches, SQLite page caches, connection pools), with a
garbage collection before both samples; the growth from the very start is reported beside it.

Writes soak.rss_growth_mb, soak.fd_growth, soak.thread_growth (and a few more soak.* keys) into
bench/results.json (keeping the other keys) and a "Soak" section into bench/results.md.
"""

from __future__ import annotations

import argparse
import gc
import json
import logging
import os
import random
import tempfile
import threading
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from central_sim.faults import FaultRule
from central_sim.idnumber import make_id_number
from central_sim.server import ServerHandle, run_in_thread
from hal.sim.card_reader import SimChip
from kiosk.clock import FixedDateClock
from kiosk.domain.services import ServiceId
from kiosk.flows.base import End, FlowResult, View
from kiosk.runtime import Runtime
from kiosk.sync import queue_json
from tests.flows.conftest import TODAY, Driver, chip, flow_config, id_card, person

HERE = Path(__file__).resolve().parent
Answer = Callable[[Driver, View], None]
Plan = tuple[ServiceId, dict[str, Answer], Callable[[], None]]  # service, answers by screen, clean-up
KINDS = ("apply", "contact", "progress", "pin", "loss")
WEIGHTS = (2, 3, 2, 2, 1)
OUTAGE_EVERY, OUTAGE_LEN = 100, 6
FAULT_EVERY = 23
PINS = ("135790", "246802")
# a DONE of these services must reach the central as one row of that table (nothing lost)
COUNTED = {ServiceId.CONTACT_CHANGE: "contact_changes", ServiceId.PIN_CHANGE: "pin_events",
           ServiceId.LOSS_REPORT: "loss_reports", ServiceId.APPLY: "applications"}


@dataclass(frozen=True)
class Sample:
    i: int
    t: float
    rss_kb: int
    fds: int
    threads: int


@dataclass
class SoakResult:
    n: int
    seconds: float
    ends: Counter[str] = field(default_factory=Counter)
    undefined: list[str] = field(default_factory=list)
    samples: list[Sample] = field(default_factory=list)
    warm: Sample | None = None
    end: Sample | None = None
    drained: bool = False
    queue: dict[str, Any] = field(default_factory=dict)
    outages: int = 0
    device_faults: int = 0
    central_counts: dict[str, int] = field(default_factory=dict)
    expected_counts: dict[str, int] = field(default_factory=dict)

    def lost(self) -> dict[str, tuple[int, int]]:
        """Tables where the central holds fewer rows than the kiosk accepted: (accepted, recorded)."""
        return {k: (v, self.central_counts.get(k, 0)) for k, v in self.expected_counts.items()
                if self.central_counts.get(k, 0) != v}

    @property
    def start(self) -> Sample:
        return self.samples[0]

    @property
    def peak_rss_kb(self) -> int:
        return max(s.rss_kb for s in self.samples)

    @property
    def rss_growth_mb(self) -> float:
        assert self.warm and self.end
        return (self.end.rss_kb - self.warm.rss_kb) / 1024

    @property
    def fd_growth(self) -> int:
        assert self.warm and self.end
        return self.end.fds - self.warm.fds

    @property
    def thread_growth(self) -> int:
        assert self.warm and self.end
        return self.end.threads - self.warm.threads


def _central_sockets(port: int) -> set[str]:
    """Socket inodes of TCP connections from or to ``port`` (/proc/self/net/tcp{,6})."""
    inodes: set[str] = set()
    for table in ("tcp", "tcp6"):
        path = Path("/proc/self/net") / table
        if not path.exists():
            continue
        for line in path.read_text().splitlines()[1:]:
            cols = line.split()
            local, remote = (int(c.rsplit(":", 1)[1], 16) for c in cols[1:3])
            if port in (local, remote):
                inodes.add(cols[9])
    return inodes


def _open_fds(central_port: int) -> int:
    skip = {f"socket:[{inode}]" for inode in _central_sockets(central_port)} if central_port else set()
    n = 0
    for fd in os.listdir("/proc/self/fd"):
        try:
            target = os.readlink(f"/proc/self/fd/{fd}")
        except OSError:
            continue  # the directory's own fd, closed by now
        n += target not in skip
    return n


def sample(i: int, t0: float, central_port: int = 0) -> Sample:
    status = Path("/proc/self/status").read_text()
    fields_ = dict(line.split(":", 1) for line in status.splitlines() if ":" in line)
    central_pool = sum(1 for th in threading.enumerate() if th.name.startswith("AnyIO worker thread"))
    return Sample(i, time.monotonic() - t0, int(fields_["VmRSS"].split()[0]), _open_fds(central_port),
                  int(fields_["Threads"].strip()) - central_pool)


def settled_sample(i: int, t0: float, rt: Runtime, central_port: int) -> Sample:
    """A sample at a quiet moment: the queue flushed, garbage collected, the least of a few fd/thread
    readings (a heartbeat or probe in flight holds a socket for a moment)."""
    rt.forwarder.flush(timeout=10)
    gc.collect()
    seen = []
    for _ in range(5):
        seen.append(sample(i, t0, central_port))
        time.sleep(0.02)
    return Sample(i, seen[-1].t, seen[-1].rss_kb, min(x.fds for x in seen), min(x.threads for x in seen))


class _People:
    """Fresh insured adults for apply, cloned in the central's records from a seeded citizen."""

    def __init__(self, central: ServerHandle) -> None:
        self.central = central
        self.template = person("adult_never_applied")
        self.n = 0

    def next(self) -> dict[str, Any]:
        self.n += 1
        birth = TODAY.replace(year=TODAY.year - 30 - self.n // 400)
        seq = f"{(self.n % 400) * 2 + 101:03d}"[-3:]  # odd: male, as the template
        p = {**self.template, "id_number": make_id_number("350102", birth, seq), "birth_date": birth.isoformat()}
        with self.central.central.db.transaction() as tx:
            found = tx.one("SELECT * FROM persons WHERE id_number = ?", (self.template["id_number"],))
            assert found is not None
            row = dict(found)
            row.update(id_number=p["id_number"], birth_date=p["birth_date"], ssn=None)
            cols = ",".join(row)
            tx.execute(f"INSERT OR REPLACE INTO persons ({cols}) VALUES ({','.join('?' * len(row))})",
                       tuple(row.values()))
        return p


class Soak:
    def __init__(self, work: Path, seed: int) -> None:
        self.rng = random.Random(seed)
        self.central = run_in_thread(str(work / "central.sqlite"), port=0)
        self.port = int(self.central.url.rsplit(":", 1)[1].split("/")[0])
        cfg = flow_config(work, self.central.url, offline={"accept_applications_for_later": True})
        self.rt = Runtime(cfg, clock=FixedDateClock(TODAY))
        self.rt.start()
        self._camera_shows_a_face()
        self.people = _People(self.central)
        self.active = person("adult_active_card")
        self.loser = person("recent_card_quality")
        self.pin_chip: SimChip = chip(self.active)
        self.pin_now = "888888"
        self.lost = False
        self.expected: Counter[str] = Counter()

    def _camera_shows_a_face(self) -> None:
        """Offline there is no photo on file: the citizen stands before the camera (models loaded now,
        before the warm-up sample, as the kiosk does on its first photo)."""
        import cv2

        from kiosk.photo.detector import get_models
        from kiosk.photo.live_sim import live_citizen
        from tests.photo.conftest import faces_dir
        from tests.photo.synth import kiosk_frame

        get_models()
        camera: Any = self.rt.devices.camera
        portrait: Any = cv2.imread(str(faces_dir() / "obama_portrait.jpg"))
        # blinking: the face check (人证核验) of apply, contact change and loss cancel needs a live face
        camera.present_sequence(live_citizen(portrait) or [kiosk_frame(portrait)])

    def close(self) -> None:
        self.rt.stop()
        self.central.stop()

    # ---- link and devices ---------------------------------------------------------------------
    def link_down(self) -> None:
        self.central.faults.add(FaultRule.from_dict({"path": "*", "down_for_s": 3600}))
        time.sleep(0.05)
        for _ in range(self.rt.cfg.offline.link_down_after_failures):
            self.rt.link.report_failure()

    def link_up(self) -> None:
        self.central.faults.clear()  # the monitor's probe notices within a second or so

    def arm_fault(self, kind: str) -> None:
        d: Any = self.rt.devices
        dev, op = {"apply": (d.issuer, "print"), "contact": (d.id_reader, "read"),
                   "progress": (d.id_reader, "read"), "pin": (d.card_reader, "verify"),
                   "loss": (d.id_reader, "read")}[kind]
        assert dev is not None
        dev.steer("fail", op=op, code="hardware_error")

    def staff_round(self) -> None:
        """What staff do now and then: refill the hopper and ribbon, empty the reject box."""
        issuer: Any = self.rt.devices.issuer
        issuer.steer("hopper", count=100)
        issuer.steer("ribbon", count=500)
        issuer.steer("empty_reject_box")

    # ---- one transaction ----------------------------------------------------------------------
    def run(self, kind: str) -> tuple[ServiceId, FlowResult]:
        online = self.rt.link.online
        if kind == "loss" and not online:
            kind = "contact"  # loss cancel needs the link; keep the pair consistent
        service, answers, cleanup = getattr(self, f"_{kind}")(online)
        try:
            return service, _drive(self.rt, service, answers)
        finally:
            cleanup()
            idr: Any = self.rt.devices.id_reader
            idr.remove()

    def _apply(self, online: bool) -> Plan:
        p = self.people.next()
        photo = "take_new" if self.people.n % 5 == 1 else "use_on_file"  # the camera path now and then
        mobile = f"137{self.rng.randrange(10**8):08d}"  # each its own: a number gets one SMS code a minute
        details = iter([("set_mobile", mobile), ("set_address", "350102|示范路1号"),
                        ("set_postal_code", "350001"), ("confirm", "")])

        def on_details(d: Driver, _v: View) -> None:
            d.send(*next(details, ("confirm", "")))

        def take(d: Driver, _v: View) -> None:
            d.issuer.take_card()

        return ServiceId.APPLY, {
            "read_id": _place(id_card(p)), "photo_choice": _act(photo), "details": on_details,
            "otp": self._sms_answer(mobile),  # online the mobile is confirmed by SMS (issue 21 §2)
            "insured_question": _act("declare_insured"),  # offline: the register cannot say (issue 17 §4)
            "delivery_choice": _act("choose", "pickup"), "take_card": take, "pin_offer": _act("skip"),
            "production_failed": _act("choose", "pickup"), "photo_confirm": _act("confirm"),
        }, lambda: None

    def _sms_answer(self, mobile: str) -> Callable[[Driver, View], None]:
        """Type the code the phone got (the reference central's loopback test hook)."""

        def on_otp(d: Driver, _v: View) -> None:
            import httpx

            r = httpx.post(f"{self.rt.cfg.central.url}/_admin/sms/inbox", json={"mobile": mobile}, timeout=5)
            d.send("submit_code", str(r.json()["code"]))

        return on_otp

    def _contact(self, online: bool) -> Plan:
        mobile = f"139{self.rng.randrange(10**8):08d}"
        steps = iter([("set_mobile", mobile), ("confirm", "")])

        def on_form(d: Driver, _v: View) -> None:
            d.send(*next(steps, ("confirm", "")))

        return ServiceId.CONTACT_CHANGE, {"read_id": _place(id_card(self.active)), "contact_form": on_form,
                                          "otp": self._sms_answer(mobile)}, lambda: None

    def _progress(self, online: bool) -> Plan:
        return ServiceId.PROGRESS_QUERY, {"read_id": _place(id_card(self.active)),
                                          "applications": _act("home"), "timeline": _act("home")}, lambda: None

    def _pin(self, online: bool) -> Plan:
        new = PINS[0] if self.pin_now != PINS[0] else PINS[1]
        reader: Any = self.rt.devices.card_reader

        def insert(_d: Driver, _v: View) -> None:
            reader.insert(self.pin_chip)

        def typed(pin: str) -> Callable[[Driver, View], None]:
            def go(d: Driver, v: View) -> None:
                if v.params.get("digits") == "0":  # a fresh prompt, not the echo of a typed digit
                    d.pin_pad.type_pin(pin)
            return go

        def cleanup() -> None:
            self.pin_now = self.pin_chip.pin
            reader.remove()

        return ServiceId.PIN_CHANGE, {"insert_card": insert, "old_pin": typed(self.pin_now),
                                      "new_pin": typed(new), "new_pin_again": typed(new)}, cleanup

    def _loss(self, online: bool) -> Plan:
        reader: Any = self.rt.devices.card_reader
        if not self.lost:
            self.lost = True
            return ServiceId.LOSS_REPORT, {"read_id": _place(id_card(self.loser)), "confirm_card": _act("confirm"),
                                           "confirm_offline": _act("confirm")}, lambda: None
        self.lost = False

        def insert(_d: Driver, _v: View) -> None:
            reader.insert(chip(self.loser))

        return ServiceId.LOSS_CANCEL, {"read_id": _place(id_card(self.loser)), "insert_card": insert,
                                       "confirm": _act("confirm")}, reader.remove


def _act(action: str, value: str = "") -> Callable[[Driver, View], None]:
    return lambda d, _v: d.send(action, value)


def _place(card: Any) -> Callable[[Driver, View], None]:
    return lambda d, _v: d.id_reader.place(card)


def _drive(rt: Runtime, service: ServiceId, answers: dict[str, Callable[[Driver, View], None]],
           timeout: float = 30.0) -> FlowResult:
    """Answer each view as the touchscreen would, until the flow shows its end; press home."""
    d = Driver(rt, service)
    deadline = time.monotonic() + timeout
    while True:
        view = d.views.get(timeout=max(0.1, deadline - time.monotonic()))
        if view.end is not None:
            d.send("home")
            d.take_cards()  # the session end asks for the ID card and the card back
            result = rt.wait_idle(timeout)
            assert result is not None
            return result
        fn = answers.get(view.screen)
        if fn is not None:
            fn(d, view)


def soak(n: int, *, seed: int = 9, work: Path | None = None, progress: bool = False) -> SoakResult:
    """Run ``n`` transactions; returns what happened and the resource samples."""
    tmp = None
    if work is None:
        tmp = tempfile.TemporaryDirectory(prefix="soak-")
        work = Path(tmp.name)
    t0 = time.monotonic()
    res = SoakResult(n, 0.0)
    res.samples.append(sample(0, t0))  # before the central starts
    s = Soak(work, seed)
    warmup = max(10, n // 10)
    outage_left = 0
    try:
        for i in range(1, n + 1):
            if i % OUTAGE_EVERY == OUTAGE_EVERY // 2:
                s.link_down()
                res.outages += 1
                outage_left = OUTAGE_LEN
            kind = "apply" if i == 1 else s.rng.choices(KINDS, WEIGHTS)[0]  # the photo path warms up too
            if i % FAULT_EVERY == 0:
                s.arm_fault(kind)
                res.device_faults += 1
            if i % 40 == 0:
                s.staff_round()
            try:
                service, result = s.run(kind)
                res.ends[f"{service.value}:{result.end.value}"] += 1
                if result.end not in set(End):
                    res.undefined.append(f"{i}:{kind}:{result.end}")
                elif result.end is End.DONE and service in COUNTED:
                    res.expected_counts[COUNTED[service]] = res.expected_counts.get(COUNTED[service], 0) + 1
            except Exception as exc:  # the driver never saw an end: a flow hung or crashed
                res.undefined.append(f"{i}:{kind}:{type(exc).__name__}")
            for dev in ("issuer", "card_reader", "id_reader"):
                getattr(s.rt.devices, dev).steer("clear")  # an armed fault the flow did not reach
            if outage_left:
                outage_left -= 1
                if not outage_left:
                    s.link_up()
            if i == warmup:
                res.warm = settled_sample(i, t0, s.rt, s.port)
                res.samples.append(res.warm)
            elif i % max(1, n // 100) == 0:
                res.samples.append(sample(i, t0, s.port))
            if progress and i % 100 == 0:
                print(f"soak: {i}/{n} transactions, rss {res.samples[-1].rss_kb / 1024:.1f} MB", flush=True)
        s.link_up()
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and not s.rt.link.online:
            time.sleep(0.1)
        res.drained = s.rt.forwarder.flush(timeout=max(1.0, deadline - time.monotonic()))
        res.queue = queue_json(s.rt.outbox)
        res.central_counts = _central_counts(s)
        res.end = settled_sample(n, t0, s.rt, s.port)
        res.samples.append(res.end)
    finally:
        s.close()
        if tmp is not None:
            tmp.cleanup()
    res.seconds = time.monotonic() - t0
    return res


def _central_counts(s: Soak) -> dict[str, int]:
    with s.central.central.db.read() as tx:
        def n(sql: str) -> int:
            found = tx.one(sql, ())
            assert found is not None
            return int(next(iter(dict(found).values())))
        return {
            "applications": n("SELECT COUNT(*) AS n FROM applications WHERE kiosk_id != 'counter'"),
            "contact_changes": n("SELECT COUNT(*) AS n FROM contact_changes"),
            "pin_events": n("SELECT COUNT(*) AS n FROM pin_events"),
            "loss_reports": n("SELECT COUNT(*) AS n FROM loss_reports WHERE kiosk_id != 'counter'"),
        }


def _write(res: SoakResult) -> list[str]:
    assert res.warm and res.end
    results_path = HERE / "results.json"
    results: dict[str, float] = json.loads(results_path.read_text("utf-8")) if results_path.exists() else {}
    results.update({
        "soak.rss_growth_mb": round(res.rss_growth_mb, 2),
        "soak.fd_growth": float(res.fd_growth),
        "soak.thread_growth": float(res.thread_growth),
        "soak.rss_growth_from_start_mb": round((res.end.rss_kb - res.start.rss_kb) / 1024, 2),
        "soak.rss_peak_mb": round(res.peak_rss_kb / 1024, 2),
        "soak.transactions": float(res.n),
        "soak.seconds": round(res.seconds, 1),
    })
    results_path.write_text(json.dumps(results, indent=2, sort_keys=True) + "\n", encoding="utf-8")
    mb = 1024
    lines = [
        "## Soak (`make soak`)",
        "",
        f"{res.n} transactions in {res.seconds:.0f} s, {res.outages} link outages, {res.device_faults} device faults; "
        f"queue drained: {res.drained} (depth {res.queue.get('depth')}, dead letters {res.queue.get('dead_letters')}); "
        f"transactions without a defined end: {len(res.undefined)}.",
        "",
        "| measure | start | after warm-up | end | peak | growth after warm-up (goal) |",
        "|---|---|---|---|---|---|",
        f"| RSS (MB) | {res.start.rss_kb / mb:.1f} | {res.warm.rss_kb / mb:.1f} | {res.end.rss_kb / mb:.1f} | "
        f"{res.peak_rss_kb / mb:.1f} | {res.rss_growth_mb:+.1f} (< 20) |",
        f"| open fds | {res.start.fds} | {res.warm.fds} | {res.end.fds} | {max(x.fds for x in res.samples)} | "
        f"{res.fd_growth:+d} (0) |",
        f"| threads | {res.start.threads} | {res.warm.threads} | {res.end.threads} | "
        f"{max(x.threads for x in res.samples)} | {res.thread_growth:+d} (0) |",
        "",
        "Accepted at the kiosk → recorded at the central: " + ", ".join(
            f"{k} {v} → {res.central_counts.get(k)}" for k, v in sorted(res.expected_counts.items())) + ".",
        "",
        "Ends: " + ", ".join(f"{k} {v}" for k, v in sorted(res.ends.items())) + ".",
        "",
        "Over time (transaction: RSS MB / fds / threads): " + "; ".join(
            f"{x.i}: {x.rss_kb / mb:.0f}/{x.fds}/{x.threads}" for x in res.samples[:: max(1, len(res.samples) // 12)]
        ) + ".",
    ]
    md = HERE / "results.md"
    old = md.read_text("utf-8") if md.exists() else "# Benchmark results\n"
    head, sep, rest = old.partition("## Soak (`make soak`)")
    tail = rest[rest.find("\n## "):] if sep and "\n## " in rest else ""
    md.write_text(head.rstrip("\n") + "\n\n" + "\n".join(lines) + "\n" + tail, encoding="utf-8")
    return lines


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    ap.add_argument("-n", type=int, default=1000, help="transactions (default 1000)")
    ap.add_argument("--seed", type=int, default=9)
    args = ap.parse_args(argv)
    logging.disable(logging.WARNING)
    res = soak(args.n, seed=args.seed, progress=True)
    lines = _write(res)
    print("\n".join(lines))
    ok = not res.undefined and res.drained and res.rss_growth_mb < 20 and res.fd_growth <= 0 \
        and res.thread_growth <= 0 and res.lost() == {}
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
