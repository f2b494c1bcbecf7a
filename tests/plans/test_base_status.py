"""A revoked or barred base files no plans (422 base_not_active); a rectifying one still does."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from jxjd.audit.models import AuditEvent
from jxjd.auth import CLI
from jxjd.bases.services import change_base_status
from jxjd.extensions import db
from jxjd.plans.models import Plan
from tests.conftest import assert_problem
from tests.fixtures.auth import csrf_token_from
from tests.fixtures.plans import item_payload, plan_payload


def _count(model) -> int:
    return db.session.scalar(sa.select(sa.func.count()).select_from(model))


def _status(plan_id: int) -> str:
    db.session.expire_all()
    return db.session.get(Plan, plan_id).status


def _move_base(base, status: str) -> None:
    change_base_status(CLI, base, status, "测试：基地状态变更")
    db.session.commit()


@pytest.mark.parametrize("status", ["revoked", "barred"])
def test_an_inactive_base_cannot_create_a_plan(
    client, create_base_in, base_headers, admin_headers, status
):
    base = create_base_in(status)
    all_headers = (base_headers(base), admin_headers)
    events = _count(AuditEvent)
    for headers in all_headers:
        resp = client.post(f"/api/v1/bases/{base.id}/plans", json=plan_payload(), headers=headers)
        body = assert_problem(resp, 422, "base_not_active")
        assert body["code"] == "base_not_active"
        assert body["errors"][0]["field"] == "base"
    assert _count(Plan) == 0
    assert _count(AuditEvent) == events


def test_a_draft_cannot_be_edited_or_submitted_once_the_base_is_revoked(
    client, create_base, create_plan_in, base_headers
):
    base = create_base()
    plan = create_plan_in(base, "draft")
    _move_base(base, "revoked")
    headers = base_headers(base)
    resp = client.put(
        f"/api/v1/plans/{plan.id}", json={"items": [item_payload(sessions=9)]}, headers=headers
    )
    assert_problem(resp, 422, "base_not_active")
    resp = client.post(f"/api/v1/plans/{plan.id}/submit", headers=headers)
    body = assert_problem(resp, 422, "base_not_active")
    assert "已撤销" in body["detail"]
    assert _status(plan.id) == "draft"
    assert [i.sessions for i in db.session.get(Plan, plan.id).items] == [4]


def test_admin_does_not_file_the_plan_of_a_barred_base(
    client, create_base, create_plan_in, admin_headers
):
    base = create_base()
    plan = create_plan_in(base, "reviewed")
    _move_base(base, "barred")
    resp = client.post(f"/api/v1/plans/{plan.id}/file", headers=admin_headers)
    assert_problem(resp, 422, "base_not_active")
    assert _status(plan.id) == "reviewed"


def test_a_rectifying_base_still_files_its_plan(
    client, create_base_in, base_headers, dept_headers, admin_headers
):
    base = create_base_in("rectifying")
    headers = base_headers(base)
    resp = client.post(f"/api/v1/bases/{base.id}/plans", json=plan_payload(), headers=headers)
    assert resp.status_code == 201, resp.json
    plan_id = resp.json["id"]
    assert client.post(f"/api/v1/plans/{plan_id}/submit", headers=headers).status_code == 200
    review = {"approve": True, "comment": "同意"}
    resp = client.post(f"/api/v1/plans/{plan_id}/review", json=review, headers=dept_headers())
    assert resp.status_code == 200
    resp = client.post(f"/api/v1/plans/{plan_id}/file", headers=admin_headers)
    assert resp.status_code == 200 and resp.json["status"] == "filed"


def test_the_plan_page_of_a_revoked_base_shows_the_refusal(
    client, create_base, make_account, login
):
    base = create_base()
    make_account("base", username="jiadi", base_id=base.id)
    _move_base(base, "revoked")
    login(client, "jiadi")
    token = csrf_token_from(client.get("/plans").get_data(as_text=True))
    form = {
        "csrf_token": token,
        "rows": "1",
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
    assert resp.status_code == 422
    assert "不能报送年度培训计划" in resp.get_data(as_text=True)
    assert _count(Plan) == 0
