"""Which documents the kiosk captures, their shape, and who presents them (arts. 16, 18, 51)."""

from __future__ import annotations

from enum import StrEnum


class DocumentKind(StrEnum):
    HOUSEHOLD_REGISTER = "household_register"  # 户口簿 page showing the child and the guardian
    BIRTH_CERTIFICATE = "birth_certificate"  # 出生医学证明
    AUTHORISATION_LETTER = "authorisation_letter"  # 授权委托书
    PRINCIPAL_ID_CARD = "principal_id_card"  # the represented person's ID card (original)
    PROXY_ID_CARD = "proxy_id_card"  # the proxy's own ID card


class Purpose(StrEnum):
    GUARDIAN = "guardian"  # a guardian for a child (proof of relationship)
    PROXY = "proxy"  # an adult acting for someone who cannot come (art. 51)


# Width / height as the document lies on the platen; the straightened page keeps it.
ASPECT: dict[DocumentKind, float] = {
    DocumentKind.HOUSEHOLD_REGISTER: 143 / 105,
    DocumentKind.BIRTH_CERTIFICATE: 210 / 148,
    DocumentKind.AUTHORISATION_LETTER: 210 / 297,
    DocumentKind.PRINCIPAL_ID_CARD: 85.6 / 54,
    DocumentKind.PROXY_ID_CARD: 85.6 / 54,
}

PROOFS_OF_RELATIONSHIP = (DocumentKind.HOUSEHOLD_REGISTER, DocumentKind.BIRTH_CERTIFICATE)
PROXY_DOCUMENTS = (DocumentKind.AUTHORISATION_LETTER, DocumentKind.PRINCIPAL_ID_CARD, DocumentKind.PROXY_ID_CARD)
