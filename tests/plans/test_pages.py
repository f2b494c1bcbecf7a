"""The plan pages: a base sees its plans, a department approves or returns from the page."""

from __future__ import annotations

import sqlalchemy as sa

from jxjd.extensions import db
from jxjd.plans.models import Plan
from tests.fixtures.auth import csrf_token_from


def _status(plan_id: int) -> str:
    db.session.expire_all()
    return db.session.get(Plan, plan_id).status


def test_plans_page_needs_a_login(client):
    resp = client.get("/plans")
    assert resp.status_code == 302
    assert "/login" in resp.headers["Location"]


def test_a_base_sees_its_plans(client, create_base, create_plan_in, make_account, login):
    base, other = create_base(name="甲基地"), create_base(name="乙基地")
    create_plan_in(base, "filed", items=None)
    create_plan_in(other, "draft", year=2028)
    make_account("base", username="jiadi", base_id=base.id)
    login(client, "jiadi")
    resp = client.get("/plans")
    assert resp.status_code == 200
    html = resp.get_data(as_text=True)
    assert "甲基地" in html and "2027 年度" in html
    assert "人工智能应用高级研修班" in html
    assert "已备案" in html
    assert "2028 年度" not in html  # the other base's plan


def test_a_base_creates_and_submits_a_plan_from_the_page(client, create_base, make_account, login):
    base = create_base()
    make_account("base", username="jiadi", base_id=base.id)
    login(client, "jiadi")
    token = csrf_token_from(client.get("/plans").get_data(as_text=True))
    form = {
        "csrf_token": token,
        "rows": "3",
        "year": "2027",
        "title_0": "人工智能应用高级研修班",
        "specialty_0": "电子信息",
        "category_0": "professional",
        "level_0": "senior",
        "audience_0": "public",
        "form_0": "in_person",
        "sessions_0": "2",
        "trainees_0": "100",
        "hours_0": "24",
    }
    resp = client.post("/plans/new", data=form)
    assert resp.status_code == 302
    plan = db.session.scalar(sa.select(Plan))
    assert (plan.year, plan.status, [i.sessions for i in plan.items]) == (2027, "draft", [2])
    resp = client.post(f"/plans/{plan.id}/submit", data={"csrf_token": token})
    assert resp.status_code == 302
    assert _status(plan.id) == "submitted"


def test_a_plan_form_outside_the_scope_shows_the_problem(client, create_base, make_account, login):
    base = create_base()
    make_account("base", username="jiadi", base_id=base.id)
    login(client, "jiadi")
    token = csrf_token_from(client.get("/plans").get_data(as_text=True))
    resp = client.post(
        "/plans/new",
        data={
            "csrf_token": token,
            "rows": "1",
            "year": "2027",
            "title_0": "初级班",
            "specialty_0": "电子信息",
            "category_0": "professional",
            "level_0": "junior",
            "audience_0": "public",
            "form_0": "in_person",
            "sessions_0": "1",
            "trainees_0": "10",
            "hours_0": "8",
        },
    )
    assert resp.status_code == 422
    html = resp.get_data(as_text=True)
    assert "未认定初级培训层次" in html
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Plan)) == 0


def test_a_department_approves_a_submitted_plan_from_the_page(
    client, create_base, create_plan_in, make_account, login
):
    base = create_base(name="甲基地")
    plan = create_plan_in(base, "submitted")
    make_account("dept", username="jiaoyuting", department="湖南省教育厅")
    login(client, "jiaoyuting")
    page = client.get("/plans")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "甲基地" in html and "审核通过" in html
    resp = client.post(f"/plans/{plan.id}/approve", data={"csrf_token": csrf_token_from(html)})
    assert resp.status_code == 302
    assert _status(plan.id) == "reviewed"


def test_returning_from_the_page_without_a_comment_changes_nothing(
    client, create_base, create_plan_in, make_account, login
):
    base = create_base()
    plan = create_plan_in(base, "submitted")
    make_account("dept", username="jiaoyuting", department="湖南省教育厅")
    login(client, "jiaoyuting")
    token = csrf_token_from(client.get("/plans").get_data(as_text=True))
    resp = client.post(f"/plans/{plan.id}/return", data={"csrf_token": token, "comment": ""})
    assert resp.status_code == 302
    assert _status(plan.id) == "submitted"
    assert "退回计划须填写意见" in client.get("/plans").get_data(as_text=True)


def test_another_department_does_not_see_the_plan(
    client, create_base, create_plan_in, make_account, login
):
    base = create_base(name="甲基地")
    plan = create_plan_in(base, "submitted")
    make_account("dept", username="zhujianting", department="湖南省住房和城乡建设厅")
    login(client, "zhujianting")
    html = client.get("/plans").get_data(as_text=True)
    assert "甲基地" not in html
    client.post(f"/plans/{plan.id}/approve", data={"csrf_token": csrf_token_from(html)})
    assert _status(plan.id) == "submitted"


def test_a_page_action_without_the_csrf_token_is_refused(
    client, create_base, create_plan_in, make_account, login
):
    base = create_base()
    plan = create_plan_in(base, "submitted")
    make_account("dept", username="jiaoyuting", department="湖南省教育厅")
    login(client, "jiaoyuting")
    resp = client.post(f"/plans/{plan.id}/approve", data={})
    assert resp.status_code == 400
    assert _status(plan.id) == "submitted"


def test_admin_files_a_reviewed_plan_from_the_page(
    client, create_base, create_plan_in, make_account, login
):
    base = create_base(name="甲基地")
    plan = create_plan_in(base, "reviewed")
    make_account("admin", username="zhuanjichu")
    login(client, "zhuanjichu")
    html = client.get("/plans").get_data(as_text=True)
    assert "备案" in html
    client.post(f"/plans/{plan.id}/file", data={"csrf_token": csrf_token_from(html)})
    assert _status(plan.id) == "filed"


def test_a_forged_row_count_neither_crashes_nor_loops(client, create_base, make_account, login):
    base = create_base()
    make_account("base", username="jiadi", base_id=base.id)
    login(client, "jiadi")
    token = csrf_token_from(client.get("/plans").get_data(as_text=True))
    row = {
        "title_0": "人工智能应用高级研修班",
        "specialty_0": "电子信息",
        "category_0": "professional",
        "level_0": "senior",
        "audience_0": "public",
        "form_0": "in_person",
        "sessions_0": "2",
        "trainees_0": "100",
        "hours_0": "24",
    }
    resp = client.post("/plans/new", data={"csrf_token": token, "rows": "abc", "year": "2027"})
    assert resp.status_code == 302  # no rows read: an empty draft
    resp = client.post(
        "/plans/new", data={"csrf_token": token, "rows": "1000000000", "year": "2028", **row}
    )
    assert resp.status_code == 302
    plan = db.session.scalar(sa.select(Plan).where(Plan.year == 2028))
    assert len(plan.items) == 1
