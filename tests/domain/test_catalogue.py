"""The domain's tables and small rules: the service catalogue and its offline policy (central-api.md),
the counter guidance (arts. 35, 51), the address table, contact fields, masking, ethnicity, display text."""

from __future__ import annotations

import pytest

from kiosk.domain import counter_guidance as cg
from kiosk.domain import regions
from kiosk.domain.contact import mobile_ok, phone_ok, postal_code_ok
from kiosk.domain.ethnicity import ethnicity_display, ethnicity_name
from kiosk.domain.masking import mask_address, spoken_name
from kiosk.domain.services import SERVICES, Availability, Device, Offline, ServiceId, availability
from kiosk.domain.text import safe_display_text
from kiosk.strings import table

S = ServiceId
ALL_DEVICES = set(Device)


def test_the_catalogue_is_the_offline_policy_table() -> None:
    """central-api.md's offline policy, queue priorities (loss reports first) and each service's articles."""
    assert {s: (v.offline, v.queue_priority, v.articles) for s, v in SERVICES.items()} == {
        S.APPLY: (Offline.ACCEPT_FOR_LATER, 50, (3, 15, 16, 21, 24)),
        S.REPLACE: (Offline.ACCEPT_FOR_LATER, 40, (29, 33)),
        S.LOSS_REPORT: (Offline.QUEUED, 0, (33,)),
        S.LOSS_CANCEL: (Offline.NO, 20, (34,)),
        S.ACTIVATE: (Offline.QUEUED, 30, (31,)),
        S.PIN_CHANGE: (Offline.QUEUED, 30, (32,)),
        S.PIN_RESET: (Offline.NO, 30, (32,)),
        S.CONTACT_CHANGE: (Offline.QUEUED, 30, (16, 30)),
        S.PROGRESS_QUERY: (Offline.NO, 90, ()),
        S.COUNTER_GUIDANCE: (Offline.LOCAL, 90, (35, 51)),
        S.ECARD_SIGN_IN: (Offline.NO, 90, ()),
        S.PROXY: (Offline.QUEUED, 30, (51,)),
    }
    assert [s for s, v in SERVICES.items() if v.informational] == [S.COUNTER_GUIDANCE]


def test_every_service_needs_its_devices() -> None:
    for sid, spec in SERVICES.items():
        for device in spec.devices:
            state, missing = availability(sid, link_online=True, usable_devices=ALL_DEVICES - {device},
                                          built=set(S))
            assert (state, missing) == (Availability.DEVICE_DOWN, frozenset({device}))
        assert availability(sid, link_online=True, usable_devices=set(spec.devices), built=set(S)) == (
            Availability.AVAILABLE, frozenset())


@pytest.mark.parametrize(("sid", "accept_later", "expected"), [
    (S.LOSS_REPORT, False, Availability.AVAILABLE_OFFLINE), (S.PIN_CHANGE, False, Availability.AVAILABLE_OFFLINE),
    (S.LOSS_CANCEL, False, Availability.NEEDS_LINK), (S.PROGRESS_QUERY, True, Availability.NEEDS_LINK),
    (S.APPLY, False, Availability.NEEDS_LINK), (S.APPLY, True, Availability.AVAILABLE_OFFLINE),
    (S.REPLACE, True, Availability.AVAILABLE_OFFLINE),
    (S.COUNTER_GUIDANCE, False, Availability.AVAILABLE),  # nothing to send: fully available offline
])
def test_availability_offline(sid: ServiceId, accept_later: bool, expected: Availability) -> None:
    assert availability(sid, link_online=False, usable_devices=ALL_DEVICES, built=set(S),
                        accept_offline_applications=accept_later) == (expected, frozenset())


def test_availability_of_a_service_not_built_or_with_a_device_down() -> None:
    assert availability(S.APPLY, link_online=True, usable_devices=ALL_DEVICES, built={S.LOSS_REPORT}) == (
        Availability.NOT_BUILT, frozenset())
    # a device down outranks the link: the note names what is missing
    assert availability(S.LOSS_CANCEL, link_online=False, usable_devices=set(), built=set(S))[0] is \
        Availability.DEVICE_DOWN
    assert availability(S.COUNTER_GUIDANCE, link_online=False, usable_devices=set(), built=set(S)) == (
        Availability.AVAILABLE, frozenset())


# ---- counter guidance (arts. 29, 35, 51) -------------------------------------------------------------
def test_counter_guidance_cases_and_their_articles() -> None:
    assert {c: g.articles for c, g in cg.GUIDES.items()} == {
        "cancel": (29, 35), "cancel_death": (29, 35), "suspend": (29, 35), "proxy": (51,)}
    assert all(g.case == c for c, g in cg.GUIDES.items())
    assert cg.CHANGE_FORM in cg.GUIDES["cancel"].checklist and cg.CHANGE_FORM not in cg.GUIDES["proxy"].checklist
    assert "prompt.guide_item_death_certificate" in cg.GUIDES["cancel_death"].checklist  # art. 35
    assert "prompt.guide_item_proxy_proof" in cg.GUIDES["proxy"].checklist  # art. 51


def test_counter_guidance_is_written_and_spoken_in_both_languages() -> None:
    from kiosk.voice.catalogue import is_spoken

    keys = {k for g in cg.GUIDES.values() for k in (g.label, g.message, *g.checklist)}
    for lang in ("zh", "en"):
        missing = sorted(k for k in keys if not table(lang).get(k))
        assert not missing, (lang, missing)
    assert all(is_spoken(k) for g in cg.GUIDES.values() for k in (g.message, *g.checklist))


# ---- addresses and contact fields (art. 30) ------------------------------------------------------------
@pytest.mark.parametrize(("value", "reasons"), [
    ("350102|示范路1号", ()), ("350102|示范", ()), ("350102|示", ("reason.address_detail",)),
    ("350102|" + "路" * 60, ()), ("350102|" + "路" * 61, ("reason.address_detail",)),
    ("350102|  示  ", ("reason.address_detail",)), ("999999|示范路1号", ("reason.address_district",)),
    ("999999|x", ("reason.address_district", "reason.address_detail")), ("示范路1号", ("reason.address_district",
                                                                                  "reason.address_detail")),
])
def test_parse_address(value: str, reasons: tuple[str, ...]) -> None:
    address, found = regions.parse_address(value)
    assert found == reasons
    assert (address is None) is bool(reasons)


def test_address_text_and_tables() -> None:
    address, _ = regions.parse_address("350203|示范路3号")
    assert address is not None and address.city_code == "350200"
    assert address.text() == "福建省厦门市思明区示范路3号"
    assert regions.cities_of("350000")[0] == ("350100", "福州市") and regions.cities_of("110000") == []
    assert ("350181", "福清市") in regions.districts_of("350100") and regions.districts_of("350999") == []
    assert (regions.DETAIL_MIN, regions.DETAIL_MAX) == (2, 60)


def test_contact_fields() -> None:
    assert mobile_ok("13812345678") and not mobile_ok("12812345678") and not mobile_ok("1381234567")
    assert phone_ok("0591-87654321") and phone_ok("059187654321") and not phone_ok("87654321")
    assert postal_code_ok("350001") and not postal_code_ok("35001")


# ---- masking, ethnicity, display text -------------------------------------------------------------------
@pytest.mark.parametrize(("address", "masked"), [
    ("福建省福州市鼓楼区示范路1号", "福建省福州市******"), ("福建省福州市鼓楼区", "福建省福州市***"),
    ("福建省福州市", "福建省福州市"), ("福州", "福州"), ("福建省福州市鼓楼区示范路一二三四五号", "福建省福州市******"),
])
def test_mask_address(address: str, masked: str) -> None:
    assert mask_address(address) == masked


@pytest.mark.parametrize(("name", "sex", "spoken"), [
    ("张三", "1", ("张", "mr")), ("张三", "2", ("张", "ms")), (" 李四", "男", ("李", "mr")),
    ("王五", "F", ("王", "ms")),
    ("张三", "", ("", "")), ("", "1", ("", "")), ("*", "1", ("", "")), ("张三", "9", ("", "")),
])
def test_spoken_name(name: str, sex: str, spoken: tuple[str, str]) -> None:
    assert spoken_name(name, sex) == spoken


def test_ethnicity_names() -> None:
    assert ethnicity_name("1") == "汉" and ethnicity_name("01") == "汉" and ethnicity_name("98") == "外国血统中国籍人士"
    assert ethnicity_display("01") == "汉族" and ethnicity_display("98") == "外国血统中国籍人士"
    assert ethnicity_display("97") == "其他" and ethnicity_display("77") == "未知(77)"


def test_safe_display_text() -> None:
    assert safe_display_text("a\u2028b\u2029c\u200bd\te") == "a b c d e"
    assert safe_display_text("长" * 300) == "长" * 200 and safe_display_text("长" * 300, 10) == "长" * 10
    assert safe_display_text("  网点   装修 ") == "网点 装修"
