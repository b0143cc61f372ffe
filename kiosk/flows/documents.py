"""Capturing documents at the document camera (高拍仪) and sending them for review (arts. 16, 18, 51).

Screens: document_place (params: kind, hint, steady, needed; the message is the instruction for the
frame: prompt.doc_place_<kind> to lay it down, then prompt.doc_<hint>: whole, flat, no glare, still)
→ document_preview (params: kind, bytes;
confirm / retake / cancel). A kiosk without a usable document camera, or a citizen who cannot get a
readable picture within the allowed retakes, is referred to the counter (``Refused`` with
``reason.document_counter_referral``): a document the centre cannot read is no proof.

The images live in memory for the session and leave the kiosk only inside the encrypted queue
(``Central.submit_document``, one image per request); logs name the kind, never the bytes.
"""

from __future__ import annotations

import base64
import logging
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field

from hal.status import DeviceState
from kiosk.central.bodies import DocumentBody
from kiosk.central.outcomes import Outcome, Queued
from kiosk.clock import stamp
from kiosk.documents.assess import Assessment, Steadiness, assess
from kiosk.documents.encode import DocumentSizeError, encode_within
from kiosk.documents.kinds import DocumentKind, Purpose
from kiosk.domain.services import ServiceId
from kiosk.flows.base import Flow, FlowContext, IdleTimeout, Refused
from kiosk.flows.common import queued

log = logging.getLogger("kiosk.flow.documents")
COUNTER = "reason.document_counter_referral"
FRAME_WAIT_S = 0.05  # a camera that gave no frame: look again shortly


@dataclass(frozen=True)
class CapturedDocument:
    kind: DocumentKind
    jpeg: bytes = field(repr=False)  # personal data: never in a repr, a log or a file
    sharpness: float
    glare: float


def counter_referral(code: str) -> Refused:
    return Refused(code, (COUNTER,))


def camera_usable(ctx: FlowContext) -> bool:
    cam = ctx.devices.document_camera
    if cam is None:
        return False
    try:
        return cam.status().state in (DeviceState.ONLINE, DeviceState.BUSY)
    except Exception:  # a driver bug is a missing camera here; the supervisor reports it
        log.exception("document camera status failed")
        return False


def _good_still_page(ctx: FlowContext, flow: Flow, kind: DocumentKind, step: int) -> Assessment:
    """Frames until one is good and the page has lain still for ``steady_frames``."""
    cam = ctx.devices.document_camera
    assert cam is not None
    needed = ctx.config.documents.steady_frames
    steady = Steadiness()
    shown = ""
    deadline = ctx.clock.monotonic() + ctx.idle_timeout(ctx.config.timeouts.idle_s)
    while True:
        ctx.check()
        if ctx.clock.monotonic() > deadline:
            raise IdleTimeout("document_place")
        frame = cam.read_frame()
        if frame is None:
            time.sleep(FRAME_WAIT_S)
            continue
        a = assess(frame, kind)
        count = steady.feed(a.page, (int(frame.shape[1]), int(frame.shape[0]))) if a.good else 0
        if not a.good:
            steady.reset()
        if a.good and count >= needed:
            return a
        hint = a.problems[0] if a.problems else "not_steady"
        if hint != shown:  # a new instruction only when it changes (the voice would repeat it)
            shown = hint
            message = f"prompt.doc_place_{kind.value}" if hint == "no_page" else f"prompt.doc_{hint}"
            ctx.channel.show(flow.view("document_place", step, message,
                                       params={"kind": kind.value, "hint": hint, "steady": str(count),
                                               "needed": str(needed)}, actions=("cancel",)))


def capture_document(ctx: FlowContext, flow: Flow, kind: DocumentKind, step: int) -> CapturedDocument:
    """One document, judged and confirmed by the citizen; retakes are bounded, then the counter."""
    if not camera_usable(ctx):
        raise counter_referral("document_camera_unavailable")
    limits = ctx.config.documents
    for _ in range(limits.retakes + 1):
        a = _good_still_page(ctx, flow, kind, step)
        assert a.image is not None and a.quality is not None
        try:
            jpeg = encode_within(a.image, limits.jpeg_min_kb * 1024, limits.jpeg_max_kb * 1024)
        except DocumentSizeError as exc:
            log.info("document image out of range", extra={"kind": kind.value, "code": exc.code})
            continue  # counts as a retake: the next capture may be better lit
        got = ctx.ask(flow.view("document_preview", step, "prompt.document_preview",
                                params={"kind": kind.value, "bytes": str(len(jpeg))},
                                actions=("confirm", "retake", "cancel")))
        if got.action == "confirm":
            log.info("document captured", extra={"kind": kind.value, "bytes": len(jpeg)})
            return CapturedDocument(kind, jpeg, round(a.quality.sharpness, 1), round(a.quality.glare, 4))
    raise counter_referral("document_not_captured")


def _sender(ctx: FlowContext, service: ServiceId, body: DocumentBody) -> Callable[[], Outcome]:
    return lambda: ctx.central.submit_document(service=service, document=body)


def submit_documents(ctx: FlowContext, *, service: ServiceId, purpose: Purpose, subject_id_number: str,
                     presenter_id_number: str, documents: list[CapturedDocument]) -> bool:
    """Send each document for review through the queue; True when any is still waiting to go (offline).
    A refusal by the central ends the flow with its reasons (kiosk.flows.common.queued)."""
    case_id = str(uuid.uuid4())
    captured_at = stamp(ctx.clock)
    pending = False
    for doc in documents:
        body = DocumentBody(case_id=case_id, service=service.value, purpose=purpose.value, kind=doc.kind.value,
                            subject_id_number=subject_id_number, presenter_id_number=presenter_id_number,
                            captured_at=captured_at, jpeg_b64=base64.b64encode(doc.jpeg).decode("ascii"),
                            sharpness=doc.sharpness, glare=doc.glare)
        outcome = queued(ctx, _sender(ctx, service, body))
        pending = pending or isinstance(outcome, Queued)
    return pending
