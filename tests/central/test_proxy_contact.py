"""A contact change made by a proxy (art. 51) stands only on the proxy's papers.

The kiosk sends the authorisation letter and both ID cards (POST /v1/documents), then the change,
through the same queue. A document the central refused is a dead letter, which no longer holds back
the principal's later requests: before, the change was then applied with no papers behind it. Now the
change names its proxy (``proxy_id_number``), and the central refuses it unless it holds every paper
that proxy presented for that principal.
"""

from __future__ import annotations

import uuid
from typing import Any

import httpx

from central_sim.server import ServerHandle
from kiosk.central.client import CentralClient
from kiosk.demo import citizen
from tests.central.test_documents import body as document
from tests.central.test_documents import post as post_document
from tests.central.test_refusals_kept import post, refused

PRINCIPAL = citizen("adult_active_card")
PROXY = citizen("adult_never_applied")["id_number"]


def change(central: ServerHandle, **extra: Any) -> httpx.Response:
    return post(central, "/v1/persons/contact",
                {"id_number": PRINCIPAL["id_number"], "phone": "0591-87654321", **extra}, str(uuid.uuid4()))


def papers(admin: httpx.Client, kinds: tuple[str, ...]) -> None:
    for kind in kinds:
        resp = post_document(admin, document(purpose="proxy", service="contact_change", kind=kind,
                                             subject_id_number=PRINCIPAL["id_number"], presenter_id_number=PROXY))
        assert resp.status_code == 201, resp.text


def stored_phone(central: ServerHandle) -> str:
    with central.central.db.read() as tx:
        row = tx.one("SELECT phone FROM persons WHERE id_number = ?", (PRINCIPAL["id_number"],))
    assert row is not None
    return str(row["phone"] or "")


def test_a_proxy_change_without_every_paper_is_refused_and_kept_for_the_principal(
        client: CentralClient, central: ServerHandle, admin: httpx.Client) -> None:
    before = stored_phone(central)
    papers(admin, ("authorisation_letter", "principal_id_card"))  # the proxy's own card was refused
    resp = change(central, proxy_id_number=PROXY)
    assert resp.status_code == 422 and resp.json()["error"]["code"] == "proxy_documents_missing", resp.text
    assert stored_phone(central) == before
    [kept] = refused(client, PRINCIPAL)
    assert kept.code == "proxy_documents_missing"


def test_a_proxy_change_with_the_proxys_papers_is_applied(central: ServerHandle, admin: httpx.Client) -> None:
    papers(admin, ("authorisation_letter", "principal_id_card", "proxy_id_card"))
    resp = change(central, proxy_id_number=PROXY)
    assert resp.status_code == 200, resp.text
    assert stored_phone(central) == "0591-87654321"


def test_papers_another_proxy_presented_do_not_count(central: ServerHandle, admin: httpx.Client) -> None:
    papers(admin, ("authorisation_letter", "principal_id_card", "proxy_id_card"))
    other = citizen("replacement_in_progress")["id_number"]
    for who in (other, PRINCIPAL["id_number"]):  # another adult; the principal naming themself
        resp = change(central, proxy_id_number=who)
        assert resp.status_code == 422 and resp.json()["error"]["code"] == "proxy_documents_missing", resp.text
