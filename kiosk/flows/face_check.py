"""人证核验: the person at the kiosk is the ID card's holder (issue 17 §1; PIPL art. 29).

One step, shared by every service that opens, replaces, unblocks or changes something (apply — the
applicant, or the guardian under 14 —, replace, loss cancellation, contact change, PIN reset):

1. the per-card daily limit (kiosk.flows.face_limits, keyed on the ID number) — refused at once;
2. the separate consent to face capture: a notice (what, why, how long, who receives it), spoken,
   Agree / Disagree; disagree ends at the counter guidance and the camera is never opened;
3. the reference face: the chip photo when the ID reader's WLT decoder gave one, compared here;
   otherwise the central compares (POST /v1/identity/face-verify, never a portrait back);
4. liveness (blink) then the comparison on the challenge's best frame; three failed tries in the
   session end it with "请到柜台办理".

Offline without a decoder there is no identity check: :func:`require_face_check_possible` refuses
the service before anything starts. The evidence (who compared, score, threshold, the consent text's
version) goes into the session for the transaction's body and is returned to the flow.

Screens: face_consent → [verifying] → liveness (params.hint) → verifying → [face_retry (reasons)].
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import cv2

from hal.types import IdCardData
from kiosk.central.bodies import IdentityCheckBody
from kiosk.flows.base import Flow, FlowContext, IdleTimeout, Refused, View
from kiosk.flows.common import central
from kiosk.flows.ecard_identity import Person
from kiosk.flows.issuance import IssuanceFlow

if TYPE_CHECKING:  # kiosk.photo loads the face models: imported when a face check actually runs
    from hal.interfaces import Frame
    from kiosk.photo.detector import FaceDetection
    from kiosk.photo.verify import Embedding

CONSENT_VERSION = "face-consent-2026-01"  # the notice's text is prompt.face_consent; bump both together
SESSION_TRIES = 3  # failed tries in one session before the counter
LIVENESS_MAX_FRAMES = 90
LIVE_JPEG_QUALITY = 90
COUNTER = "reason.go_to_counter"  # 请到柜台办理 / Please go to the counter
SESSION_KEY = "identity_check"  # the evidence, for the transaction's body (wiped with the session)


def _view(ctx: FlowContext, flow: Flow, screen: str, step: int, message: str, *,
          params: dict[str, str] | None = None, actions: tuple[str, ...] = (),
          reasons: tuple[str, ...] = ()) -> View:
    """The flow's own kind of view (apply and replace carry the art. 21 progress on every view)."""
    if isinstance(flow, IssuanceFlow):
        return flow.pview(ctx, screen, step, message, params=params, actions=actions, reasons=reasons)
    return flow.view(screen, step, message, params=params, actions=actions, reasons=reasons)


def decoder_present(ctx: FlowContext) -> bool:
    """Whether the ID reader decodes the chip photo (a WLT plug-in; the simulator can do without)."""
    return bool(getattr(ctx.devices.id_reader, "decodes_photos", False))


def require_face_check_possible(ctx: FlowContext) -> None:
    """Before anything starts: offline and without a decoder no identity check can be made."""
    if not ctx.services.link_online() and not decoder_present(ctx):
        raise Refused("face_check_offline", ("reason.face_check_offline", COUNTER))


def verify_identity(ctx: FlowContext, flow: Flow, person: IdCardData | Person, step: int) -> IdentityCheckBody:
    """Consent, then liveness + face match of ``person`` (the ID card's holder, or the person an e-card
    sign-in named, whose portrait only the central holds); the evidence, or Refused."""
    failures = ctx.services.face_failures
    today = ctx.clock.today()
    if failures.blocked(person.id_number, today):
        raise Refused("face_attempts_exhausted", ("reason.face_attempts_exhausted", COUNTER))
    _ask_consent(ctx, flow, step)
    chip_photo = person.photo_bmp if isinstance(person, IdCardData) else None
    reference = _local_reference(ctx, flow, chip_photo, step)
    if reference is None and not ctx.services.link_online():
        raise Refused("face_check_offline", ("reason.face_check_offline", COUNTER))
    reasons: tuple[str, ...] = ()
    tries = 0
    while True:
        live = _liveness(ctx, flow, step, reasons)
        code = "reason.liveness_failed"
        if live is not None:
            ctx.working(_view(ctx, flow, "verifying", step, "prompt.verifying_face"))
            evidence, code = _compare(ctx, live, reference, person.id_number)
            if evidence is not None:
                ctx.session[SESSION_KEY] = evidence
                return evidence
        tries += 1
        left_today = failures.record_failure(person.id_number, today)
        left = min(SESSION_TRIES - tries, left_today)
        if left <= 0:  # "no tries left today" only when the day's limit is what ended it
            today_too = ("reason.face_attempts_exhausted",) if left_today <= 0 else ()
            raise Refused("face_attempts_exhausted", (code, *today_too, COUNTER))
        reasons = (code,)
        ctx.ask(_view(ctx, flow, "face_retry", step, "prompt.face_retry", params={"attempts_left": str(left)},
                          reasons=reasons, actions=("retry", "cancel")))


def _ask_consent(ctx: FlowContext, flow: Flow, step: int) -> None:
    got = ctx.ask(_view(ctx, flow, "face_consent", step, "prompt.face_consent", params={"version": CONSENT_VERSION},
                            actions=("agree", "decline")))
    if got.action != "agree":
        raise Refused("face_consent_declined", ("reason.face_consent_declined", COUNTER))


def _local_reference(ctx: FlowContext, flow: Flow, id_photo: bytes | None, step: int) -> Embedding | None:
    """The chip photo's embedding, when the decoder gave a usable one."""
    if not id_photo:
        return None
    from kiosk.photo.verify import reference_embedding

    ctx.working(_view(ctx, flow, "verifying", step, "prompt.preparing_face_check"))
    return reference_embedding(id_photo)


def _liveness(ctx: FlowContext, flow: Flow, step: int,
              reasons: tuple[str, ...]) -> tuple[Frame, FaceDetection | None] | None:
    """One blink challenge; its best frame (and face), or None when it failed."""
    from kiosk.photo.liveness import LivenessChallenge

    camera = ctx.devices.camera
    challenge = LivenessChallenge("blink", max_frames=LIVENESS_MAX_FRAMES)
    deadline = ctx.clock.monotonic() + ctx.idle_timeout(ctx.config.timeouts.liveness_s)
    while challenge.status == "pending":
        ctx.check()
        if ctx.clock.monotonic() > deadline:
            raise IdleTimeout("liveness")
        frame = camera.read_frame()
        if frame is None:
            continue
        state = challenge.feed(frame)
        ctx.channel.show(_view(ctx, flow, "liveness", step, f"photo.{state.code}", params={"hint": state.code},
                                   reasons=reasons, actions=("cancel",)))
    if challenge.status == "passed" and challenge.best_frame is not None:
        return challenge.best_frame, challenge.best_face
    return None


def _compare(ctx: FlowContext, live: tuple[Frame, FaceDetection | None], reference: Embedding | None,
             id_number: str) -> tuple[IdentityCheckBody | None, str]:
    """(evidence, "") on a match, else (None, the failure's reason key)."""
    frame, face = live
    if reference is not None:
        from kiosk.photo.verify import METHOD, verify

        distance = ctx.config.photo.match_distance
        match = verify(frame, reference, distance, live_face=face)
        if match.matched and match.score is not None:
            return IdentityCheckBody(verified_by="kiosk", method=METHOD, score=match.score, threshold=1.0 - distance,
                                     liveness_passed=True, consent_version=CONSENT_VERSION), ""
        return None, "reason.face_mismatch"
    ok, buf = cv2.imencode(".jpg", frame, [cv2.IMWRITE_JPEG_QUALITY, LIVE_JPEG_QUALITY])
    if not ok:
        return None, "reason.liveness_failed"
    try:
        answer = central(ctx, lambda: ctx.central.verify_face(id_number, buf.tobytes(), CONSENT_VERSION))
    except Refused as exc:
        if exc.code == "no_reference_photo":
            raise Refused(exc.code, ("reason.no_reference_photo", COUNTER)) from None
        raise
    if answer.match:
        return IdentityCheckBody(verified_by="central", method=answer.method, score=answer.score,
                                 threshold=answer.threshold, liveness_passed=True,
                                 consent_version=CONSENT_VERSION), ""
    return None, "reason.face_mismatch"

