"""A base files a five-item plan after a failed first try, then edits the version returned to it."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from jxjd.extensions import db
from jxjd.plans import services
from jxjd.plans.models import Plan
from tests.fixtures.auth import TEST_PASSWORD
from tests.fixtures.plans import dept_actor

pytestmark = pytest.mark.browser

DESK = {"viewport": {"width": 1366, "height": 768}, "locale": "zh-CN"}
FIELDS = ("title", "specialty", "category", "level", "audience", "form")
NUMBERS = ("sessions", "trainees", "hours")
# Five items as a base types them; the third and fifth are outside the base's recognized scope.
ITEMS = [
    (
        "人工智能应用高级研修班",
        "电子信息",
        "professional",
        "senior",
        "public",
        "in_person",
        "3",
        "150",
        "32",
    ),
    (
        "集成电路设计中级班",
        "电子信息",
        "professional",
        "intermediate",
        "internal",
        "blended",
        "2",
        "60",
        "24.5",
    ),
    (
        "嵌入式系统初级班",
        "电子信息",
        "professional",
        "junior",
        "public",
        "online",
        "5",
        "400",
        "16",
    ),
    ("职业道德与诚信建设", "公需科目", "general", "junior", "public", "online", "8", "2000", "6"),
    ("法治素养专题", "公需科目", "general", "senior", "internal", "in_person", "1", "45", "12"),
]
FIXED = {2: {"level": "senior"}, 4: {"audience": "public"}}


@pytest.fixture
def desk_page(browser, csp_violations):
    """A page at the base's desktop viewport; CSP violations fail the test."""
    from tests.browser.conftest import CSP_LISTENER

    context = browser.new_context(**DESK)
    context.expose_function("__cspViolation", lambda text: csp_violations.append(text))
    context.add_init_script(CSP_LISTENER)
    page = context.new_page()
    page.set_default_timeout(15_000)
    try:
        yield page
    finally:
        context.close()
    assert csp_violations == [], "Content-Security-Policy violations"


def fill_item(page, i: int, values: tuple[str, ...]) -> None:
    """One item row as a person fills it in."""
    title, specialty, category, level, audience, form, sessions, trainees, hours = values
    page.fill(f"#title_{i}", title)
    page.select_option(f"#specialty_{i}", specialty)
    page.select_option(f"#category_{i}", category)
    page.select_option(f"#level_{i}", level)
    page.select_option(f"#audience_{i}", audience)
    page.select_option(f"#form_{i}", form)
    page.fill(f"#sessions_{i}", sessions)
    page.fill(f"#trainees_{i}", trainees)
    page.fill(f"#hours_{i}", hours)


def shown_item(page, i: int) -> tuple[str, ...]:
    """What row i of the editor shows now."""
    return tuple(page.input_value(f"#{key}_{i}") for key in FIELDS + NUMBERS)


def test_a_base_files_a_five_item_plan_after_a_failed_try_and_edits_it_when_returned(
    create_base, make_account, live_url, desk_page, artifacts
):
    base = create_base(name="湖南某某职业技术学院继续教育学院")
    make_account("base", username="jidi", base_id=base.id)
    page = desk_page
    page.goto(f"{live_url}/login?next=/plans")
    page.fill("#username", "jidi")
    page.fill("#password", TEST_PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url("**/plans")

    page.fill("#new-year", "2028")
    page.click("text=新建计划")
    page.wait_for_url("**/plans/new?year=2028")
    for _ in range(5):  # one row to start; five more added in place, the sixth removed again
        page.click("button[data-add=items]")
    page.locator("#rows-items fieldset").nth(5).locator("button[data-remove]").click()
    assert page.locator("#rows-items fieldset").count() == 5
    for i, values in enumerate(ITEMS):
        fill_item(page, i, values)
    page.screenshot(path=str(artifacts / "plan-editor-typed.png"), full_page=True)
    page.click("button.primary[value=save]")
    page.wait_for_load_state()

    # Refused: every value is still what was typed, selects and numbers included.
    assert page.input_value("#year") == "2028"
    for i, values in enumerate(ITEMS):
        assert shown_item(page, i) == values, f"row {i + 1}"
    assert "未认定初级培训层次" in page.locator("#level_2-error").inner_text()
    assert (
        "未认定“面向本系统、本单位招生”培训对象" in page.locator("#audience_4-error").inner_text()
    )
    summary = page.locator("#form-errors").inner_text()
    assert "第 3 项的培训层次" in summary and "第 5 项的培训对象" in summary
    content = page.content()
    assert "not_recognized" not in content and "items[" not in content
    page.screenshot(path=str(artifacts / "plan-editor-errors.png"), full_page=True)
    db.session.remove()
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Plan)) == 0

    for i, fix in FIXED.items():
        for key, value in fix.items():
            page.select_option(f"#{key}_{i}", value)
    page.click("button.primary[value=save]")
    page.wait_for_url("**/plans")
    assert "5 个项目）已保存草稿" in page.locator(".flash").inner_text()
    db.session.remove()
    plan = db.session.scalars(sa.select(Plan)).one()
    typed = [list(values) for values in ITEMS]
    for i, fix in FIXED.items():
        for key, value in fix.items():
            typed[i][(FIELDS + NUMBERS).index(key)] = value
    saved = [
        [getattr(item, key) for key in FIELDS] + [str(item.sessions), str(item.trainees)]
        for item in plan.items
    ]
    assert saved == [row[:8] for row in typed]
    assert [str(item.hours) for item in plan.items] == ["32.0", "24.5", "16.0", "6.0", "12.0"]

    # Submitted, then returned by the department with an opinion.
    page.click(f"#plan-{plan.id} button.primary")
    page.wait_for_url("**/plans")
    db.session.remove()
    plan = db.session.get(Plan, plan.id)
    services.review_plan(
        dept_actor(plan.base), plan, approve=False, comment="第3项学时偏少，请调整"
    )
    db.session.commit()

    page.reload()
    assert "第3项学时偏少，请调整" in page.locator(f"#plan-{plan.id} .return-opinion").inner_text()
    page.click(f"#plan-{plan.id} >> text=修改")
    page.wait_for_url(f"**/plans/{plan.id}/edit")
    assert "第3项学时偏少，请调整" in page.locator(".return-opinion").inner_text()
    assert page.input_value("#hours_2") == "16"
    page.fill("#hours_2", "40")
    page.locator("#item-4 button[data-remove]").click()
    page.screenshot(path=str(artifacts / "plan-editor-returned.png"), full_page=True)
    page.click("button[value=submit]")
    page.wait_for_url("**/plans")
    assert "已保存并提交主管部门审核" in page.locator(".flash").inner_text()
    db.session.remove()
    plan = db.session.get(Plan, plan.id)
    assert plan.status == "submitted"
    assert [item.title for item in plan.items] == [row[0] for row in ITEMS[:4]]
    assert str(plan.items[2].hours) == "40.0"
