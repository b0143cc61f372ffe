"""柜台办理指引: what to bring to the counter for 注销/停用 (art. 35) and for an adult acting for a person
who cannot come (art. 51). The kiosk does not do these; it shows the checklist (spoken like every
view), prints it on the receipt printer if the citizen wants, and says which counter service it is.

Screens: guide_choose (choices: the cases) → guidance (reasons: the checklist; actions print/no_print) → done.
Needs no device and no central: it runs offline too.
"""

from __future__ import annotations

from hal.types import Receipt, ReceiptLine
from kiosk.domain.counter_guidance import GUIDES, Guide
from kiosk.domain.services import ServiceId
from kiosk.flows.base import End, Flow, FlowContext, FlowResult, new_transaction_no
from kiosk.strings import t


def guidance_receipt(guide: Guide, txn: str, hotline: str) -> Receipt:
    """The checklist on paper, in Chinese then English (the counter reads the Chinese)."""
    lines = [ReceiptLine(t("zh", guide.message), bold=True), ReceiptLine(t("en", guide.message))]
    for n, key in enumerate(guide.checklist, 1):
        lines += [ReceiptLine(f"{n}. {t('zh', key)}"), ReceiptLine(f"   {t('en', key)}")]
    return Receipt(title="柜台办理须知 / What to bring to the counter", lines=tuple(lines), transaction_no=txn,
                   footer=(f"福州市社会保障卡管理办法 第{'、'.join(str(a) for a in guide.articles)}条",
                           f"咨询电话 Hotline {hotline}"))


class CounterGuidanceFlow(Flow):
    service = ServiceId.COUNTER_GUIDANCE
    total_steps = 3

    def steps(self, ctx: FlowContext) -> FlowResult:
        got = ctx.ask(self.view("guide_choose", 1, "prompt.guide_choose",
                                choices=tuple((case, g.label) for case, g in GUIDES.items()),
                                actions=("choose", "cancel")))
        guide = GUIDES.get(got.value) or next(iter(GUIDES.values()))
        hotline = ctx.config.kiosk.hotline
        got = ctx.ask(self.view("guidance", 2, guide.message, params={"hotline": hotline},
                                reasons=guide.checklist, actions=("print", "no_print")))
        txn = new_transaction_no(ctx.clock, ctx.config.kiosk.id)
        receipt = "none"
        if got.action == "print":
            receipt = "ok" if ctx.services.print_receipt(guidance_receipt(guide, txn, hotline)) else "failed"
        message = "prompt.guide_printed" if receipt == "ok" else "prompt.guide_done"
        ctx.finish(self.view("done", 3, message, params={"hotline": hotline, "case": guide.case, "receipt": receipt},
                             actions=("home",), end=End.DONE))
        return FlowResult(End.DONE, f"guidance_{guide.case}", transaction_no=txn)
