"""A guardian's proof of relationship for a child's application (arts. 16, 51).

Both ID cards were read as originals; the guardian then lays the 户口簿 page or the 出生医学证明 on
the document camera. The image goes to the centre for review and the application goes on (a later
review is what the regulation's counter does with a copy too); a kiosk that cannot capture it
refers the guardian to the counter.
"""

from __future__ import annotations

from hal.types import IdCardData
from kiosk.documents.kinds import PROOFS_OF_RELATIONSHIP, DocumentKind, Purpose
from kiosk.flows.base import Flow, FlowContext
from kiosk.flows.documents import camera_usable, capture_document, counter_referral, submit_documents

STEP = 1  # part of the identity step


def capture_relationship_proof(ctx: FlowContext, flow: Flow, child_id_number: str, guardian: IdCardData) -> None:
    if not camera_usable(ctx):
        raise counter_referral("document_camera_unavailable")
    got = ctx.ask(flow.view("document_choice", STEP, "prompt.document_choice_guardian",
                            choices=tuple((k.value, f"doc_kind.{k.value}") for k in PROOFS_OF_RELATIONSHIP),
                            actions=("choose", "cancel")))
    kind = DocumentKind(got.value) if got.value in {k.value for k in PROOFS_OF_RELATIONSHIP} else (
        DocumentKind.HOUSEHOLD_REGISTER)
    doc = capture_document(ctx, flow, kind, STEP)
    submit_documents(ctx, service=flow.service, purpose=Purpose.GUARDIAN, subject_id_number=child_id_number,
                     presenter_id_number=guardian.id_number, documents=[doc])
    ctx.session["relationship_proof"] = kind.value  # the kind only; the image is gone with the session


def capture_register_proof(ctx: FlowContext, flow: Flow, child_id_number: str, guardian: IdCardData) -> None:
    """A child without an ID card (issue 21 §3): the 户口簿 page showing the child is the identity
    document, so it is always taken; the 出生医学证明 may be added (it names the parents)."""
    if not camera_usable(ctx):
        raise counter_referral("document_camera_unavailable")
    docs = [capture_document(ctx, flow, DocumentKind.HOUSEHOLD_REGISTER, STEP)]
    got = ctx.ask(flow.view("more_proof", STEP, "prompt.more_proof_birth_certificate",
                            actions=("add_birth_certificate", "no_birth_certificate", "cancel")))
    if got.action == "add_birth_certificate":
        docs.append(capture_document(ctx, flow, DocumentKind.BIRTH_CERTIFICATE, STEP))
    submit_documents(ctx, service=flow.service, purpose=Purpose.GUARDIAN, subject_id_number=child_id_number,
                     presenter_id_number=guardian.id_number, documents=docs)
    ctx.session["relationship_proof"] = ",".join(d.kind.value for d in docs)  # the kinds only
