"""`kiosk central-sim`: run the reference central (HTTP on loopback, or HTTPS with mutual TLS)."""

from __future__ import annotations

import argparse
import json
import logging
import os
import signal
import threading

from central_sim.faults import FaultRule, FaultSet

log = logging.getLogger("central_sim")


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="kiosk central-sim", description="reference central server (central-api.md v1)")
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=int, default=8480)
    p.add_argument("--db", default=os.environ.get("CENTRAL_SIM_DB_URL", "var/central.sqlite"),
                   help="database: SQLite path, sqlite:///path or postgresql://user:pass@host:5432/dbname"
                        " (default: $CENTRAL_SIM_DB_URL, else var/central.sqlite)")
    p.add_argument("--seed", dest="seed", action="store_true", default=True, help="load seeded citizens (default)")
    p.add_argument("--no-seed", dest="seed", action="store_false")
    tls = p.add_argument_group("mutual TLS")
    tls.add_argument("--tls-cert", help="server certificate (PEM)")
    tls.add_argument("--tls-key", help="server private key (PEM)")
    tls.add_argument("--tls-ca", help="CA bundle that signs kiosk client certificates")
    tls.add_argument("--tls-no-client-cert", action="store_true", help="do not require client certificates")
    f = p.add_argument_group("fault injection (for every /v1 path, or --fault-path PREFIX)")
    f.add_argument("--fault-path", default="*")
    f.add_argument("--fault-error-rate", type=float, default=0.0)
    f.add_argument("--fault-error-status", type=int, default=503)
    f.add_argument("--fault-timeout-rate", type=float, default=0.0)
    f.add_argument("--fault-timeout-s", type=float, default=2.0)
    f.add_argument("--fault-reset-rate", type=float, default=0.0)
    f.add_argument("--fault-lost-after-commit-rate", type=float, default=0.0)
    f.add_argument("--fault-latency-ms", type=float, default=0.0)
    f.add_argument("--fault-down-for-s", type=float, default=0.0)
    f.add_argument("--fault-seed", type=int, default=None, help="random seed for reproducible faults")
    p.add_argument("--make-pki", metavar="DIR", help="write a development CA, server and kiosk certificates, exit")
    p.add_argument("--kiosk-id", action="append", default=[], help="kiosk certificate(s) for --make-pki")
    p.add_argument("--no-test-hooks", dest="test_hooks", action="store_false", default=True,
                   help="production mode: no SMS-code or pay test hooks (/_admin/sms, /_admin/payments)")
    p.add_argument("--log-level", default="info")
    p.add_argument("--updates-dir", default=None, help="serve this kiosk-release repository at /updates/")
    return p


def faults_from_args(args: argparse.Namespace) -> FaultSet:
    faults = FaultSet(args.fault_seed)
    spec = {
        "path": args.fault_path, "error_rate": args.fault_error_rate, "error_status": args.fault_error_status,
        "timeout_rate": args.fault_timeout_rate, "timeout_s": args.fault_timeout_s,
        "reset_rate": args.fault_reset_rate, "lost_after_commit_rate": args.fault_lost_after_commit_rate,
        "latency_ms": args.fault_latency_ms, "down_for_s": args.fault_down_for_s,
    }
    defaults = {"path": "*", "error_status": 503, "timeout_s": 2.0}
    if any(v for k, v in spec.items() if k not in defaults):
        faults.add(FaultRule.from_dict(spec))
    return faults


def main(argv: list[str]) -> int:
    args = build_parser().parse_args(argv)
    if args.make_pki:
        from pathlib import Path

        from central_sim.pki import make_dev_pki

        made = make_dev_pki(Path(args.make_pki), args.kiosk_id or ["FZ-DEMO-0001"])
        for name, item in made.items():
            print(f"{name}: {item.cert_file} {item.key_file}")
        return 0
    from central_sim.server import run_in_thread

    faults = faults_from_args(args)
    tls = bool(args.tls_cert)
    if tls and not (args.tls_key and (args.tls_ca or args.tls_no_client_cert)):
        print("--tls-cert needs --tls-key and --tls-ca (or --tls-no-client-cert)")
        return 2
    handle = run_in_thread(
        args.db, host=args.host, port=args.port, seed=args.seed,
        ssl_certfile=args.tls_cert, ssl_keyfile=args.tls_key, ssl_ca_certs=args.tls_ca,
        require_client_cert=tls and not args.tls_no_client_cert, faults=faults, log_level=args.log_level.lower(),
        updates_dir=args.updates_dir, test_hooks=args.test_hooks,
    )
    print(f"central-sim listening on {handle.url}  (fleet page {handle.url}/monitor)", flush=True)
    if faults.describe():
        print("faults: " + json.dumps(faults.describe(), ensure_ascii=False), flush=True)
    done = threading.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda *_: done.set())
    done.wait()
    handle.stop()
    return 0


if __name__ == "__main__":
    import sys

    raise SystemExit(main(sys.argv[1:]))
