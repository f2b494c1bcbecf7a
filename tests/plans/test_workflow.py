"""The plan state machine (CONTRACT §4, 第十九条): every move, who may make it, late flag, audit."""

from __future__ import annotations

from datetime import date

import pytest

from jxjd.audit.services import events_for
from jxjd.extensions import db
from jxjd.plans import services
from jxjd.plans.models import Plan
from tests.conftest import assert_problem
from tests.fixtures.plans import base_actor, item_payload

APPROVE = {"approve": True, "comment": "同意"}


def _status(plan_id: int) -> str:
    db.session.expire_all()
    return db.session.get(Plan, plan_id).status


# ---- submit --------------------------------------------------------------------------------


@pytest.mark.parametrize("status", ["draft", "returned"])
def test_base_submits_a_draft_or_returned_plan(
    client, create_base, create_plan_in, base_headers, status
):
    base = create_base()
    plan = create_plan_in(base, status)
    resp = client.post(f"/api/v1/plans/{plan.id}/submit", headers=base_headers(base))
    assert resp.status_code == 200
    assert resp.json["status"] == "submitted"
    assert resp.json["submitted_at"].endswith("+08:00")


@pytest.mark.parametrize("status", ["submitted", "reviewed", "filed"])
def test_submitting_from_a_later_status_is_an_invalid_transition(
    client, create_base, create_plan_in, base_headers, status
):
    base = create_base()
    plan = create_plan_in(base, status)
    resp = client.post(f"/api/v1/plans/{plan.id}/submit", headers=base_headers(base))
    assert_problem(resp, 409, "invalid_transition")
    assert _status(plan.id) == status


def test_only_the_base_itself_submits(
    client, create_base, create_plan_in, base_headers, dept_headers, admin_headers
):
    base, other = create_base(), create_base()
    plan = create_plan_in(base, "draft")
    for headers in (admin_headers, dept_headers(), base_headers(other)):
        resp = client.post(f"/api/v1/plans/{plan.id}/submit", headers=headers)
        assert_problem(resp, 403, "forbidden")
    assert _status(plan.id) == "draft"


def test_an_empty_plan_cannot_be_submitted(client, create_base, create_plan_in, base_headers):
    base = create_base()
    plan = create_plan_in(base, "draft", items=[])
    resp = client.post(f"/api/v1/plans/{plan.id}/submit", headers=base_headers(base))
    body = assert_problem(resp, 422, "empty_plan")
    assert body["errors"][0]["field"] == "items"
    assert _status(plan.id) == "draft"


@pytest.mark.parametrize(
    ("today", "late"),
    [
        (date(2026, 11, 30), False),
        (date(2026, 12, 1), False),
        (date(2026, 12, 2), True),
        (date(2027, 3, 1), True),
        (date(2025, 6, 1), False),
    ],
)
def test_late_flag_turns_on_after_1_december_of_the_year_before(
    create_base, create_plan_in, today, late
):
    base = create_base()
    plan = create_plan_in(base, "draft", year=2027)
    services.submit_plan(base_actor(base), plan, today=today)
    db.session.commit()
    assert plan.status == "submitted"
    assert plan.late is late


def test_a_late_plan_is_still_accepted_and_says_so(client, create_base, base_headers):
    # Today is after 1 December of the year before this year's plan: late, but accepted.
    from jxjd.common.time import local_today

    base = create_base()
    headers = base_headers(base)
    year = local_today().year
    created = client.post(
        f"/api/v1/bases/{base.id}/plans",
        json={"year": year, "items": [item_payload()]},
        headers=headers,
    ).json
    resp = client.post(f"/api/v1/plans/{created['id']}/submit", headers=headers)
    assert resp.status_code == 200
    assert (resp.json["status"], resp.json["late"]) == ("submitted", True)


# ---- review --------------------------------------------------------------------------------


def test_the_bases_department_approves_a_submitted_plan(
    client, create_base, create_plan_in, make_headers
):
    base = create_base()
    plan = create_plan_in(base, "submitted")
    headers = make_headers("dept", name="教育厅审核员", department="湖南省教育厅")
    resp = client.post(f"/api/v1/plans/{plan.id}/review", json=APPROVE, headers=headers)
    assert resp.status_code == 200
    body = resp.json
    assert (body["status"], body["review_comment"], body["reviewed_by"]) == (
        "reviewed",
        "同意",
        "教育厅审核员",
    )


def test_admin_may_review_a_plan(client, create_base, create_plan_in, admin_headers):
    base = create_base()
    plan = create_plan_in(base, "submitted")
    resp = client.post(f"/api/v1/plans/{plan.id}/review", json=APPROVE, headers=admin_headers)
    assert resp.json["status"] == "reviewed"


def test_returning_a_plan_keeps_the_comment(client, create_base, create_plan_in, dept_headers):
    base = create_base()
    plan = create_plan_in(base, "submitted")
    resp = client.post(
        f"/api/v1/plans/{plan.id}/review",
        json={"approve": False, "comment": "计划人数偏少，请补充"},
        headers=dept_headers(),
    )
    assert resp.status_code == 200
    assert (resp.json["status"], resp.json["review_comment"]) == (
        "returned",
        "计划人数偏少，请补充",
    )


@pytest.mark.parametrize("body", [{"approve": False}, {"approve": False, "comment": "   "}])
def test_returning_needs_a_comment(client, create_base, create_plan_in, dept_headers, body):
    base = create_base()
    plan = create_plan_in(base, "submitted")
    resp = client.post(f"/api/v1/plans/{plan.id}/review", json=body, headers=dept_headers())
    problem = assert_problem(resp, 422, "missing_comment")
    assert problem["errors"][0]["field"] == "comment"
    assert _status(plan.id) == "submitted"


def test_review_needs_the_approve_flag(client, create_base, create_plan_in, dept_headers):
    base = create_base()
    plan = create_plan_in(base, "submitted")
    resp = client.post(
        f"/api/v1/plans/{plan.id}/review", json={"comment": "同意"}, headers=dept_headers()
    )
    assert_problem(resp, 422, "required")


@pytest.mark.parametrize("status", ["draft", "returned", "reviewed", "filed"])
@pytest.mark.parametrize("approve", [True, False])
def test_review_only_from_submitted(
    client, create_base, create_plan_in, dept_headers, status, approve
):
    base = create_base()
    plan = create_plan_in(base, status)
    resp = client.post(
        f"/api/v1/plans/{plan.id}/review",
        json={"approve": approve, "comment": "意见"},
        headers=dept_headers(),
    )
    assert_problem(resp, 409, "invalid_transition")
    assert _status(plan.id) == status


def test_another_department_cannot_review(client, create_base, create_plan_in, dept_headers):
    base = create_base()
    plan = create_plan_in(base, "submitted")
    resp = client.post(
        f"/api/v1/plans/{plan.id}/review",
        json=APPROVE,
        headers=dept_headers("湖南省卫生健康委员会"),
    )
    assert_problem(resp, 403, "forbidden")
    assert _status(plan.id) == "submitted"


def test_a_base_cannot_review_its_own_plan(client, create_base, create_plan_in, base_headers):
    base = create_base()
    plan = create_plan_in(base, "submitted")
    resp = client.post(f"/api/v1/plans/{plan.id}/review", json=APPROVE, headers=base_headers(base))
    assert_problem(resp, 403, "forbidden")
    assert _status(plan.id) == "submitted"


# ---- file ----------------------------------------------------------------------------------


def test_admin_files_a_reviewed_plan(client, create_base, create_plan_in, admin_headers):
    base = create_base()
    plan = create_plan_in(base, "reviewed")
    resp = client.post(f"/api/v1/plans/{plan.id}/file", headers=admin_headers)
    assert resp.status_code == 200
    body = resp.json
    assert (body["status"], body["current"], body["superseded_at"]) == ("filed", True, None)
    assert body["filed_at"].endswith("+08:00")


@pytest.mark.parametrize("status", ["draft", "submitted", "returned", "filed"])
def test_filing_only_from_reviewed(client, create_base, create_plan_in, admin_headers, status):
    base = create_base()
    plan = create_plan_in(base, status)
    resp = client.post(f"/api/v1/plans/{plan.id}/file", headers=admin_headers)
    assert_problem(resp, 409, "invalid_transition")
    assert _status(plan.id) == status


def test_only_admin_files(client, create_base, create_plan_in, base_headers, dept_headers):
    base = create_base()
    plan = create_plan_in(base, "reviewed")
    for headers in (dept_headers(), base_headers(base)):
        assert_problem(client.post(f"/api/v1/plans/{plan.id}/file", headers=headers), 403)
    assert _status(plan.id) == "reviewed"


def test_unknown_plan_moves_are_not_found(client, admin_headers):
    assert_problem(client.post("/api/v1/plans/999/file", headers=admin_headers), 404, "not_found")
    resp = client.post("/api/v1/plans/999/review", json=APPROVE, headers=admin_headers)
    assert_problem(resp, 404, "not_found")


# ---- the whole path and its audit trail ---------------------------------------------------


def test_every_move_writes_an_audit_event(
    client, create_base, base_headers, dept_headers, admin_headers
):
    base = create_base()
    headers = base_headers(base)
    plan_id = client.post(
        f"/api/v1/bases/{base.id}/plans",
        json={"year": 2027, "items": [item_payload()]},
        headers=headers,
    ).json["id"]
    client.put(f"/api/v1/plans/{plan_id}", json={"items": [item_payload()]}, headers=headers)
    client.post(f"/api/v1/plans/{plan_id}/submit", headers=headers)
    client.post(
        f"/api/v1/plans/{plan_id}/review",
        json={"approve": False, "comment": "请补充"},
        headers=dept_headers(),
    )
    client.post(f"/api/v1/plans/{plan_id}/submit", headers=headers)
    client.post(f"/api/v1/plans/{plan_id}/review", json=APPROVE, headers=dept_headers())
    resp = client.post(f"/api/v1/plans/{plan_id}/file", headers=admin_headers)
    assert resp.json["status"] == "filed"
    events = events_for("plan", plan_id)
    assert [(e.action, e.actor_role) for e in events] == [
        ("plan.create", "base"),
        ("plan.update", "base"),
        ("plan.submit", "base"),
        ("plan.review", "dept"),
        ("plan.submit", "base"),
        ("plan.review", "dept"),
        ("plan.file", "admin"),
    ]
    assert events[3].summary["approve"] is False
    assert events[3].summary["comment"] == "请补充"


def test_a_refused_move_writes_no_audit_event(client, create_base, create_plan_in, admin_headers):
    base = create_base()
    plan = create_plan_in(base, "draft")
    before = len(events_for("plan", plan.id))
    assert_problem(client.post(f"/api/v1/plans/{plan.id}/file", headers=admin_headers), 409)
    assert len(events_for("plan", plan.id)) == before
