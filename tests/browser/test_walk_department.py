"""A competent department (主管部门) walks its review job on the pages at 1366×768 (ISSUE11 7, 12).

It returns one base's plan with an opinion, approves another's, recommends an application,
recognises a credit from the queue, and reads its review history; every message names what was done. Each step is screenshotted and
checked by axe-core and at 390 px (tests/browser/walk.py).
"""

from __future__ import annotations

import pytest

from tests.browser.test_walk_admin import desktop_page  # noqa: F401 - a fixture
from tests.browser.walk import Walk, flash, sign_in
from tests.credits.conftest import credit_body, trained  # noqa: F401 - `trained` is a fixture

pytestmark = pytest.mark.browser


def test_department_returns_and_approves_plans_recommends_and_reads_its_history(
    make_account,
    create_base,
    create_plan_in,
    create_application,
    trained,  # noqa: F811
    client,
    admin_headers,
    live_url,
    desktop_page,  # noqa: F811
    artifacts,
):
    returned = create_base(name="湖南某某职业技术学院继续教育学院")
    approved = create_base(name="湖南某某师范大学继续教育学院")
    create_plan_in(returned, "submitted")
    create_plan_in(approved, "submitted")
    application = create_application("submitted", unit_name="湖南某某理工学院")
    person, _ = trained(department="湖南省教育厅")
    claim = credit_body(person, title="基层医疗人工智能应用论文")
    assert client.post("/api/v1/credits", json=claim, headers=admin_headers).status_code == 201
    make_account("dept", username="jyt", name="湖南省教育厅", department="hn-edu")

    walk = Walk(desktop_page, artifacts, "walk-dept")
    page = walk.page
    sign_in(walk, live_url, "jyt", "/plans")
    assert "待审核的年度计划（2）" in page.locator("h1").inner_text()
    walk.step("plans-waiting")

    # Return one plan with an opinion.
    card = page.locator("div.card", has_text=returned.name)
    card.locator("input[name=comment]").fill("第2项学时与培训天数不符，请核实后重新提交")
    card.locator("button", has_text="退回修改").click()
    page.wait_for_load_state()
    assert flash(page) == f"{returned.name} 2027 年度计划（第 1 版）已退回基地修改"
    walk.step("plan-returned")

    # Approve the other.
    page.locator("div.card", has_text=approved.name).locator("button", has_text="审核通过").click()
    page.wait_for_load_state()
    assert flash(page) == f"{approved.name} 2027 年度计划（第 1 版）已审核通过"
    walk.step("plan-approved")

    # Recommend an application.
    page.click("nav >> text=基地申报")
    page.wait_for_url("**/applications")
    walk.step("applications")
    page.click("main a:has-text('湖南某某理工学院')")
    page.wait_for_url(f"**/applications/{application.id}")
    walk.step("application")
    page.fill("#opinion", "办学条件符合要求，同意推荐")
    page.click("form[action$='/recommend'] button[type=submit]")
    page.wait_for_load_state()
    assert flash(page) == "“湖南某某理工学院”的申请已由主管部门推荐，等待省人社厅评审"
    walk.step("application-recommended")

    # A credit from another source, recognised from the queue beside its evidence.
    page.click("nav >> text=学时认定审核")
    page.wait_for_url("**/credits/queue")
    walk.step("credits-queue")
    page.fill("main textarea[name=opinion]", "论文已见刊，属实")
    page.click("main button[value=approve]")
    page.wait_for_load_state()
    assert flash(page) == f"已认定{person['name']}的“基层医疗人工智能应用论文”：2026 年度计 20 学时"
    walk.step("credit-approved")

    # The history names each review, its opinion and who did it.
    page.click("nav >> text=审核记录")
    page.wait_for_url("**/console/reviewed")
    history = page.locator("main").inner_text()
    assert "第2项学时与培训天数不符" in history and "退回修改" in history
    assert approved.name in history and "审核通过" in history
    assert "办学条件符合要求，同意推荐" in history and "湖南某某理工学院" in history
    walk.step("history")
    walk.done()
