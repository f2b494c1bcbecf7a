"""POST /api/v1/bases (CONTRACT §3): the body, the credit code rules, the specialty list."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from jxjd.bases.models import Base
from jxjd.extensions import db
from tests.conftest import assert_problem
from tests.fixtures.bases import base_payload, new_credit_code


def _count_bases() -> int:
    return db.session.scalar(sa.select(sa.func.count()).select_from(Base))


def test_created_base_has_the_contract_shape(client, admin_headers):
    payload = base_payload()
    resp = client.post("/api/v1/bases", json=payload, headers=admin_headers)
    assert resp.status_code == 201
    body = resp.json
    assert isinstance(body["id"], int)
    for key in ("name", "credit_code", "department", "address", "status", "contact"):
        assert body[key] == payload[key]
    assert body["contact"] == {"name": "李四", "phone": "0731-88888888", "email": "jxjy@example.cn"}
    assert body["specialties"] == [
        {
            "name": "电子信息",
            "levels": ["senior", "intermediate"],
            "audiences": ["public", "internal"],
        },
        {
            "name": "公需科目",
            "levels": ["senior", "intermediate", "junior"],
            "audiences": ["public"],
        },
    ]


def test_created_base_can_be_read_back(client, admin_headers):
    created = client.post("/api/v1/bases", json=base_payload(), headers=admin_headers).json
    fetched = client.get(f"/api/v1/bases/{created['id']}", headers=admin_headers)
    assert fetched.status_code == 200
    assert fetched.json == created


def test_registration_is_the_first_status_history_entry(client, make_headers):
    headers = make_headers("admin", name="专技处")
    body = client.post("/api/v1/bases", json=base_payload(), headers=headers).json
    (entry,) = body["status_history"]
    assert entry["from_status"] is None and entry["to_status"] == "recognized"
    assert (entry["actor_role"], entry["actor_name"]) == ("admin", "专技处")
    assert entry["at"].endswith("+08:00")


def test_status_defaults_to_recognized(client, admin_headers):
    payload = base_payload()
    del payload["status"]
    assert client.post("/api/v1/bases", json=payload, headers=admin_headers).json["status"] == (
        "recognized"
    )


def test_a_base_may_be_registered_while_applying(client, admin_headers):
    resp = client.post("/api/v1/bases", json=base_payload(status="applying"), headers=admin_headers)
    assert resp.status_code == 201
    assert resp.json["status"] == "applying"


@pytest.mark.parametrize("status", ["rectifying", "revoked", "barred", "closed"])
def test_a_new_base_cannot_start_in_a_later_status(client, admin_headers, status):
    resp = client.post("/api/v1/bases", json=base_payload(status=status), headers=admin_headers)
    body = assert_problem(resp, 422, "invalid_choice")
    assert body["errors"][0]["field"] == "status"


def test_levels_and_audiences_are_deduplicated_in_contract_order(client, admin_headers):
    payload = base_payload(
        specialties=[
            {
                "name": "电子信息",
                "levels": ["junior", "senior", "junior"],
                "audiences": ["internal", "public"],
            }
        ]
    )
    body = client.post("/api/v1/bases", json=payload, headers=admin_headers).json
    assert body["specialties"] == [
        {"name": "电子信息", "levels": ["senior", "junior"], "audiences": ["public", "internal"]}
    ]


def test_lowercase_credit_code_is_stored_upper_case(client, admin_headers):
    code = new_credit_code()
    resp = client.post(
        "/api/v1/bases", json=base_payload(credit_code=f" {code.lower()} "), headers=admin_headers
    )
    assert resp.status_code == 201
    assert resp.json["credit_code"] == code


@pytest.mark.parametrize(
    "code", ["91110108551385082A", "9111010855138508", "91110108551385O82Q", "不是代码"]
)
def test_invalid_credit_code_is_refused(client, admin_headers, code):
    resp = client.post("/api/v1/bases", json=base_payload(credit_code=code), headers=admin_headers)
    body = assert_problem(resp, 422, "invalid_credit_code")
    assert body["errors"][0]["field"] == "credit_code"
    assert _count_bases() == 0


def test_second_base_with_the_same_code_is_a_conflict(client, admin_headers, create_base):
    existing = create_base()
    resp = client.post(
        "/api/v1/bases",
        json=base_payload(credit_code=existing.credit_code.lower(), name="另一家"),
        headers=admin_headers,
    )
    body = assert_problem(resp, 409, "duplicate_credit_code")
    assert body["type"].endswith("/duplicate-credit-code")
    assert _count_bases() == 1


def test_revoked_unit_cannot_register_a_second_base(client, admin_headers, create_base_in):
    revoked = create_base_in("revoked")
    resp = client.post(
        "/api/v1/bases", json=base_payload(credit_code=revoked.credit_code), headers=admin_headers
    )
    assert_problem(resp, 409, "duplicate_credit_code")


def test_barred_unit_cannot_register_again(client, admin_headers, create_base_in):
    barred = create_base_in("barred")
    resp = client.post(
        "/api/v1/bases", json=base_payload(credit_code=barred.credit_code), headers=admin_headers
    )
    body = assert_problem(resp, 422, "applicant_barred")
    assert body["errors"][0]["field"] == "credit_code"
    assert "第二十四条" in body["errors"][0]["message"]
    assert _count_bases() == 1


def test_duplicate_specialty_names_are_refused(client, admin_headers):
    specialties = [
        {"name": "电子信息", "levels": ["senior"], "audiences": ["public"]},
        {"name": " 电子信息 ", "levels": ["junior"], "audiences": ["internal"]},
    ]
    resp = client.post(
        "/api/v1/bases", json=base_payload(specialties=specialties), headers=admin_headers
    )
    body = assert_problem(resp, 422, "duplicate_specialty")
    assert body["errors"][0]["field"] == "specialties[1].name"
    assert _count_bases() == 0


@pytest.mark.parametrize(
    ("specialty", "code", "field"),
    [
        (
            {"name": "电子信息", "levels": ["expert"], "audiences": ["public"]},
            "invalid_choice",
            "specialties[0].levels[0]",
        ),
        (
            {"name": "电子信息", "levels": ["senior"], "audiences": ["public", "everyone"]},
            "invalid_choice",
            "specialties[0].audiences[1]",
        ),
        (
            {"name": "电子信息", "levels": [], "audiences": ["public"]},
            "missing_levels",
            "specialties[0].levels",
        ),
        (
            {"name": "电子信息", "levels": ["senior"], "audiences": []},
            "missing_audiences",
            "specialties[0].audiences",
        ),
        ({"levels": ["senior"], "audiences": ["public"]}, "required", "specialties[0].name"),
    ],
)
def test_invalid_specialty_is_refused_with_its_field_path(
    client, admin_headers, specialty, code, field
):
    resp = client.post(
        "/api/v1/bases", json=base_payload(specialties=[specialty]), headers=admin_headers
    )
    body = assert_problem(resp, 422, code)
    assert any(e["code"] == code and e["field"] == field for e in body["errors"]), body


def test_every_missing_required_field_is_listed(client, admin_headers):
    body = assert_problem(client.post("/api/v1/bases", json={}, headers=admin_headers), 422)
    assert {(e["code"], e["field"]) for e in body["errors"]} == {
        ("required", "name"),
        ("required", "credit_code"),
        ("required", "department"),
    }
    assert all(e["message"] for e in body["errors"])


@pytest.mark.parametrize("field", ["name", "department"])
def test_blank_name_or_department_is_refused(client, admin_headers, field):
    resp = client.post("/api/v1/bases", json=base_payload(**{field: "   "}), headers=admin_headers)
    body = assert_problem(resp, 422)
    assert any(e["field"] == field for e in body["errors"]), body
    assert _count_bases() == 0


def test_blank_specialty_name_is_refused(client, admin_headers):
    specialties = [{"name": "  ", "levels": ["senior"], "audiences": ["public"]}]
    resp = client.post(
        "/api/v1/bases", json=base_payload(specialties=specialties), headers=admin_headers
    )
    body = assert_problem(resp, 422)
    assert body["errors"][0]["field"] == "specialties[0].name"
