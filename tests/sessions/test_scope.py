"""Who may create and read sessions (CONTRACT §1 roles, §5)."""

from __future__ import annotations

import sqlalchemy as sa

from jxjd.extensions import db
from jxjd.sessions.models import TrainingSession
from tests.conftest import assert_problem
from tests.fixtures.plans import session_payload


def _count_sessions() -> int:
    return db.session.scalar(sa.select(sa.func.count()).select_from(TrainingSession))


def test_a_base_cannot_create_sessions_for_another_base(
    client, create_base, create_filed_plan, base_headers
):
    base, other = create_base(), create_base()
    item = create_filed_plan(base).items[0]
    resp = client.post(
        f"/api/v1/bases/{base.id}/sessions", json=session_payload(item), headers=base_headers(other)
    )
    assert_problem(resp, 403, "forbidden")
    assert _count_sessions() == 0


def test_a_department_cannot_create_sessions(client, create_base, create_filed_plan, dept_headers):
    base = create_base()
    item = create_filed_plan(base).items[0]
    resp = client.post(
        f"/api/v1/bases/{base.id}/sessions", json=session_payload(item), headers=dept_headers()
    )
    assert_problem(resp, 403, "forbidden")
    assert _count_sessions() == 0


def test_sessions_need_a_token(client, create_base, create_filed_plan):
    base = create_base()
    item = create_filed_plan(base).items[0]
    resp = client.post(f"/api/v1/bases/{base.id}/sessions", json=session_payload(item))
    assert_problem(resp, 401, "unauthorized")


def test_session_for_an_unknown_base_is_not_found(client, admin_headers):
    resp = client.post(
        "/api/v1/bases/999/sessions",
        json={
            "title": "x",
            "specialty": "电子信息",
            "category": "professional",
            "level": "senior",
            "audience": "public",
            "form": "online",
            "start_date": "2027-03-01",
            "end_date": "2027-03-01",
            "hours": 8,
        },
        headers=admin_headers,
    )
    assert_problem(resp, 404, "not_found")


def test_missing_fields_are_listed(client, create_base, base_headers):
    base = create_base()
    resp = client.post(f"/api/v1/bases/{base.id}/sessions", json={}, headers=base_headers(base))
    body = assert_problem(resp, 422, "required")
    assert {e["field"] for e in body["errors"]} >= {
        "title",
        "specialty",
        "category",
        "level",
        "audience",
        "form",
        "start_date",
        "end_date",
        "hours",
    }


def test_reading_a_session_follows_the_base_scope(
    client,
    create_base,
    create_filed_plan,
    create_session,
    base_headers,
    dept_headers,
    admin_headers,
):
    base, other = create_base(), create_base()
    session = create_session(base, create_filed_plan(base).items[0])
    url = f"/api/v1/sessions/{session.id}"
    assert client.get(url, headers=base_headers(base)).status_code == 200
    assert client.get(url, headers=dept_headers()).status_code == 200
    assert client.get(url, headers=admin_headers).status_code == 200
    assert_problem(client.get(url, headers=base_headers(other)), 403, "forbidden")
    assert_problem(client.get(url, headers=dept_headers("湖南省卫生健康委员会")), 403, "forbidden")


def test_unknown_session_is_not_found(client, admin_headers):
    assert_problem(client.get("/api/v1/sessions/999", headers=admin_headers), 404, "not_found")


def test_listing_sessions_filters_by_year(
    client, create_base, create_filed_plan, create_session, base_headers
):
    base = create_base()
    s27 = create_session(base, create_filed_plan(base, year=2027).items[0])
    s28 = create_session(base, create_filed_plan(base, year=2028).items[0])
    headers = base_headers(base)
    every = client.get(f"/api/v1/bases/{base.id}/sessions", headers=headers).json["sessions"]
    assert [s["id"] for s in every] == [s28.id, s27.id]  # latest first
    only = client.get(f"/api/v1/bases/{base.id}/sessions?year=2027", headers=headers).json
    assert [s["id"] for s in only["sessions"]] == [s27.id]
    none = client.get(f"/api/v1/bases/{base.id}/sessions?year=2030", headers=headers).json
    assert none["sessions"] == []


def test_another_base_cannot_list_sessions(client, create_base, base_headers):
    base, other = create_base(), create_base()
    resp = client.get(f"/api/v1/bases/{base.id}/sessions", headers=base_headers(other))
    assert_problem(resp, 403, "forbidden")
