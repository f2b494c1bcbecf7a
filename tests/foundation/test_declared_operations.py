"""Operations declared once (jxjd/openapi.py doc): who, what body, what answer — and in what order.

The view's own look-ups answer first (404 unknown, 403 not yours), then the body (400, 422), as
when each view loaded the body itself after its look-up.
"""

from __future__ import annotations

from tests.conftest import assert_problem


def test_a_bad_body_for_an_unknown_object_is_404(client, admin_headers):
    resp = client.post("/api/v1/plans/999999/review", json=[], headers=admin_headers)
    assert_problem(resp, 404, "not_found")


def test_a_bad_body_for_another_bases_object_is_403(
    client, create_base, create_plan_in, base_headers
):
    mine, theirs = create_base(), create_base()
    plan = create_plan_in(theirs, "draft")
    resp = client.put(f"/api/v1/plans/{plan.id}", json={"items": "x"}, headers=base_headers(mine))
    assert_problem(resp, 403, "forbidden")


def test_a_bad_body_for_ones_own_object_is_422(client, create_base, create_plan_in, base_headers):
    base = create_base()
    plan = create_plan_in(base, "draft")
    resp = client.put(f"/api/v1/plans/{plan.id}", json={"items": "x"}, headers=base_headers(base))
    assert_problem(resp, 422, "invalid_type")


def test_the_wrong_role_is_403_before_anything_is_looked_up(client, make_headers):
    resp = client.post(
        "/api/v1/plans/999999/file", headers=make_headers("dept", department="湖南省财政厅")
    )
    assert_problem(resp, 403, "forbidden")


def test_a_returned_model_is_dumped_with_the_declared_schema_and_status(
    client, admin_headers, create_base
):
    from tests.fixtures.bases import base_payload

    resp = client.post("/api/v1/bases", json=base_payload(), headers=admin_headers)
    assert resp.status_code == 201
    assert set(resp.json) >= {"id", "credit_code", "status_history"}  # BaseDetailSchema


def test_a_returned_list_is_wrapped_under_its_declared_key(client, admin_headers, create_base):
    create_base()
    resp = client.get("/api/v1/bases", headers=admin_headers)
    assert resp.status_code == 200 and list(resp.json) == ["bases"]
    assert len(resp.json["bases"]) == 1
