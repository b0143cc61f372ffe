"""What to bring to the counter for the services a kiosk cannot do (it does not pretend to):
注销/停用 (art. 35, with art. 29's change form) and an adult acting for a person who cannot come
(art. 51). Each case is a checklist of string-table keys, shown, spoken and printable."""

from __future__ import annotations

from dataclasses import dataclass

CHANGE_FORM = "prompt.guide_item_change_form"  # art. 29: 《福州市社会保障卡信息变更表》, filled in at the counter


@dataclass(frozen=True)
class Guide:
    case: str
    articles: tuple[int, ...]
    label: str  # string-table key: the case's button
    message: str  # string-table key: what the case is
    checklist: tuple[str, ...]  # string-table keys, in the order to read them


GUIDES: dict[str, Guide] = {g.case: g for g in (
    # Art. 35: household registration cancelled (settled abroad, nationality changed) or social insurance ended.
    Guide("cancel", (29, 35), "guide.case_cancel", "prompt.guide_cancel",
          ("prompt.guide_item_own_id", "prompt.guide_item_card_returned", "prompt.guide_item_cancel_proof",
           "prompt.guide_item_settle_first", CHANGE_FORM)),
    # Art. 35: death — a relative cancels the card.
    Guide("cancel_death", (29, 35), "guide.case_cancel_death", "prompt.guide_cancel_death",
          ("prompt.guide_item_relative_id", "prompt.guide_item_death_certificate",
           "prompt.guide_item_card_if_found", CHANGE_FORM)),
    # Art. 35: job transfer or leaving a job — the card is suspended (停用).
    Guide("suspend", (29, 35), "guide.case_suspend", "prompt.guide_suspend",
          ("prompt.guide_item_own_id", "prompt.guide_item_card", "prompt.guide_item_settle_first", CHANGE_FORM)),
    # Art. 51: under 14, without full capacity, or too old, weak, ill or disabled to come: an adult acts for them.
    Guide("proxy", (51,), "guide.case_proxy", "prompt.guide_proxy",
          ("prompt.guide_item_proxy_id", "prompt.guide_item_principal_id", "prompt.guide_item_proxy_proof",
           "prompt.guide_item_non_financial", "prompt.guide_item_home_visit")),
)}
