"""The counter finds a citizen's transaction by the 交易号 on their receipt (result.receipt says it can).

The kiosk's transaction_outcome event carries the number; the central files the outcome under it, and
the console's /console/transactions finds it: which kiosk, which service, how it ended. Before, the
number was made at the kiosk and never left it, so the receipt's "柜台凭交易号可查询本次业务" was untrue.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable

import httpx

from central_sim.server import ServerHandle

KIOSK = "FZ-GL-0001"
TXN = "20261207101500-0001-A1B2C3"


def outcome(central: ServerHandle, **extra: str) -> httpx.Response:
    event = {"event_id": str(uuid.uuid4()), "at": "2026-12-07T10:15:00+08:00", "type": "transaction_outcome",
             "severity": "info", "code": "loss_report.done", "message": "pending", **extra}
    return httpx.post(f"{central.url}/v1/kiosks/{KIOSK}/events", json={"events": [event]},
                      headers={"X-Kiosk-Id": KIOSK, "Idempotency-Key": str(uuid.uuid4())}, timeout=10)


def test_a_transaction_is_found_by_its_receipt_number(central: ServerHandle,
                                                      session: Callable[[str], httpx.Client]) -> None:
    assert outcome(central, transaction_no=TXN).status_code == 200
    vera = session("vera")  # any operator: the counter's staff look transactions up, they change nothing
    for typed in (TXN, f"  {TXN.lower()[:-6]}{TXN[-6:].lower()} "):  # as typed at the counter
        page = vera.get("/console/transactions", params={"no": typed})
        assert page.status_code == 200
        assert KIOSK in page.text and "挂失" in page.text and "已办结" in page.text and "pending" in page.text
    en = vera.get("/console/transactions", params={"no": TXN, "lang": "en"}).text
    assert "Report a lost card" in en and "Done" in en


def test_an_unknown_number_says_why_it_may_not_be_there_yet(central: ServerHandle,
                                                            session: Callable[[str], httpx.Client]) -> None:
    page = session("vera").get("/console/transactions", params={"no": TXN})
    assert page.status_code == 200 and "未找到该交易号" in page.text and "联网后上传" in page.text


def test_the_first_report_of_a_number_stands(central: ServerHandle,
                                             session: Callable[[str], httpx.Client]) -> None:
    assert outcome(central, transaction_no=TXN).status_code == 200
    assert outcome(central, transaction_no=TXN, code="apply.done").status_code == 200  # a replay, or a forgery
    page = session("vera").get("/console/transactions", params={"no": TXN}).text
    assert "挂失" in page and "申领社保卡" not in page


def test_a_malformed_number_is_refused_and_the_lookup_needs_a_login(central: ServerHandle) -> None:
    assert outcome(central, transaction_no="350102197501190826").status_code in (400, 422)  # not a 交易号
    with httpx.Client(base_url=central.url) as anonymous:
        r = anonymous.get("/console/transactions", params={"no": TXN})
        assert r.status_code == 303 and r.headers["location"].startswith("/console/login")
