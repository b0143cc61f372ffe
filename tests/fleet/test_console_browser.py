"""The console in headless Chromium (Playwright on the system browser): search, filters, paging, the alarm
workflow, a remote action with its confirmation and role checks, zh/en, and the same with scripts off."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Dialog, Page

from central_sim.server import ServerHandle
from kiosk.central.client import CentralClient
from tests.fleet.browser import chromium
from tests.fleet.conftest import PASSWORDS, Clock
from tests.fleet.test_console import alarm, beat, populate


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    with chromium() as b:
        yield b


def open_as(browser: Browser, central: ServerHandle, user: str, *, scripts: bool = True) -> Page:
    page = browser.new_context(viewport={"width": 1920, "height": 1080}, java_script_enabled=scripts,
                               locale="zh-CN").new_page()
    page.goto(central.url + "/console")
    assert "/console/login" in page.url
    page.fill("input[name=user]", user)
    page.fill("input[name=password]", PASSWORDS[user])
    page.click("#login")
    page.wait_for_url(central.url + "/console")
    return page


def rows(page: Page) -> list[str]:
    return [str(r.get_attribute("data-kiosk")) for r in page.locator("#kiosks tbody tr[data-kiosk]").all()]


def test_search_filters_and_paging(browser: Browser, central: ServerHandle, clock: Clock, tmp_path: Path) -> None:
    populate(central, clock)
    page = open_as(browser, central, "vera")
    assert page.inner_text("#kpi-silent b") == "1" and page.inner_text("#kpi-degraded b") == "1"
    assert rows(page) == ["FZ-MW-0003", "FZ-GL-0002", "FZ-TJ-0001", "FZ-CS-0007"]
    page.fill("input[name=q]", "tj-0")
    page.press("input[name=q]", "Enter")
    page.wait_for_url("**q=tj-0**")
    assert rows(page) == ["FZ-TJ-0001"]
    page.fill("input[name=q]", "")
    page.check("input[name=all]")
    page.click("#apply")
    page.wait_for_load_state()
    assert len(rows(page)) == 5
    with page.expect_navigation():
        page.select_option("select[name=district]", "GL")  # console.js applies a filter on change
    assert sorted(rows(page)) == ["FZ-GL-0001", "FZ-GL-0002"] and "district=GL" in page.url
    page.goto(central.url + "/console?all=1&sort=kiosk&per_page=2")
    assert rows(page) == ["FZ-CS-0007", "FZ-GL-0001"]
    page.click("#next")
    page.wait_for_url("**page=2**")
    assert rows(page) == ["FZ-GL-0002", "FZ-MW-0003"] and "2 / 3" in page.inner_text("#pageinfo")
    page.click("#prev")
    page.wait_for_load_state()
    assert rows(page) == ["FZ-CS-0007", "FZ-GL-0001"]
    shot = tmp_path / "console.png"
    page.screenshot(path=str(shot))
    assert shot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_acknowledge_and_resolve_an_alarm(browser: Browser, central: ServerHandle, clock: Clock) -> None:
    beat(central, "FZ-GL-0001")
    alarm(central, "FZ-GL-0001", "a-7", "ribbon_out")
    page = open_as(browser, central, "otto")
    page.click("a[href='/console/kiosks/FZ-GL-0001']")
    row = page.locator("tr[data-alarm='a-7']")
    assert "色带用尽" in row.inner_text() and "未处理" in row.inner_text()
    row.locator("summary").click()
    row.locator("form.alarm-acknowledge input[name=note]").fill("已通知网点")
    row.locator("form.alarm-acknowledge button").click()
    page.wait_for_load_state()
    assert "已确认" in page.locator("tr[data-alarm='a-7']").inner_text()
    row = page.locator("tr[data-alarm='a-7']")
    row.locator("summary").click()
    row.locator("form.alarm-resolve input[name=note]").fill("换了新色带")
    row.locator("form.alarm-resolve button").click()
    page.wait_for_load_state()
    assert page.locator("tr[data-alarm='a-7']").count() == 0  # resolved alarms leave the open list
    assert "alarm_resolve" in page.inner_text("#oplog") and "换了新色带" in page.inner_text("#oplog")


def test_remote_action_confirmation_and_roles(browser: Browser, central: ServerHandle, clock: Clock) -> None:
    beat(central, "FZ-GL-0002", paper="out")
    page = open_as(browser, central, "otto")
    page.goto(central.url + "/console/kiosks/FZ-GL-0002")
    assert page.locator("form[data-action=restart]").count() == 0
    assert "需要 admin 权限" in page.inner_text("body")
    form = page.locator("form[data-action=out_of_service]")
    form.locator("xpath=..").locator("summary").click()
    form.locator("textarea[name=reason]").fill("缺纸，已派人")
    form.locator("input[name=confirm]").check()
    page.once("dialog", lambda d: d.dismiss())  # the operator changes their mind: nothing is sent
    form.locator("button").click()
    page.wait_for_timeout(300)
    assert "?done=1" not in page.url and beat(central, "FZ-GL-0002", seq=2, paper="out") == []
    answered: list[str] = []

    def accept(d: Dialog) -> None:
        answered.append(d.message)
        d.accept()

    page.once("dialog", accept)
    with page.expect_navigation():
        form.locator("button").click()
    assert answered and "暂停服务" in answered[0]
    assert "下次心跳" in page.inner_text(".flash") and "缺纸，已派人" in page.inner_text("#oplog")
    assert [c["type"] for c in beat(central, "FZ-GL-0002", seq=3, paper="out")] == ["set_mode"]
    viewer = open_as(browser, central, "vera")
    viewer.goto(central.url + "/console/kiosks/FZ-GL-0002")
    assert viewer.locator("form.action").count() == 0 and "otto (operator)" in viewer.inner_text("#oplog")


def test_language_switch(browser: Browser, central: ServerHandle, clock: Clock) -> None:
    beat(central, "FZ-GL-0001", issuer="hardware_error")
    page = open_as(browser, central, "vera")
    assert "社保卡自助终端运维台" in page.inner_text("h1") and "硬件故障" in page.inner_text("#kiosks")
    page.click("text=English")
    page.wait_for_url("**lang=en**")
    assert page.inner_text("h1") == "Kiosk fleet console" and "Hardware error" in page.inner_text("#kiosks")
    page.click("a[href='/console/kiosks/FZ-GL-0001']")  # the choice is remembered
    assert "card printer" in page.inner_text("#devices") and page.get_attribute("html", "lang") == "en"
    page.click("text=中文")
    page.wait_for_load_state()
    assert "制卡机" in page.inner_text("#devices")


def test_works_with_scripts_off(browser: Browser, central: ServerHandle, clock: Clock) -> None:
    populate(central, clock)
    page = open_as(browser, central, "otto", scripts=False)
    page.select_option("select[name=state]", "silent")
    page.click("#apply")  # without console.js the button submits the filters
    page.wait_for_url("**state=silent**")
    assert rows(page) == ["FZ-MW-0003"]
    page.goto(central.url + "/console/kiosks/FZ-TJ-0001")
    form = page.locator("form[data-action=diagnostics]")
    form.locator("xpath=..").locator("summary").click()
    form.locator("textarea[name=reason]").fill("dead letters: bundle please")
    form.locator("button").click()  # the browser refuses: "confirm" is a required checkbox
    page.wait_for_timeout(300)
    assert "?done=1" not in page.url
    form.locator("input[name=confirm]").check()
    with page.expect_navigation():
        form.locator("button").click()
    assert "?done=1" in page.url and "upload_diagnostics" in page.inner_text("#oplog")
    page.goto(central.url + "/console/map")
    # 5 kiosks at 4 sites (the two GL kiosks share a branch)
    assert page.locator("svg#map polygon").count() == 13 and page.locator("svg#map circle.site").count() == 4


def transactions(central: ServerHandle, kiosk_id: str, codes: list[str]) -> None:
    """The kiosk's transaction_outcome events (code `<service>.<end>`, as kiosk/runtime.py sends them)."""
    with CentralClient(central.url, kiosk_id) as c:
        c.send_events([{"event_id": f"tx-{kiosk_id}-{i}", "at": "2026-11-27T09:00:00+08:00",
                        "type": "transaction_outcome", "severity": "info", "code": code, "message": ""}
                       for i, code in enumerate(codes)])


def test_transactions_by_service_read_as_labels_in_both_languages(browser: Browser, central: ServerHandle,
                                                                  clock: Clock) -> None:
    beat(central, "FZ-GL-0001")
    transactions(central, "FZ-GL-0001", ["apply.done", "apply.cancelled", "loss_report.done"])
    page = open_as(browser, central, "vera")
    kpi = page.inner_text("#kpi-tx")
    assert "申领社保卡 2" in kpi and "挂失 1" in kpi  # the kiosk's own service names
    assert "apply" not in kpi and "loss_report" not in kpi  # no raw service keys
    page.click("text=English")
    page.wait_for_url("**lang=en**")
    kpi = page.inner_text("#kpi-tx")
    from kiosk.strings import t

    assert f"{t('en', 'service.apply')} 2" in kpi and f"{t('en', 'service.loss_report')} 1" in kpi
    assert "loss_report" not in kpi


def test_service_labels_are_the_kiosks_own_names_for_every_service() -> None:
    """One table: the console says what the kiosk's home screen says, for every service there is."""
    from central_sim.console.labels import label
    from kiosk.domain.services import ServiceId
    from kiosk.strings import t

    for service in ServiceId:
        for lang in ("zh", "en"):
            assert label("service", service.value, lang) == t(lang, f"service.{service.value}"), (service, lang)
