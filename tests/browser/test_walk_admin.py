"""The province's admin walks its whole job on the pages at 1366×768 (ISSUE11 items 6 and 12).

From the 待办 board: a base into 整改 and back, another base 撤销, its specialties edited, a
certificate revoked (and the verify page saying so), an evaluation round opened, a spot check drawn
and its outcome recorded, and the board again. Every step is screenshotted and checked by axe-core
and at 390 px (tests/browser/walk.py).
"""

from __future__ import annotations

import pytest

from jxjd.certificates.models import Certificate
from jxjd.extensions import db
from tests.browser.walk import DESKTOP, Walk, flash, sign_in
from tests.fixtures.attendance import PAST_YEAR, roster_xlsx, trainees

pytestmark = pytest.mark.browser


@pytest.fixture
def desktop_page(browser, csp_violations):
    """A fresh 1366×768 page; any Content-Security-Policy violation fails the test."""
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


def change_status(page, status: str, reason: str) -> None:
    page.select_option("#st-status", status)
    page.fill("#st-reason", reason)
    page.click("#h-status ~ form button[type=submit]")
    page.wait_for_load_state()


def test_admin_walks_status_specialties_revocation_evaluation_spot_check_and_the_board(
    make_account,
    create_base,
    create_plan_in,
    open_session,
    upload_roster,
    live_url,
    desktop_page,
    artifacts,
):
    college = create_base(name="湖南某某学院继续教育学院")
    other = create_base(name="湖南某某医院继续教育基地", department="湖南省卫生健康委员会")
    target = open_session(base=college)
    assert upload_roster(target, roster_xlsx(trainees(2))).status_code == 200
    create_plan_in(other, "reviewed", year=PAST_YEAR + 1)
    serial = db.session.scalars(
        db.select(Certificate.serial).where(Certificate.session_id == target.id)
    ).first()
    make_account("admin", username="sheng-admin", name="省人社厅专技处")

    walk = Walk(desktop_page, artifacts, "walk-admin")
    page = walk.page
    sign_in(walk, live_url, "sheng-admin", "/console")
    assert "待办" in page.locator("h1").inner_text()
    walk.step("todo-board")

    # 整改, then back to 已认定.
    page.click("nav >> text=基地")
    page.wait_for_url("**/bases*")
    walk.step("bases")
    page.click(f"main a:has-text('{college.name}')")
    page.wait_for_url(f"**/bases/{college.id}")
    walk.step("base")
    change_status(page, "rectifying", "年度抽查发现培训档案不全")
    assert flash(page) == f"“{college.name}”已变更为“限期整改”"
    walk.step("base-rectifying")
    change_status(page, "recognized", "整改完成，复查合格")
    assert flash(page) == f"“{college.name}”已变更为“已认定”"
    walk.step("base-restored")

    # Specialties: add one in the empty last row.
    rows = page.locator("#h-specialties ~ form fieldset")
    new = rows.count() - 1
    page.fill(f"#s-{new}-name", "人工智能")
    page.check(f"input[name=s-{new}-levels][value=senior]")
    page.check(f"input[name=s-{new}-audiences][value=public]")
    page.click("#h-specialties ~ form button[type=submit]")
    page.wait_for_load_state()
    assert "认定专业已更新为" in flash(page) and "人工智能" in flash(page)
    walk.step("specialties-saved")

    # 撤销 another base.
    page.goto(f"{live_url}/bases/{other.id}")
    walk.step("other-base")
    change_status(page, "revoked", "连续两年未开展培训")
    assert flash(page) == f"“{other.name}”已变更为“已撤销”"
    walk.step("other-base-revoked")

    # A certificate revoked from its serial; the public verify page then says so.
    page.goto(f"{live_url}/console")
    page.click("a.tile:has-text('张证书本月撤销')")
    page.wait_for_url("**/console/certificates")
    walk.step("certificates")
    page.fill("#c-serial", serial)
    page.click("main form.filter-bar button[type=submit]")
    page.wait_for_url("**/console/certificates?serial=*")
    walk.step("certificate-found")
    page.fill("#c-reason", "冒名参训")
    page.click("#h-cert ~ form button[type=submit]")
    page.wait_for_load_state()
    assert f"证书 {serial}" in flash(page) and "已撤销" in flash(page)
    walk.step("certificate-revoked")
    page.goto(f"{live_url}/v/{serial}")
    assert "冒名参训" in page.locator("main").inner_text()
    walk.step("verify-revoked")

    # An evaluation round.
    page.goto(f"{live_url}/console")
    page.click("a.tile:has-text('开展基地评估')")
    page.wait_for_url("**/evaluations")
    walk.step("evaluations")
    page.fill("#r-year", str(PAST_YEAR + 1))
    page.click("#h-open ~ form button[type=submit]")
    page.wait_for_url("**/evaluations/rounds/*")
    assert f"已开展“{PAST_YEAR + 1} 年度省级继续教育基地评估”" in flash(page)
    walk.step("evaluation-round")
    page.goto(f"{live_url}/evaluations")
    page.fill("#r-year", str(PAST_YEAR + 1))
    page.click("#h-open ~ form button[type=submit]")
    page.wait_for_url("**/evaluations")
    assert "flash error" in page.content()
    walk.step("evaluation-round-twice")

    # A spot check of the year's sessions, and its outcome.
    page.goto(f"{live_url}/console")
    page.click("a.tile:has-text('不定期抽查培训班次')")
    page.wait_for_url("**/console/spot-checks")
    walk.step("spot-checks")
    page.fill("#sc-year", "2001")
    page.click("#h-draw ~ form button[type=submit]")
    page.wait_for_load_state()
    assert page.locator("#sc-year").input_value() == "2001"  # kept after the error
    walk.step("spot-check-empty-year")
    page.fill("#sc-year", str(PAST_YEAR))
    page.fill("#sc-size", "1")
    page.click("#h-draw ~ form button[type=submit]")
    page.wait_for_url("**/console/spot-checks/*")
    assert f"已从 {PAST_YEAR} 年度 1 个班次中抽取 1 个" in flash(page)
    walk.step("spot-check-drawn")
    page.select_option(f"#o-{target.id}", "pass")
    page.fill(f"#f-{target.id}", "签到表、课件齐全")
    page.click(f"#h-item-{target.id} ~ form button[type=submit]")
    page.wait_for_load_state()
    assert "抽查结果已记为“合格”" in flash(page)
    walk.step("spot-check-recorded")

    # The session's trainee list links each certificate to the console; departments; history.
    page.goto(f"{live_url}/sessions/{target.id}")
    assert page.locator("a[href^='/console/certificates?serial=']").count() == 1  # 1 revoked
    walk.step("session-trainees")
    page.click("nav >> text=主管部门")
    page.wait_for_url("**/console/departments")
    walk.step("departments")
    page.click("nav >> text=审核记录")
    page.wait_for_url("**/console/reviewed")
    page.select_option("#h-dept", "hn-edu")
    page.click("main form.filter-bar button[type=submit]")
    page.wait_for_url("**/console/reviewed?department=hn-edu")
    walk.step("department-history")

    # The board again: the revoked certificate and the plan waiting to be filed.
    page.goto(f"{live_url}/console")
    tiles = page.locator("div.todo").first.inner_text() + page.locator("div.todo").last.inner_text()
    assert "1张证书本月撤销" in tiles.replace("\n", "")
    assert "1份计划待备案" in tiles.replace("\n", "")
    walk.step("todo-board-after")
    page.click("a.tile:has-text('学时折算表')")
    page.wait_for_url("**/rules/*/conversions")
    walk.step("conversions")
    walk.done()
