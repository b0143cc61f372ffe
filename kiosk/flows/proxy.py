"""代办: an adult acting for someone who cannot come (art. 51), for non-financial services only.

Screens: proxy_service (choices: the non-financial services open now; financial ones are for the
counter) → read_proxy_id → read_principal_id → document_place / document_preview for the
authorisation letter, the principal's ID card and the proxy's ID card → submitting_documents → the
chosen service's own screens, for the principal → done.

Both ID cards are read as originals on the reader (art. 51: 代办人应当提供其本人和代办人的有效身份
证件原件); the letter and the two cards are imaged and go to the centre for review. The service then
goes on: a progress query reads nothing that the principal's own card would not show, and a contact
change is reviewed (and can be undone) at the centre. No document camera, or no readable picture:
the counter.
"""

from __future__ import annotations

import time

from hal.types import IdCardData
from kiosk.documents.kinds import PROXY_DOCUMENTS, Purpose
from kiosk.domain.masking import mask_id, mask_name
from kiosk.domain.services import PROXY_SERVICES, SERVICES, Offline, ServiceId
from kiosk.flows.base import Flow, FlowContext, FlowResult, Refused
from kiosk.flows.check_answers import Row, confirm_summary
from kiosk.flows.contact_change import ContactChangeFlow
from kiosk.flows.documents import camera_usable, capture_document, counter_referral, submit_documents
from kiosk.flows.face_check import require_face_check_possible, verify_identity
from kiosk.flows.identity import age_of, id_card_problems, read_id_card
from kiosk.flows.progress_query import ProgressQueryFlow

ADULT = 18
DOCUMENTS_STEP = 3


class ProxyFlow(Flow):
    service = ServiceId.PROXY
    total_steps = 4

    def steps(self, ctx: FlowContext) -> FlowResult:
        if not camera_usable(ctx):
            raise counter_referral("document_camera_unavailable")
        chosen = self._choose_service(ctx)
        changes = chosen is ServiceId.CONTACT_CHANGE
        if changes:
            require_face_check_possible(ctx)
        proxy = read_id_card(ctx, self.view("read_proxy_id", 2, "prompt.place_proxy_id", actions=("cancel",)))
        if age_of(proxy, ctx) < ADULT:
            raise Refused("proxy_not_adult", ("reason.proxy_not_adult",))
        # 人证核验 of the proxy against the proxy's own card: the principal is, by definition, not here
        evidence = verify_identity(ctx, self, proxy, 2) if changes else None
        principal = self._read_principal(ctx, proxy)
        documents = [capture_document(ctx, self, kind, DOCUMENTS_STEP) for kind in PROXY_DOCUMENTS]
        confirm_summary(ctx, self, "confirm_documents", DOCUMENTS_STEP, "check.title",
                        (Row("result.row.service", f"service.{chosen.value}", is_key=True),
                         Row("check.row.principal", f"{mask_name(principal.name)} {mask_id(principal.id_number)}"),
                         Row("check.row.proxy", f"{mask_name(proxy.name)} {mask_id(proxy.id_number)}"),
                         Row("check.row.documents", str(len(documents)))),
                        "check.next.proxy_documents")
        ctx.working(self.view("submitting_documents", DOCUMENTS_STEP, "prompt.submitting_documents"))
        submit_documents(ctx, service=chosen, purpose=Purpose.PROXY, subject_id_number=principal.id_number,
                         presenter_id_number=proxy.id_number, documents=documents)
        if chosen is ServiceId.PROGRESS_QUERY:
            return ProgressQueryFlow().query(ctx, principal)
        assert evidence is not None
        return ContactChangeFlow().change(ctx, principal, evidence, proxy_id_number=proxy.id_number)

    def _choose_service(self, ctx: FlowContext) -> ServiceId:
        online = ctx.services.link_online()
        offered = [s for s in PROXY_SERVICES if online or SERVICES[s].offline is not Offline.NO]
        got = ctx.ask(self.view("proxy_service", 1, "prompt.proxy_service",
                                choices=tuple((s.value, f"service.{s.value}") for s in offered),
                                actions=("choose", "cancel")))
        if got.value not in {s.value for s in offered}:  # a financial service: art. 51, the counter
            raise Refused("proxy_service_not_allowed", ("reason.proxy_financial_counter",))
        return ServiceId(got.value)

    def _read_principal(self, ctx: FlowContext, proxy: IdCardData) -> IdCardData:
        reader = ctx.devices.id_reader
        ctx.unwatch_id_card()  # the proxy's card is swapped for the principal's, and both go on the platen

        def principal_card(t: float) -> IdCardData | None:
            got: IdCardData | None = reader.read_card(t)
            if got is None or got.id_number == proxy.id_number:  # the proxy's card is still there
                time.sleep(min(t, 0.05))
                return None
            return got

        principal: IdCardData = ctx.wait_for(
            self.view("read_principal_id", 2, "prompt.place_principal_id", actions=("cancel",)),
            principal_card, ctx.config.timeouts.id_card_read_s)
        problems = id_card_problems(principal, ctx)  # shown on the principal's screen: whose card is plain
        if problems:
            raise Refused("principal_unusable", tuple(problems))
        ctx.session["principal_id_card"] = principal
        return principal
