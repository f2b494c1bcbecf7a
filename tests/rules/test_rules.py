"""GET/PUT /api/v1/rules/{year}: yearly numbers are data with defaults, and sessions obey them."""

from __future__ import annotations

import pytest

from jxjd.audit.services import events_for
from jxjd.rules.services import rules_for
from tests.conftest import assert_problem
from tests.fixtures.plans import session_payload

DEFAULTS = {
    "year": 2027,
    "required_total": 90,
    "required_general": 30,
    "required_professional": 60,
    "daily_hour_cap": 8,
    "min_trainees": 1000,
    "span_senior": 5,
    "span_intermediate": 4,
    "span_junior": 3,
    "overridden": False,
}


def test_a_year_without_an_override_has_the_defaults(client, make_headers):
    resp = client.get("/api/v1/rules/2027", headers=make_headers("employer"))
    assert resp.status_code == 200
    assert resp.json == DEFAULTS


def test_reading_rules_needs_a_token(client):
    assert_problem(client.get("/api/v1/rules/2027"), 401)


def test_admin_overrides_one_value_for_one_year(client, admin_headers):
    resp = client.put("/api/v1/rules/2027", json={"daily_hour_cap": 10}, headers=admin_headers)
    assert resp.status_code == 200
    assert resp.json == DEFAULTS | {"daily_hour_cap": 10, "overridden": True}
    assert client.get("/api/v1/rules/2027", headers=admin_headers).json == resp.json
    assert client.get("/api/v1/rules/2028", headers=admin_headers).json["daily_hour_cap"] == 8


def test_a_later_override_keeps_the_earlier_values(client, admin_headers):
    client.put("/api/v1/rules/2027", json={"daily_hour_cap": 7.5}, headers=admin_headers)
    resp = client.put("/api/v1/rules/2027", json={"min_trainees": 5}, headers=admin_headers)
    assert (resp.json["daily_hour_cap"], resp.json["min_trainees"]) == (7.5, 5)
    assert rules_for(2027).daily_hour_cap == 7.5


def test_setting_rules_is_audited(client, make_headers):
    headers = make_headers("admin", name="专技处")
    client.put("/api/v1/rules/2027", json={"min_trainees": 800}, headers=headers)
    (event,) = events_for("year_rules", 2027)
    assert (event.action, event.actor_name, event.summary) == (
        "rules.set",
        "专技处",
        {"min_trainees": "800"},
    )


@pytest.mark.parametrize("role", ["dept", "base"])
def test_only_admin_sets_rules(client, make_headers, create_base, role):
    base = create_base()
    scope = {"department": base.department} if role == "dept" else {"base_id": base.id}
    resp = client.put(
        "/api/v1/rules/2027", json={"daily_hour_cap": 10}, headers=make_headers(role, **scope)
    )
    assert_problem(resp, 403, "forbidden")
    assert rules_for(2027).overridden is False


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"daily_hour_cap": 0}, "daily_hour_cap"),
        ({"daily_hour_cap": 25}, "daily_hour_cap"),
        ({"min_trainees": -1}, "min_trainees"),
        ({"span_senior": 0}, "span_senior"),
        ({"required_total": "很多"}, "required_total"),
    ],
)
def test_impossible_rules_are_refused(client, admin_headers, body, field):
    resp = client.put("/api/v1/rules/2027", json=body, headers=admin_headers)
    problem = assert_problem(resp, 422)
    assert [e["field"] for e in problem["errors"]] == [field]
    assert rules_for(2027).overridden is False


def test_the_daily_cap_for_sessions_is_the_years_rule(
    client, create_base, create_filed_plan, base_headers, admin_headers
):
    base = create_base()
    item = create_filed_plan(base).items[0]
    headers = base_headers(base)

    def post(hours):
        return client.post(
            f"/api/v1/bases/{base.id}/sessions",
            json=session_payload(item, hours=hours),  # three days
            headers=headers,
        )

    assert_problem(post(25), 422, "invalid_hours")
    resp = client.put("/api/v1/rules/2027", json={"daily_hour_cap": 10}, headers=admin_headers)
    assert resp.status_code == 200
    assert post(25).status_code == 201
    assert post(30).status_code == 201
    body = assert_problem(post(30.5), 422, "invalid_hours")
    assert "10" in body["errors"][0]["message"]


def test_the_cap_of_another_year_does_not_apply(
    client, create_base, create_filed_plan, base_headers, admin_headers
):
    base = create_base()
    item = create_filed_plan(base).items[0]
    client.put("/api/v1/rules/2028", json={"daily_hour_cap": 10}, headers=admin_headers)
    resp = client.post(
        f"/api/v1/bases/{base.id}/sessions",
        json=session_payload(item, hours=25),
        headers=base_headers(base),
    )
    assert_problem(resp, 422, "invalid_hours")


def test_an_empty_override_is_refused_and_stores_nothing(client, admin_headers):
    resp = client.put("/api/v1/rules/2027", json={}, headers=admin_headers)
    assert_problem(resp, 422, "empty_rules")
    assert client.get("/api/v1/rules/2027", headers=admin_headers).json["overridden"] is False
