"""The SMS code step: a new or changed mobile is confirmed by a 6-digit code the central sends
(art. 16 "健全电话号码"; issue 21 §2). The central enforces the rules (central_sim/sms.py: valid 5 minutes,
a resend after 60 s, 5 wrong tries void the code, per number 1 a minute / 5 an hour / 10 a day);
this step reflects them on the screen.

Screen ``otp`` (params: ``mobile`` masked, ``resend_in`` seconds until 重新发送 may be tapped, counted
down by the screen, ``valid_min``, ``code_length``, ``tries_left``). Actions: ``submit_code`` (value:
the digits), ``resend``, ``back`` (edit the number), ``cancel``. The code is never logged, shown in a
view or kept beyond the call that checks it.

Offline the number cannot be confirmed: the change goes on marked unverified only where the offline
policy allows it (kiosk.domain.services ``unverified_mobile_offline``), otherwise the link is needed.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from functools import partial

from hal.types import ReceiptLine
from kiosk.central.errors import CentralRejected
from kiosk.central.models import SmsCodeSent, SmsVerified
from kiosk.domain.masking import mask_phone
from kiosk.domain.services import SERVICES, ServiceId
from kiosk.flows.base import Flow, FlowContext, LinkLost
from kiosk.flows.common import central

OTP_SCREEN = "otp"
CODE = frozenset("0123456789")
RESEND_WAIT_S = 60.0  # the central's 1-a-minute rule, when a code went out before this step
MAX_TRIES = 5  # shown until the central answers a try (it keeps the count)


@dataclass(frozen=True)
class MobileProof:
    """How the mobile was confirmed: a central ``verification_id``, or ``unverified`` (offline)."""

    verification_id: str = ""
    unverified: bool = False


UNVERIFIED = MobileProof(unverified=True)


def unverified_allowed(service: ServiceId) -> MobileProof:
    """Offline: the mobile goes on unverified where the policy allows it, else the link is needed."""
    if SERVICES[service].unverified_mobile_offline:
        return UNVERIFIED
    raise LinkLost("link_down")


def receipt_line(unverified: bool) -> ReceiptLine:
    """The receipt's word on a mobile the service recorded: one wording for every service that confirms one."""
    if unverified:
        return ReceiptLine("手机号码未经短信验证（离线受理），联网后将发短信确认 Mobile NOT verified by SMS "
                           "(accepted offline); it will be confirmed by SMS once online", bold=True)
    return ReceiptLine("手机号码已短信验证 Mobile verified by SMS code")


class _Code:
    """One code at a time: what was sent, and when a resend is allowed (monotonic seconds)."""

    def __init__(self) -> None:
        self.otp_id = ""
        self.length = 6
        self.valid_min = 5
        self.resend_at = 0.0
        self.tries_left = MAX_TRIES


def verify_mobile(ctx: FlowContext, flow: Flow, step: int, mobile: str, purpose: str,
                  extra: Callable[[], Mapping[str, str]] | None = None) -> MobileProof | None:
    """Confirm ``mobile`` by SMS. None: the citizen went back to edit the number.
    ``extra()`` adds params to every view (an issuance's art. 21 progress keeps counting here)."""
    if not ctx.services.link_online():
        return unverified_allowed(flow.service)
    code = _Code()
    reasons: tuple[str, ...] = ()
    try:
        reasons = _send(ctx, code, mobile, purpose)
    except LinkLost as exc:
        if exc.code != "link_lost":
            raise
        return unverified_allowed(flow.service)  # the link dropped just now: as offline
    while True:
        left = max(0, int(code.resend_at - ctx.clock.monotonic() + 0.999))
        got = ctx.ask(flow.view(OTP_SCREEN, step, "prompt.otp_entry", reasons=reasons,
                                params={**(extra() if extra else {}), "mobile": mask_phone(mobile),
                                        "resend_in": str(left), "seconds": str(left), "valid_min": str(code.valid_min),
                                        "code_length": str(code.length), "tries_left": str(code.tries_left)},
                                actions=("submit_code", "resend", "back", "cancel"),
                                timeout_s=max(ctx.config.timeouts.idle_s, code.valid_min * 60.0)))
        if got.action == "back":
            return None
        if got.action == "resend":
            due = ctx.clock.monotonic() >= code.resend_at
            reasons = _send(ctx, code, mobile, purpose) if due else ("reason.sms_resend_too_soon",)
            continue
        entered = got.value.strip()
        if len(entered) != code.length or not set(entered) <= CODE:
            reasons = ("reason.otp_format",)
            continue
        if not code.otp_id:
            reasons = ("reason.otp_void",)
            continue
        ctx.working(flow.view("otp_checking", step, "prompt.otp_checking", params=extra() if extra else None))
        checked = central(ctx, partial(_check, ctx, code.otp_id, mobile, entered))
        if checked is None or checked.status in ("void", "expired"):
            code.otp_id = ""  # a new code is needed (重新发送)
            reasons = ("reason.otp_void" if checked is None or checked.status == "void" else "reason.otp_expired",)
            continue
        if checked.status == "verified" and checked.verification_id:
            return MobileProof(verification_id=checked.verification_id)
        code.tries_left = checked.tries_left
        reasons = ("reason.otp_wrong",)


def _check(ctx: FlowContext, otp_id: str, mobile: str, entered: str) -> SmsVerified | None:
    """The central's verdict on the code; None when it no longer knows the code (send a new one)."""
    try:
        return ctx.central.verify_sms_code(otp_id, mobile, entered)
    except CentralRejected as exc:
        if exc.code == "otp_not_found":
            return None
        raise


def _send(ctx: FlowContext, code: _Code, mobile: str, purpose: str) -> tuple[str, ...]:
    """Ask the central for a code; the reasons to show (none when sent). The limits a citizen cannot
    wait out here (hourly, daily) end the step with their reason (Refused)."""
    return _sent(ctx, code, central(ctx, lambda: _request_code(ctx, mobile, purpose)))


def _sent(ctx: FlowContext, code: _Code, sent: SmsCodeSent | None) -> tuple[str, ...]:
    if sent is None:  # a code went to this number less than a minute ago: wait for 重新发送
        code.otp_id = ""
        code.resend_at = ctx.clock.monotonic() + RESEND_WAIT_S
        return ("reason.sms_resend_too_soon",)
    code.otp_id, code.length = sent.otp_id, sent.code_length
    code.valid_min = max(1, sent.valid_s // 60)
    code.resend_at = ctx.clock.monotonic() + sent.resend_after_s
    code.tries_left = MAX_TRIES
    return ()


def _request_code(ctx: FlowContext, mobile: str, purpose: str) -> SmsCodeSent | None:
    try:
        return ctx.central.send_sms_code(mobile, purpose)
    except CentralRejected as exc:
        if {r.code for r in exc.reasons} == {"sms_resend_too_soon"}:
            return None
        raise
