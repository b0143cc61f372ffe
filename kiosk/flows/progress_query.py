"""进度查询: the citizen's applications and their status timelines. Online only.

Screens: read_id → lookup → applications (choices: application ids; params.count) →
timeline (params: application_id, kind, status, steps as "status@at;…"; reasons: why an application
accepted offline was refused on delivery) → back/home.
"""

from __future__ import annotations

from hal.types import IdCardData
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
        apps = {a.application_id: a for a in found.applications}
        choices = tuple((a.application_id, f"app_kind.{a.kind}") for a in found.applications)
        while True:
            got = ctx.ask(self.view("applications", 2, "prompt.applications" if apps else "prompt.no_applications",
                                    params={"count": str(len(apps)),
                                            "statuses": ";".join(f"{a.application_id}={a.status}"
                                                                 for a in found.applications)},
                                    choices=choices, actions=("choose", "home") if apps else ("home",)))
            if got.action == "home" or got.value not in apps:
                return self._done(ctx)
            app = apps[got.value]
            back = ctx.ask(self.view("timeline", 3, "prompt.timeline",
                                     params={"application_id": app.application_id, "kind": app.kind,
                                             "status": app.status, "delivery": app.delivery or "",
                                             "steps": ";".join(f"{t.status}@{t.at}" for t in app.timeline)},
                                     # refused after the kiosk accepted it offline: the promised reasons
                                     reasons=reason_keys_of(r.code for r in app.reasons),
                                     actions=("back", "home")))
            if back.action == "home":
                return self._done(ctx)

    def _done(self, ctx: FlowContext) -> FlowResult:
        ctx.channel.show(self.view("done", 3, "end.done", actions=("home",), end=End.DONE))
        return FlowResult(End.DONE, "queried")
