"""A filed plan is never edited: a change is a new version, filed over the old one (第十九条)."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from jxjd.audit.services import events_for
from jxjd.extensions import db
from jxjd.plans import services
from jxjd.plans.models import Plan
from tests.conftest import assert_problem
from tests.fixtures.plans import general_item_payload, item_payload, session_payload


def _post_session(client, base, item, headers, **overrides):
    return client.post(
        f"/api/v1/bases/{base.id}/sessions",
        json=session_payload(item, **overrides),
        headers=headers,
    )


def test_new_plan_for_a_filed_year_is_version_two(
    client, create_base, create_filed_plan, base_headers
):
    base = create_base()
    create_filed_plan(base)
    resp = client.post(
        f"/api/v1/bases/{base.id}/plans",
        json={"year": 2027, "items": [item_payload(), general_item_payload()]},
        headers=base_headers(base),
    )
    assert resp.status_code == 201
    assert (resp.json["version"], resp.json["status"]) == (2, "draft")


@pytest.mark.parametrize("status", ["draft", "submitted", "reviewed", "returned"])
def test_second_open_version_for_a_year_is_a_conflict(
    client, create_base, create_plan_in, base_headers, status
):
    base = create_base()
    create_plan_in(base, status)
    resp = client.post(
        f"/api/v1/bases/{base.id}/plans",
        json={"year": 2027, "items": [item_payload()]},
        headers=base_headers(base),
    )
    assert_problem(resp, 409, "plan_in_progress")
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Plan)) == 1


def test_an_open_version_for_another_year_is_no_conflict(
    client, create_base, create_plan_in, base_headers
):
    base = create_base()
    create_plan_in(base, "draft", year=2027)
    resp = client.post(
        f"/api/v1/bases/{base.id}/plans",
        json={"year": 2028, "items": [item_payload()]},
        headers=base_headers(base),
    )
    assert resp.status_code == 201


def test_another_base_has_its_own_versions(client, create_base, create_plan_in, base_headers):
    base, other = create_base(), create_base()
    create_plan_in(base, "draft")
    resp = client.post(
        f"/api/v1/bases/{other.id}/plans",
        json={"year": 2027, "items": [item_payload()]},
        headers=base_headers(other),
    )
    assert (resp.status_code, resp.json["version"]) == (201, 1)


def test_sessions_follow_the_filed_version_until_the_next_is_filed(
    client, create_base, create_filed_plan, base_headers, dept_headers, admin_headers
):
    base = create_base()
    headers = base_headers(base)
    v1 = create_filed_plan(base)
    v1_item = v1.items[0]
    v2_id = client.post(
        f"/api/v1/bases/{base.id}/plans",
        json={"year": 2027, "items": [item_payload(sessions=6), general_item_payload()]},
        headers=headers,
    ).json["id"]
    v2_item_id = db.session.get(Plan, v2_id).items[0].id

    # While version 2 is in progress, version 1 is the plan sessions are checked against.
    assert client.post(f"/api/v1/plans/{v2_id}/submit", headers=headers).status_code == 200
    assert _post_session(client, base, v1_item, headers).status_code == 201
    body = assert_problem(
        _post_session(client, base, v1_item, headers, plan_item_id=v2_item_id), 422, "not_in_plan"
    )
    assert [e["code"] for e in body["errors"]] == ["not_in_plan"]
    resp = client.post(
        f"/api/v1/plans/{v2_id}/review",
        json={"approve": True, "comment": ""},
        headers=dept_headers(),
    )
    assert resp.json["status"] == "reviewed"
    assert _post_session(client, base, v1_item, headers).status_code == 201

    # Once version 2 is filed, version 1 is superseded and its items no longer take sessions.
    filed = client.post(f"/api/v1/plans/{v2_id}/file", headers=admin_headers)
    assert (filed.json["status"], filed.json["version"], filed.json["current"]) == (
        "filed",
        2,
        True,
    )
    old = client.get(f"/api/v1/plans/{v1.id}", headers=headers).json
    assert old["status"] == "filed"
    assert old["superseded_at"] is not None and old["current"] is False
    body = assert_problem(_post_session(client, base, v1_item, headers), 422, "not_in_plan")
    assert [e["code"] for e in body["errors"]] == ["not_in_plan"]
    resp = _post_session(client, base, v1_item, headers, plan_item_id=v2_item_id)
    assert resp.status_code == 201
    assert resp.json["plan_item_id"] == v2_item_id


def test_filing_a_third_version_supersedes_only_the_current_one(create_base, create_filed_plan):
    base = create_base()
    v1 = create_filed_plan(base)
    v2 = create_filed_plan(base)
    db.session.expire_all()
    superseded_at = db.session.get(Plan, v1.id).superseded_at
    assert superseded_at is not None
    v3 = create_filed_plan(base)
    db.session.expire_all()
    plans = {p.version: p for p in services.list_plans(base, 2027)}
    assert [plans[n].id for n in (1, 2, 3)] == [v1.id, v2.id, v3.id]
    assert plans[1].superseded_at == superseded_at  # untouched by the later filing
    assert plans[2].superseded_at is not None
    assert plans[3].superseded_at is None
    assert services.current_filed_plan(base.id, 2027).id == v3.id
    assert events_for("plan", v3.id)[-1].summary["superseded"] == v2.id
    assert events_for("plan", v1.id)[-1].summary["superseded"] is None


def test_current_filed_plan_is_per_year(create_base, create_filed_plan):
    base = create_base()
    p27 = create_filed_plan(base, year=2027)
    p28 = create_filed_plan(base, year=2028)
    assert services.current_filed_plan(base.id, 2027).id == p27.id
    assert services.current_filed_plan(base.id, 2028).id == p28.id
    assert services.current_filed_plan(base.id, 2029) is None
