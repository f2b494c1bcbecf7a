"""POST /api/v1/bases/{id}/plans and PUT /api/v1/plans/{id} (CONTRACT §4): shape and scope checks."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from jxjd.extensions import db
from jxjd.plans.models import Plan, PlanItem
from tests.conftest import assert_problem
from tests.fixtures.plans import general_item_payload, item_payload, plan_payload


def _count(model) -> int:
    return db.session.scalar(sa.select(sa.func.count()).select_from(model))


def test_created_plan_has_the_contract_shape(client, create_base, base_headers):
    base = create_base()
    items = [item_payload(), general_item_payload()]
    resp = client.post(
        f"/api/v1/bases/{base.id}/plans", json=plan_payload(items=items), headers=base_headers(base)
    )
    assert resp.status_code == 201
    body = resp.json
    assert isinstance(body["id"], int)
    assert (body["year"], body["status"], body["late"]) == (2027, "draft", False)
    assert len(body["items"]) == 2
    for sent, got in zip(items, body["items"], strict=True):
        assert isinstance(got["id"], int)
        assert {k: got[k] for k in sent} == sent


def test_admin_may_create_a_plan_for_a_base(client, create_base, admin_headers):
    base = create_base()
    resp = client.post(f"/api/v1/bases/{base.id}/plans", json=plan_payload(), headers=admin_headers)
    assert resp.status_code == 201


def test_created_plan_can_be_read_back_and_listed(client, create_base, base_headers):
    base = create_base()
    headers = base_headers(base)
    created = client.post(
        f"/api/v1/bases/{base.id}/plans", json=plan_payload(), headers=headers
    ).json
    fetched = client.get(f"/api/v1/plans/{created['id']}", headers=headers)
    assert fetched.status_code == 200
    assert fetched.json == created
    listed = client.get(f"/api/v1/bases/{base.id}/plans", headers=headers)
    assert [p["id"] for p in listed.json["plans"]] == [created["id"]]


def test_hours_keep_one_decimal(client, create_base, base_headers):
    base = create_base()
    resp = client.post(
        f"/api/v1/bases/{base.id}/plans",
        json=plan_payload(items=[item_payload(hours=1.5)]),
        headers=base_headers(base),
    )
    assert resp.json["items"][0]["hours"] == 1.5


@pytest.mark.parametrize(
    ("item", "code", "field"),
    [
        (item_payload(specialty="土木建筑"), "specialty_not_recognized", "items[0].specialty"),
        (item_payload(level="junior"), "level_not_recognized", "items[0].level"),
        (
            general_item_payload(audience="internal"),
            "audience_not_recognized",
            "items[0].audience",
        ),
    ],
)
def test_item_outside_the_recognized_scope_is_refused(
    client, create_base, base_headers, item, code, field
):
    base = create_base()
    resp = client.post(
        f"/api/v1/bases/{base.id}/plans",
        json=plan_payload(items=[item]),
        headers=base_headers(base),
    )
    body = assert_problem(resp, 422, code)
    assert [(e["code"], e["field"]) for e in body["errors"]] == [(code, field)]
    assert body["errors"][0]["message"]
    assert _count(Plan) == 0


def test_one_error_per_offending_item_naming_the_item(client, create_base, base_headers):
    base = create_base()
    items = [
        item_payload(),
        item_payload(level="junior"),
        item_payload(specialty="机械制造"),
        general_item_payload(audience="internal"),
    ]
    resp = client.post(
        f"/api/v1/bases/{base.id}/plans", json=plan_payload(items=items), headers=base_headers(base)
    )
    body = assert_problem(resp, 422)
    assert [(e["code"], e["field"], e["row"]) for e in body["errors"]] == [
        ("level_not_recognized", "items[1].level", None),
        ("specialty_not_recognized", "items[2].specialty", None),
        ("audience_not_recognized", "items[3].audience", None),
    ]
    assert _count(Plan) == 0 and _count(PlanItem) == 0


@pytest.mark.parametrize(
    ("item", "code"),
    [
        (item_payload(level="expert"), "invalid_choice"),
        (item_payload(sessions=0), "out_of_range"),
        (item_payload(hours="abc"), "invalid_hours"),
        (item_payload(hours=0), "invalid_hours"),
        (item_payload(hours=-6), "invalid_hours"),
        (item_payload(hours=10000), "invalid_hours"),
        (item_payload(trainees=10**10), "out_of_range"),
    ],
)
def test_malformed_item_is_refused(client, create_base, base_headers, item, code):
    base = create_base()
    resp = client.post(
        f"/api/v1/bases/{base.id}/plans",
        json=plan_payload(items=[item]),
        headers=base_headers(base),
    )
    body = assert_problem(resp, 422, code)
    assert body["errors"][0]["field"].startswith("items[0].")
    assert _count(Plan) == 0


def test_missing_year_is_refused(client, create_base, base_headers):
    base = create_base()
    resp = client.post(
        f"/api/v1/bases/{base.id}/plans",
        json={"items": [item_payload()]},
        headers=base_headers(base),
    )
    body = assert_problem(resp, 422, "required")
    assert body["errors"][0]["field"] == "year"


def test_malformed_json_is_a_bad_request(client, create_base, base_headers):
    base = create_base()
    resp = client.post(
        f"/api/v1/bases/{base.id}/plans",
        data="{not json",
        content_type="application/json",
        headers=base_headers(base),
    )
    assert_problem(resp, 400, "bad_request")


def test_another_base_cannot_create_a_plan(client, create_base, base_headers):
    base, other = create_base(), create_base()
    resp = client.post(
        f"/api/v1/bases/{base.id}/plans", json=plan_payload(), headers=base_headers(other)
    )
    assert_problem(resp, 403, "forbidden")
    assert _count(Plan) == 0


def test_a_department_cannot_create_a_plan(client, create_base, dept_headers):
    base = create_base()
    resp = client.post(
        f"/api/v1/bases/{base.id}/plans", json=plan_payload(), headers=dept_headers()
    )
    assert_problem(resp, 403, "forbidden")


def test_unknown_base_is_not_found(client, admin_headers):
    resp = client.post("/api/v1/bases/999/plans", json=plan_payload(), headers=admin_headers)
    assert_problem(resp, 404, "not_found")


def test_no_token_is_unauthorized(client, create_base):
    base = create_base()
    assert_problem(client.post(f"/api/v1/bases/{base.id}/plans", json=plan_payload()), 401)


def test_plan_of_another_base_cannot_be_read(client, create_base, create_plan_in, base_headers):
    base, other = create_base(), create_base()
    plan = create_plan_in(base, "draft")
    assert_problem(client.get(f"/api/v1/plans/{plan.id}", headers=base_headers(other)), 403)
    assert_problem(client.get(f"/api/v1/bases/{base.id}/plans", headers=base_headers(other)), 403)


def test_department_reads_only_its_own_bases_plans(
    client, create_base, create_plan_in, dept_headers
):
    base = create_base()
    plan = create_plan_in(base, "submitted")
    assert client.get(f"/api/v1/plans/{plan.id}", headers=dept_headers()).status_code == 200
    resp = client.get(f"/api/v1/plans/{plan.id}", headers=dept_headers("湖南省住房和城乡建设厅"))
    assert_problem(resp, 403, "forbidden")


def test_unknown_plan_is_not_found(client, admin_headers):
    assert_problem(client.get("/api/v1/plans/999", headers=admin_headers), 404, "not_found")


def test_plans_list_filters_by_year(client, create_base, create_plan_in, base_headers):
    base = create_base()
    create_plan_in(base, "draft", year=2027)
    other_year = create_plan_in(base, "draft", year=2028)
    resp = client.get(f"/api/v1/bases/{base.id}/plans?year=2028", headers=base_headers(base))
    assert [p["id"] for p in resp.json["plans"]] == [other_year.id]


# ---- editing -------------------------------------------------------------------------------


@pytest.mark.parametrize("status", ["draft", "returned"])
def test_draft_or_returned_plan_items_can_be_replaced(
    client, create_base, create_plan_in, base_headers, status
):
    base = create_base()
    plan = create_plan_in(base, status)
    resp = client.put(
        f"/api/v1/plans/{plan.id}",
        json={"items": [general_item_payload(), item_payload(sessions=2)]},
        headers=base_headers(base),
    )
    assert resp.status_code == 200
    assert [i["title"] for i in resp.json["items"]] == [
        "专业技术人员职业道德与诚信建设",
        "人工智能应用高级研修班",
    ]
    assert resp.json["items"][1]["sessions"] == 2
    assert _count(PlanItem) == 2


def test_replacing_items_is_checked_against_the_scope(
    client, create_base, create_plan_in, base_headers
):
    base = create_base()
    plan = create_plan_in(base, "draft")
    resp = client.put(
        f"/api/v1/plans/{plan.id}",
        json={"items": [item_payload(), item_payload(level="junior")]},
        headers=base_headers(base),
    )
    body = assert_problem(resp, 422, "level_not_recognized")
    assert body["errors"][0]["field"] == "items[1].level"
    db.session.expire_all()
    assert [i.title for i in db.session.get(Plan, plan.id).items] == ["人工智能应用高级研修班"]


@pytest.mark.parametrize("status", ["submitted", "reviewed", "filed"])
def test_plan_past_draft_cannot_be_edited(
    client, create_base, create_plan_in, base_headers, status
):
    base = create_base()
    plan = create_plan_in(base, status)
    resp = client.put(
        f"/api/v1/plans/{plan.id}",
        json={"items": [general_item_payload()]},
        headers=base_headers(base),
    )
    assert_problem(resp, 409, "invalid_transition")
    db.session.expire_all()
    assert [i.specialty for i in db.session.get(Plan, plan.id).items] == ["电子信息"]


def test_another_base_cannot_edit_a_plan(client, create_base, create_plan_in, base_headers):
    base, other = create_base(), create_base()
    plan = create_plan_in(base, "draft")
    resp = client.put(
        f"/api/v1/plans/{plan.id}", json={"items": [item_payload()]}, headers=base_headers(other)
    )
    assert_problem(resp, 403, "forbidden")
