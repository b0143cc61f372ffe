"""进度查询: the citizen's applications and their status timelines. Online only.

Screens: read_id → lookup → applications (choices: application ids; params.count) →
timeline (params: application_id, kind, status, hotline, steps as "status@at;…"; reasons: why an
application accepted offline was refused on delivery) → back/home.
The list also holds each loss report, contact change or activation the central refused after a kiosk
took it (the citizen may have left with a "pending" receipt): kind is the service, status ``refused``.
"""

from __future__ import annotations

from dataclasses import dataclass

from hal.types import IdCardData
from kiosk.central.models import ApplicationProgress, RefusedRequest
from kiosk.domain.services import ServiceId
from kiosk.flows.base import End, Flow, FlowContext, FlowResult
from kiosk.flows.common import central, reason_keys_of, require_online
from kiosk.flows.ecard_identity import Person
from kiosk.flows.identity import read_identity


class ProgressQueryFlow(Flow):
    service = ServiceId.PROGRESS_QUERY
    total_steps = 3

    def steps(self, ctx: FlowContext) -> FlowResult:
        require_online(ctx)
        idc = read_identity(ctx, self.view("read_id", 1, "prompt.place_id_card", actions=("cancel",)))
        return self.query(ctx, idc)

    def query(self, ctx: FlowContext, idc: IdCardData | Person) -> FlowResult:
        """The query for the holder of ``idc`` (the citizen, or a proxy's principal: kiosk.flows.proxy)."""
        ctx.working(self.view("lookup", 2, "prompt.looking_up"))
        found = central(ctx, lambda: ctx.central.application_status(idc.id_number))
        entries = {e.id: e for e in (*map(_Entry.of_application, found.applications),
                                     *map(_Entry.of_refusal, found.refused_requests))}
        choices = tuple((e.id, f"app_kind.{e.kind}") for e in entries.values())
        while True:
            got = ctx.ask(self.view("applications", 2, "prompt.applications" if entries else "prompt.no_applications",
                                    params={"count": str(len(entries)),
                                            "statuses": ";".join(f"{e.id}={e.status}" for e in entries.values())},
                                    choices=choices, actions=("choose", "home") if entries else ("home",)))
            if got.action == "home" or got.value not in entries:
                return self._done(ctx)
            e = entries[got.value]
            back = ctx.ask(self.view("timeline", 3, "prompt.request_refused" if e.request else "prompt.timeline",
                                     params={"application_id": e.id, "kind": e.kind, "status": e.status,
                                             "delivery": e.delivery, "hotline": ctx.config.kiosk.hotline,
                                             "steps": ";".join(f"{s}@{at}" for s, at in e.steps)},
                                     # refused after the kiosk accepted it: the promised reasons
                                     reasons=reason_keys_of(e.reasons), actions=("back", "home")))
            if back.action == "home":
                return self._done(ctx)

    def _done(self, ctx: FlowContext) -> FlowResult:
        ctx.channel.show(self.view("done", 3, "end.done", actions=("home",), end=End.DONE))
        return FlowResult(End.DONE, "queried")


@dataclass(frozen=True)
class _Entry:
    """One line of the citizen's list: an application, or a request refused after a kiosk took it."""

    id: str
    kind: str
    status: str
    steps: tuple[tuple[str, str], ...]
    reasons: tuple[str, ...]
    delivery: str = ""
    request: bool = False  # a refused request, not an application

    @classmethod
    def of_application(cls, a: ApplicationProgress) -> _Entry:
        return cls(a.application_id, a.kind, a.status, tuple((t.status, t.at) for t in a.timeline),
                   tuple(r.code for r in a.reasons), a.delivery or "")

    @classmethod
    def of_refusal(cls, r: RefusedRequest) -> _Entry:
        made = (("submitted", r.submitted_at),) if r.submitted_at else ()
        return cls(r.request_id, r.service, "refused", (*made, ("refused", r.refused_at)),
                   tuple(x.code for x in r.reasons) or (r.code,), request=True)
