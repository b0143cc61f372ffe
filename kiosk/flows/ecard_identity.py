"""The citizen's identity as the services read it: from the ID card, or from an e-card sign-in.

A service in ``kiosk.domain.services.ECARD_SERVICES`` takes the person the central named for a
verified e-card code in place of the ID card's data; every other service reads the ID card.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Protocol

from kiosk.central.models import EcardIdentity
from kiosk.domain.services import ECARD_SERVICES, ServiceId
from kiosk.flows.base import FlowContext

SESSION_KEY = "ecard_person"  # wiped with the session like the ID card


class Person(Protocol):
    """What the ID-card-or-e-card services read of the citizen (hal.types.IdCardData has it too)."""

    @property
    def id_number(self) -> str: ...
    @property
    def name(self) -> str: ...
    @property
    def sex_code(self) -> str: ...


@dataclass(frozen=True, repr=False)
class EcardPerson:
    id_number: str
    name: str
    sex_code: str
    birth_date: dt.date | None

    def __repr__(self) -> str:
        return "EcardPerson(<personal data>)"

    @classmethod
    def from_central(cls, who: EcardIdentity) -> EcardPerson:
        try:
            born: dt.date | None = dt.date.fromisoformat(who.birth_date)
        except ValueError:
            born = None
        return cls(who.id_number, who.name, who.sex, born)


def signed_in(ctx: FlowContext, service: ServiceId) -> EcardPerson | None:
    """The e-card person of this session, if ``service`` may use one."""
    person = ctx.session.get(SESSION_KEY)
    if service in ECARD_SERVICES and isinstance(person, EcardPerson):
        return person
    return None
