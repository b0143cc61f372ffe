"""SMS codes (art. 16 mobile verification) never reach a log: hal/pii.py masks a tagged 6-digit code
as the last line of defence, through a real log record and the configured handlers, and leaves
other numbers (HTTP statuses, postal codes under their own key) alone."""

from __future__ import annotations

import io
import logging
from collections.abc import Iterator

import pytest

from hal.pii import scrub, scrub_json
from kiosk.logs import setup_logging

CODE = "482913"


def test_tagged_codes_are_masked_and_other_numbers_kept() -> None:
    for text in (f"验证码 {CODE}", f"验证码：{CODE}", f"code={CODE}", f'"otp": "{CODE}"', f"sms_code {CODE}",
                 f"verification_code: {CODE}"):
        assert CODE not in scrub(text), text
    kept = "HTTP 422 code 404 postal_code=350001 fee 2000"
    assert scrub(kept) == kept
    assert scrub_json({"code": CODE, "otp": int(CODE), "status": "wrong", "code2": "card_removed"}) == {
        "code": "******", "otp": "******", "status": "wrong", "code2": "card_removed"}
    assert scrub_json({"code": "card_removed"}) == {"code": "card_removed"}


@pytest.fixture
def restore_logging() -> Iterator[None]:
    root = logging.getLogger()
    handlers, level = list(root.handlers), root.level
    yield
    for h in list(root.handlers):
        if h not in handlers:
            root.removeHandler(h)
            h.close()
    for h in handlers:
        if h not in root.handlers:
            root.addHandler(h)
    root.setLevel(level)


def test_a_code_in_a_log_record_is_masked_by_the_handlers(restore_logging: None) -> None:
    stream = io.StringIO()
    setup_logging("DEBUG", stream=stream)
    log = logging.getLogger("kiosk.flows.test")
    log.info("sms 验证码 %s", CODE)
    log.info("verify", extra={"code": CODE})
    for h in logging.getLogger().handlers:
        h.flush()
    written = stream.getvalue()
    assert written.count("\n") == 2 and CODE not in written
