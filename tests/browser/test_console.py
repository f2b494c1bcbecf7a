"""Admin and department walks on the pages only (ISSUE11 items 6, 7, 12, 13), axe-core on each page.

Admin at 1366×768: the 待办 board, a base put into rectification, a certificate revoked, an
evaluation round opened, the department table. A department reviews a plan and reads its history.
Public pages and a phone: the verify pages, the header within 64 px. Screenshots land in
test-artifacts/.
"""

from __future__ import annotations

import pytest

from tests.browser.axe import axe_violations
from tests.fixtures.attendance import roster_xlsx, trainees
from tests.fixtures.auth import TEST_PASSWORD

pytestmark = pytest.mark.browser

DESKTOP = {"viewport": {"width": 1366, "height": 768}, "locale": "zh-CN"}


@pytest.fixture
def desktop_page(browser, csp_violations):
    context = browser.new_context(**DESKTOP)
    page = context.new_page()
    page.on(
        "console", lambda m: "Content Security Policy" in m.text and csp_violations.append(m.text)
    )
    page.set_default_timeout(15_000)
    try:
        yield page
    finally:
        context.close()
    assert csp_violations == []


def sign_in(page, live_url: str, username: str, next_path: str) -> None:
    page.goto(f"{live_url}/login?next={next_path}")
    page.fill("#username", username)
    page.fill("#password", TEST_PASSWORD)
    page.click("main button[type=submit]")
    page.wait_for_url(f"**{next_path.split('?')[0]}*")


def clean(page, artifacts, name: str) -> None:
    """No axe-core violation on the page; a screenshot of it."""
    page.screenshot(path=str(artifacts / f"{name}.png"), full_page=True)
    assert axe_violations(page) == [], name


def flash(page) -> str:
    return page.locator(".flash").first.inner_text()


def test_admin_changes_a_status_revokes_a_certificate_and_opens_a_round(
    make_account, create_base, open_session, upload_roster, live_url, desktop_page, artifacts
):
    base = create_base(name="湖南某某学院继续教育学院")
    target = open_session()
    assert upload_roster(target, roster_xlsx(trainees(2))).status_code == 200
    make_account("admin", username="sheng-admin", name="省人社厅")
    page = desktop_page
    sign_in(page, live_url, "sheng-admin", "/console")
    assert "待办" in page.locator("h1").inner_text()
    clean(page, artifacts, "console-dashboard")

    page.goto(f"{live_url}/bases/{base.id}")
    clean(page, artifacts, "console-base-before")
    page.select_option("#st-status", "rectifying")
    page.fill("#st-reason", "年度抽查发现培训档案不全")
    page.click("#h-status ~ form button[type=submit]")
    page.wait_for_load_state()
    assert "已变更为“限期整改”" in flash(page)
    clean(page, artifacts, "console-base-rectifying")

    page.goto(f"{live_url}/sessions/{target.id}")
    link = page.locator("a[href^='/console/certificates?serial=']").first
    link.click()
    page.wait_for_url("**/console/certificates?serial=*")
    clean(page, artifacts, "console-certificate")
    page.fill("#c-reason", "冒名参训")
    page.click("#h-cert ~ form button[type=submit]")
    page.wait_for_load_state()
    assert "已撤销" in flash(page)
    clean(page, artifacts, "console-certificate-revoked")

    page.goto(f"{live_url}/evaluations")
    clean(page, artifacts, "console-evaluations")
    page.fill("#r-year", "2027")
    page.click("#h-open ~ form button[type=submit]")
    page.wait_for_url("**/evaluations/rounds/*")
    assert "已开展“2027 年度省级继续教育基地评估”" in flash(page)
    clean(page, artifacts, "console-evaluation-round")

    for path, name in (
        ("/console/departments", "console-departments"),
        ("/console/spot-checks", "console-spot-checks"),
        ("/console/reviewed?department=hn-edu", "console-history-admin"),
        (f"/sessions/{target.id}", "console-session-trainees"),
        ("/bases", "console-bases"),
        ("/applications", "console-applications"),
    ):
        page.goto(live_url + path)
        clean(page, artifacts, name)


def test_a_department_reviews_a_plan_and_reads_its_history(
    make_account, create_base, create_plan_in, live_url, desktop_page, artifacts
):
    base = create_base(name="教育厅主管的基地", department="湖南省教育厅")
    create_plan_in(base, "submitted")
    make_account("dept", username="jyt", name="湖南省教育厅", department="hn-edu")
    page = desktop_page
    sign_in(page, live_url, "jyt", "/plans")
    clean(page, artifacts, "dept-plans")
    page.locator("button", has_text="审核通过").first.click()
    page.wait_for_load_state()
    page.goto(f"{live_url}/console/reviewed")
    assert "教育厅主管的基地" in page.content() and "审核通过" in page.content()
    clean(page, artifacts, "dept-history")


def test_public_pages_and_the_phone_header(make_account, live_url, phone_page, artifacts):
    page = phone_page
    for path, name in (
        ("/", "home"),
        ("/verify", "verify-form"),
        ("/v/NOSUCHSERIAL0000000000", "verify-unknown"),
        ("/login", "login"),
        ("/directory", "directory"),
    ):
        page.goto(live_url + path)
        height = page.evaluate(
            "document.querySelector('header.top').getBoundingClientRect().height"
        )
        assert height <= 64, (path, height)
        assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth"), path
        clean(page, artifacts, f"a11y-{name}-phone")
    page.goto(live_url + "/v/NOSUCHSERIAL0000000000")
    assert page.locator("h1").inner_text() == "未查到证书"
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.className") == "skip-link"

    make_account("person", username="zhangsan", name="张三", id_number="430104199003070015")
    sign_in(page, live_url, "zhangsan", "/me")
    height = page.evaluate("document.querySelector('header.top').getBoundingClientRect().height")
    assert height <= 64, height
    assert "接口文档" not in page.locator("header.top").inner_text()
    clean(page, artifacts, "a11y-me-phone")
