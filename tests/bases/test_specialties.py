"""PUT /api/v1/bases/{id}/specialties replaces the recognized specialty list."""

from __future__ import annotations

import sqlalchemy as sa

from jxjd.bases.models import BaseSpecialty
from jxjd.extensions import db
from tests.conftest import assert_problem


def _put(client, headers, base_id, specialties):
    return client.put(
        f"/api/v1/bases/{base_id}/specialties", json={"specialties": specialties}, headers=headers
    )


def test_replacing_drops_the_old_list_and_keeps_the_new(client, admin_headers, create_base):
    base = create_base()
    new = [{"name": "土木建筑", "levels": ["senior", "junior"], "audiences": ["public"]}]
    resp = _put(client, admin_headers, base.id, new)
    assert resp.status_code == 200
    assert resp.json["specialties"] == new
    detail = client.get(f"/api/v1/bases/{base.id}", headers=admin_headers).json
    assert [s["name"] for s in detail["specialties"]] == ["土木建筑"]
    rows = db.session.scalars(sa.select(BaseSpecialty.name).where(BaseSpecialty.base_id == base.id))
    assert list(rows) == ["土木建筑"]


def test_a_kept_name_may_come_back_with_other_levels(client, admin_headers, create_base):
    base = create_base()
    new = [
        {"name": "公需科目", "levels": ["junior"], "audiences": ["public"]},
        {"name": "电子信息", "levels": ["senior"], "audiences": ["internal"]},
    ]
    resp = _put(client, admin_headers, base.id, new)
    assert resp.status_code == 200, resp.get_data(as_text=True)
    assert resp.json["specialties"] == new


def test_the_same_list_may_be_put_twice(client, admin_headers, create_base):
    base = create_base()
    new = [{"name": "电子信息", "levels": ["senior"], "audiences": ["public"]}]
    assert _put(client, admin_headers, base.id, new).status_code == 200
    again = _put(client, admin_headers, base.id, new)
    assert again.status_code == 200
    assert again.json["specialties"] == new


def test_the_list_keeps_the_order_it_was_given(client, admin_headers, create_base):
    base = create_base()
    names = ["机械制造", "电子信息", "公需科目", "土木建筑"]
    new = [{"name": n, "levels": ["junior"], "audiences": ["public"]} for n in names]
    _put(client, admin_headers, base.id, new)
    detail = client.get(f"/api/v1/bases/{base.id}", headers=admin_headers).json
    assert [s["name"] for s in detail["specialties"]] == names


def test_an_empty_list_removes_every_specialty(client, admin_headers, create_base):
    base = create_base()
    resp = _put(client, admin_headers, base.id, [])
    assert resp.status_code == 200
    assert resp.json["specialties"] == []


def test_duplicate_names_are_refused_and_the_old_list_stays(client, admin_headers, create_base):
    base = create_base()
    new = [
        {"name": "土木建筑", "levels": ["senior"], "audiences": ["public"]},
        {"name": "土木建筑", "levels": ["junior"], "audiences": ["public"]},
    ]
    body = assert_problem(_put(client, admin_headers, base.id, new), 422, "duplicate_specialty")
    assert body["errors"][0]["field"] == "specialties[1].name"
    detail = client.get(f"/api/v1/bases/{base.id}", headers=admin_headers).json
    assert [s["name"] for s in detail["specialties"]] == ["电子信息", "公需科目"]


def test_an_invalid_level_is_refused_with_its_field_path(client, admin_headers, create_base):
    base = create_base()
    new = [{"name": "土木建筑", "levels": ["senior", "master"], "audiences": ["public"]}]
    body = assert_problem(_put(client, admin_headers, base.id, new), 422, "invalid_choice")
    assert body["errors"][0]["field"] == "specialties[0].levels[1]"


def test_the_list_is_required(client, admin_headers, create_base):
    base = create_base()
    resp = client.put(f"/api/v1/bases/{base.id}/specialties", json={}, headers=admin_headers)
    body = assert_problem(resp, 422, "required")
    assert body["errors"][0]["field"] == "specialties"


def test_replacing_on_an_unknown_base_is_404(client, admin_headers):
    assert_problem(_put(client, admin_headers, 999999, []), 404, "not_found")
