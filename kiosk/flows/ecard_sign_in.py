"""电子社保卡扫码登录: sign in with the e-card app's QR code instead of the ID card, then one of
the services that need no physical ID card (kiosk.domain.services.ECARD_SERVICES). Online only:
the central verifies (and spends) the code.

Screens: scan_ecard (params: kiosk_qr — the kiosk's own code for the app to scan first) →
verifying → ecard_services (choices: the services; params.name masked) → the chosen service's
screens, its ID-card step answered by the e-card identity.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import partial

from hal.scanner.types import ScanOutcome
from kiosk.domain.masking import mask_name
from kiosk.domain.services import ECARD_SERVICES, ServiceId
from kiosk.flows.base import Flow, FlowContext, FlowResult, Refused
from kiosk.flows.common import central
from kiosk.flows.ecard_identity import SESSION_KEY, EcardPerson

KIOSK_QR_PREFIX = "sscard-ecard-login:v1:"  # docs/central-api-additions.md "E-card sign-in"
# Refusals the citizen can fix with a fresh code from the app: ask again, a few times.
RESCANNABLE = frozenset({"ecard_code_expired", "ecard_code_used", "ecard_code_unknown", "ecard_code_other_kiosk"})
MAX_REFUSED = 3


def _service_flows() -> dict[ServiceId, Callable[[], Flow]]:
    from kiosk.flows.activate import ActivateFlow
    from kiosk.flows.contact_change import ContactChangeFlow
    from kiosk.flows.progress_query import ProgressQueryFlow

    flows: dict[ServiceId, Callable[[], Flow]] = {
        ServiceId.PROGRESS_QUERY: ProgressQueryFlow, ServiceId.CONTACT_CHANGE: ContactChangeFlow,
        ServiceId.ACTIVATE: ActivateFlow,
    }
    assert set(flows) == set(ECARD_SERVICES)
    return flows


class EcardSignInFlow(Flow):
    service = ServiceId.ECARD_SIGN_IN
    total_steps = 2

    def steps(self, ctx: FlowContext) -> FlowResult:
        if not ctx.services.link_online():
            raise Refused("ecard_needs_link", ("reason.ecard_needs_link",))
        person = self.scan_and_verify(ctx)
        ctx.session[SESSION_KEY] = person
        flows = _service_flows()
        choices = tuple((s.value, f"service.{s.value}") for s in ECARD_SERVICES)
        while True:
            got = ctx.ask(self.view("ecard_services", 2, "prompt.ecard_choose_service",
                                    params={"name": mask_name(person.name), "sex": person.sex_code}, choices=choices,
                                    actions=("choose", "cancel")))
            if got.value in flows:
                return flows[ServiceId(got.value)]().steps(ctx)

    def scan_and_verify(self, ctx: FlowContext) -> EcardPerson:
        scanner = ctx.devices.scanner
        params = {"kiosk_qr": KIOSK_QR_PREFIX + ctx.config.kiosk.id}
        message = "prompt.scan_ecard"
        refused: set[str] = set()  # codes the central refused: one still held up is not sent again
        try:
            while True:
                view = self.view("scan_ecard", 1, message, params=params, actions=("cancel",))
                scan = ctx.wait_for(view, scanner.read_code, ctx.config.timeouts.id_card_read_s)
                if scan.outcome is ScanOutcome.UNREADABLE:
                    message = "prompt.ecard_unreadable"
                    continue
                if scan.text in refused:
                    continue
                scanner.stop()
                ctx.working(self.view("verifying", 1, "prompt.ecard_verifying"))
                try:
                    who = central(ctx, partial(ctx.central.verify_ecard, scan.text))
                except Refused as exc:
                    if exc.code not in RESCANNABLE or len(refused) + 1 >= MAX_REFUSED:
                        raise Refused(exc.code, (f"reason.{exc.code}",)) from None
                    refused.add(scan.text)
                    message = f"prompt.{exc.code}"
                    continue
                return EcardPerson.from_central(who)
        finally:
            scanner.stop()
