"""Departments as data (ISSUE11 item 7): the table, the API, reassignments and review history."""

from __future__ import annotations

import sqlalchemy as sa

from jxjd.applications.models import Application
from jxjd.audit.models import AuditEvent
from jxjd.bases.models import Base
from jxjd.departments.models import Department
from jxjd.extensions import db
from tests.conftest import assert_problem
from tests.fixtures.bases import base_payload


def _count(model) -> int:
    return db.session.scalar(sa.select(sa.func.count()).select_from(model))


def test_a_base_is_registered_under_a_department_by_code_or_exact_name(client, admin_headers):
    by_code = client.post(
        "/api/v1/bases", json=base_payload(department="HN-Health"), headers=admin_headers
    )
    assert by_code.status_code == 201, by_code.get_json()
    assert by_code.get_json()["department"] == "湖南省卫生健康委员会"
    assert by_code.get_json()["department_code"] == "hn-health"
    by_name = client.post(
        "/api/v1/bases", json=base_payload(department="湖南省教育厅"), headers=admin_headers
    )
    assert by_name.get_json()["department_code"] == "hn-edu"


def test_an_unknown_department_is_refused_and_nothing_is_stored(client, admin_headers):
    before = _count(Base)
    resp = client.post(
        "/api/v1/bases", json=base_payload(department="省教育厅"), headers=admin_headers
    )
    body = assert_problem(resp, 422, "unknown_department")
    assert "省教育厅" in body["errors"][0]["message"]
    assert _count(Base) == before


def test_an_application_naming_a_short_form_is_refused_not_stuck(
    client, new_applicant, application_payload_for
):
    headers, code = new_applicant()
    resp = client.post(
        "/api/v1/applications",
        json=application_payload_for(code, department="省教育厅"),
        headers=headers,
    )
    assert_problem(resp, 422, "unknown_department")
    assert _count(Application) == 0
    ok = client.post(
        "/api/v1/applications",
        json=application_payload_for(code, department="hn-edu"),
        headers=headers,
    )
    assert ok.status_code == 201
    assert ok.get_json()["department"] == "湖南省教育厅"


def test_a_dept_credential_for_an_unknown_department_is_refused(client, admin_headers):
    resp = client.post(
        "/api/v1/tokens",
        json={"role": "dept", "name": "某厅", "department": "某厅"},
        headers=admin_headers,
    )
    assert_problem(resp, 422, "unknown_department")
    ok = client.post(
        "/api/v1/tokens",
        json={"role": "dept", "name": "教育厅", "department": "hn-edu"},
        headers=admin_headers,
    )
    assert ok.status_code == 201 and ok.get_json()["department"] == "湖南省教育厅"


def test_the_directory_of_departments_is_public(client):
    resp = client.get("/api/v1/departments")
    assert resp.status_code == 200
    names = {d["name"] for d in resp.get_json()["departments"]}
    assert {"湖南省教育厅", "长沙市人力资源和社会保障局"} <= names


def test_admin_adds_renames_and_retires_a_department(client, admin_headers, make_headers):
    created = client.post(
        "/api/v1/departments",
        json={"code": "hn-forest", "name": "湖南省林业局"},
        headers=admin_headers,
    )
    assert created.status_code == 201
    assert created.get_json() == {**created.get_json(), "code": "hn-forest", "active": True}
    assert_problem(
        client.post(
            "/api/v1/departments",
            json={"code": "x-2", "name": "湖南省林业局"},
            headers=admin_headers,
        ),
        409,
        "duplicate_department",
    )
    assert_problem(
        client.post(
            "/api/v1/departments", json={"code": "林业", "name": "林业"}, headers=admin_headers
        ),
        422,
        "invalid_department_code",
    )
    dept = make_headers("dept", department="hn-forest")
    base = client.post(
        "/api/v1/bases", json=base_payload(department="hn-forest"), headers=admin_headers
    )
    renamed = client.patch(
        "/api/v1/departments/hn-forest", json={"name": "湖南省林业局（改）"}, headers=admin_headers
    )
    assert renamed.get_json()["name"] == "湖南省林业局（改）"
    # The department's credential follows the rename: it still sees its base.
    assert client.get(f"/api/v1/bases/{base.get_json()['id']}", headers=dept).status_code == 200
    client.patch("/api/v1/departments/hn-forest", json={"active": False}, headers=admin_headers)
    assert_problem(
        client.post(
            "/api/v1/bases", json=base_payload(department="hn-forest"), headers=admin_headers
        ),
        422,
        "inactive_department",
    )
    actions = db.session.scalars(
        sa.select(AuditEvent.action).where(AuditEvent.target_type == "department")
    )
    assert list(actions) == ["department.create", "department.update", "department.update"]


def test_only_admin_manages_departments(client, make_headers):
    dept = make_headers("dept", department="湖南省教育厅")
    resp = client.post("/api/v1/departments", json={"code": "x-1", "name": "某局"}, headers=dept)
    assert_problem(resp, 403)
    assert_problem(
        client.patch("/api/v1/departments/hn-edu", json={"active": False}, headers=dept), 403
    )
    assert db.session.scalar(sa.select(Department.active).where(Department.code == "hn-edu"))


def test_admin_reassigns_a_base_and_the_departments_scopes_follow(
    client, admin_headers, create_base, dept_headers
):
    base = create_base(department="湖南省教育厅")
    edu, health = dept_headers("湖南省教育厅"), dept_headers("湖南省卫生健康委员会")
    assert client.get(f"/api/v1/bases/{base.id}", headers=health).status_code == 403
    assert_problem(
        client.post(
            f"/api/v1/bases/{base.id}/department",
            json={"department": "hn-health", "reason": ""},
            headers=admin_headers,
        ),
        422,
    )
    assert_problem(
        client.post(
            f"/api/v1/bases/{base.id}/department",
            json={"department": "hn-edu", "reason": "核对"},
            headers=admin_headers,
        ),
        409,
        "same_department",
    )
    assert_problem(
        client.post(
            f"/api/v1/bases/{base.id}/department",
            json={"department": "hn-health", "reason": "x"},
            headers=edu,
        ),
        403,
    )
    resp = client.post(
        f"/api/v1/bases/{base.id}/department",
        json={"department": "湖南省卫生健康委员会", "reason": "主管关系调整"},
        headers=admin_headers,
    )
    assert resp.status_code == 200 and resp.get_json()["department"] == "湖南省卫生健康委员会"
    assert client.get(f"/api/v1/bases/{base.id}", headers=health).status_code == 200
    assert client.get(f"/api/v1/bases/{base.id}", headers=edu).status_code == 403
    event = db.session.scalars(
        sa.select(AuditEvent).where(AuditEvent.action == "base.department")
    ).one()
    assert event.summary["from_department"] == "湖南省教育厅"
    assert event.summary["reason"] == "主管关系调整"


def test_admin_reassigns_a_stuck_application_to_the_department_that_can_recommend_it(
    client, admin_headers, create_application, dept_headers
):
    app = create_application("submitted", department="湖南省住房和城乡建设厅")
    edu = dept_headers("湖南省教育厅")
    assert (
        client.post(
            f"/api/v1/applications/{app.id}/recommend", json={"opinion": "同意"}, headers=edu
        ).status_code
        == 403
    )
    resp = client.post(
        f"/api/v1/applications/{app.id}/department",
        json={"department": "hn-edu", "reason": "申报时选错主管部门"},
        headers=admin_headers,
    )
    assert resp.status_code == 200 and resp.get_json()["department_code"] == "hn-edu"
    assert resp.get_json()["status"] == "submitted"
    ok = client.post(
        f"/api/v1/applications/{app.id}/recommend", json={"opinion": "同意"}, headers=edu
    )
    assert ok.status_code == 200
    detail = client.get(f"/api/v1/applications/{app.id}", headers=admin_headers).get_json()
    assert detail["department"] == "湖南省教育厅"


def test_a_department_sees_the_history_of_what_it_reviewed(
    client, create_base, create_plan_in, create_application, dept_headers, admin_headers
):
    mine = create_base(department="湖南省教育厅")
    other = create_base(department="湖南省卫生健康委员会")
    create_plan_in(mine, "returned")
    create_plan_in(other, "reviewed")
    create_application("recommended", unit_name="推荐过的学院", department="湖南省教育厅")
    history = client.get(
        "/api/v1/departments/history", headers=dept_headers("湖南省教育厅")
    ).get_json()
    assert history["department"]["code"] == "hn-edu"
    assert [(p["base_id"], p["approved"], p["comment"]) for p in history["plans"]] == [
        (mine.id, False, "请补充")
    ]
    assert [r["unit_name"] for r in history["recommendations"]] == ["推荐过的学院"]
    # Admin names the department it looks at; an unknown one is a 404.
    theirs = client.get(
        "/api/v1/departments/history?department=hn-health", headers=admin_headers
    ).get_json()
    assert [p["base_id"] for p in theirs["plans"]] == [other.id]
    assert_problem(
        client.get("/api/v1/departments/history?department=nope", headers=admin_headers), 404
    )


def test_the_catalogue_is_a_table(app):
    assert (
        db.session.scalar(sa.select(Department.name).where(Department.code == "hn-edu"))
        == "湖南省教育厅"
    )
