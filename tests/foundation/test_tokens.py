"""POST /api/v1/tokens and `flask token create` (CONTRACT §1)."""

from __future__ import annotations

import pytest

from tests.conftest import assert_problem

ID_NUMBER = "430104199003070015"


@pytest.fixture
def binding(create_base):
    """binding(role) → the JSON a token of that role needs, and the status GET /bases gives it."""
    base = create_base()

    def make(role: str) -> tuple[dict, int]:
        return {
            "admin": ({}, 200),
            "dept": ({"department": "湖南省教育厅"}, 200),
            "base": ({"base_id": base.id}, 200),
            "employer": ({"credit_code": "91430100MA4L00001J"}, 403),
            "person": ({"id_number": ID_NUMBER}, 403),
            "applicant": ({"credit_code": "91110108551385082Q"}, 403),
        }[role]

    make.base = base
    return make


@pytest.mark.parametrize("role", ["admin", "dept", "base", "employer", "person", "applicant"])
def test_admin_creates_a_token_for_each_role_usable_at_once(client, admin_headers, binding, role):
    extra, status_with_token = binding(role)
    resp = client.post(
        "/api/v1/tokens", json={"role": role, "name": "张三", **extra}, headers=admin_headers
    )
    assert resp.status_code == 201, resp.get_data(as_text=True)
    body = resp.json
    assert body["role"] == role and body["name"] == "张三"
    assert body["token"] and isinstance(body["id"], int)
    assert body["created_at"].endswith("+08:00")
    for key, value in extra.items():
        if key != "id_number":
            assert body[key] == value
    # Authenticated straight away: readers get 200, the others 403 (never 401).
    used = client.get("/api/v1/bases", headers={"Authorization": f"Bearer {body['token']}"})
    assert used.status_code == status_with_token


def test_every_new_token_is_different(client, admin_headers):
    tokens = {
        client.post(
            "/api/v1/tokens", json={"role": "admin", "name": "同名"}, headers=admin_headers
        ).json["token"]
        for _ in range(3)
    }
    assert len(tokens) == 3


def test_person_token_response_shows_only_the_masked_id(client, admin_headers):
    resp = client.post(
        "/api/v1/tokens",
        json={
            "role": "person",
            "name": "张三",
            "id_number": "４３０１０４１９９００３０７００１５",
        },
        headers=admin_headers,
    )
    assert resp.status_code == 201
    assert resp.json["id_masked"] == "430104********0015"
    assert ID_NUMBER not in resp.get_data(as_text=True)


def test_two_person_tokens_for_one_id_number_share_one_person(client, admin_headers):
    first = client.post(
        "/api/v1/tokens",
        json={"role": "person", "name": "李四", "id_number": "11010519491231002X"},
        headers=admin_headers,
    )
    second = client.post(
        "/api/v1/tokens",
        json={"role": "person", "name": "李四", "id_number": "11010519491231002x"},
        headers=admin_headers,
    )
    from jxjd.extensions import db
    from jxjd.people.models import Person

    assert first.status_code == second.status_code == 201
    assert db.session.scalar(db.select(db.func.count()).select_from(Person)) == 1


def test_applicant_credit_code_is_normalised(client, admin_headers):
    resp = client.post(
        "/api/v1/tokens",
        json={"role": "applicant", "name": "某学院", "credit_code": " 91110108551385082q "},
        headers=admin_headers,
    )
    assert resp.status_code == 201
    assert resp.json["credit_code"] == "91110108551385082Q"


@pytest.mark.parametrize(
    ("payload", "code", "field"),
    [
        ({"role": "base"}, "unknown_base", "base_id"),
        ({"role": "base", "base_id": 999999}, "unknown_base", "base_id"),
        ({"role": "dept"}, "missing_department", "department"),
        ({"role": "dept", "department": "   "}, "missing_department", "department"),
        ({"role": "person"}, "invalid_id_number", "id_number"),
        ({"role": "person", "id_number": "360426199101010072"}, "invalid_id_number", "id_number"),
        ({"role": "applicant"}, "invalid_credit_code", "credit_code"),
        (
            {"role": "applicant", "credit_code": "91110108551385082A"},
            "invalid_credit_code",
            "credit_code",
        ),
        ({"role": "employer"}, "invalid_credit_code", "credit_code"),
        (
            {"role": "employer", "credit_code": "91430100MA4L00001A"},
            "invalid_credit_code",
            "credit_code",
        ),
        ({"role": "admin", "days": 0}, "out_of_range", "days"),
        ({"role": "admin", "days": 3651}, "out_of_range", "days"),
        ({"role": "admin", "days": "30"}, "out_of_range", "days"),
        ({"role": "superuser"}, "invalid_choice", "role"),
        ({"role": "admin", "name": ""}, "invalid_length", "name"),
        ({"role": "admin", "name": "   "}, "missing_name", "name"),
        ({"name": "无角色"}, "required", "role"),
    ],
)
def test_token_without_its_binding_is_refused(client, admin_headers, payload, code, field):
    body = assert_problem(
        client.post("/api/v1/tokens", json={"name": "某某", **payload}, headers=admin_headers),
        422,
        code,
    )
    assert any(e["code"] == code and e["field"] == field for e in body["errors"]), body


def test_refused_token_request_stores_nothing(client, admin_headers):
    from jxjd.accounts.models import ApiToken
    from jxjd.extensions import db

    before = db.session.scalar(db.select(db.func.count()).select_from(ApiToken))
    resp = client.post(
        "/api/v1/tokens",
        json={"role": "person", "name": "张三", "id_number": "360426199101010072"},
        headers=admin_headers,
    )
    assert_problem(resp, 422, "invalid_id_number")
    assert db.session.scalar(db.select(db.func.count()).select_from(ApiToken)) == before


@pytest.mark.parametrize("role", ["dept", "base", "employer", "person", "applicant"])
def test_only_admin_may_create_tokens(client, make_headers, create_base, role):
    scope = {
        "dept": {"department": "湖南省教育厅"},
        "base": {"base_id": create_base().id},
        "employer": {"credit_code": "91430100MA4L00001J"},
        "person": {"id_number": ID_NUMBER},
        "applicant": {"credit_code": "91110108551385082Q"},
    }[role]
    resp = client.post(
        "/api/v1/tokens",
        json={"role": "admin", "name": "越权"},
        headers=make_headers(role, **scope),
    )
    assert_problem(resp, 403, "forbidden")


def test_creating_a_token_needs_a_token(client):
    resp = client.post("/api/v1/tokens", json={"role": "admin", "name": "匿名"})
    assert_problem(resp, 401, "unauthorized")


def test_cli_prints_a_working_admin_token_on_the_last_line(app, client):
    result = app.test_cli_runner().invoke(
        args=["token", "create", "--role", "admin", "--name", "省人社厅专技处"]
    )
    assert result.exit_code == 0, result.output
    token = result.stdout.strip().splitlines()[-1]
    resp = client.get("/api/v1/bases", headers={"Authorization": f"Bearer {token}"})
    assert resp.status_code == 200


def test_cli_creates_a_base_token_bound_to_its_base(app, client, create_base):
    own, other = create_base(), create_base()
    result = app.test_cli_runner().invoke(
        args=["token", "create", "--role", "base", "--name", "基地", "--base-id", str(own.id)]
    )
    assert result.exit_code == 0, result.output
    headers = {"Authorization": f"Bearer {result.stdout.strip().splitlines()[-1]}"}
    assert client.get(f"/api/v1/bases/{own.id}", headers=headers).status_code == 200
    assert_problem(client.get(f"/api/v1/bases/{other.id}", headers=headers), 403, "forbidden")


def test_cli_refuses_a_token_without_its_binding(app):
    result = app.test_cli_runner().invoke(args=["token", "create", "--role", "dept", "--name", "X"])
    assert result.exit_code != 0
    assert "主管部门" in result.output


def test_admin_revokes_a_token_and_it_stops_working_at_once(client, admin_headers, create_base):
    base = create_base()
    made = client.post(
        "/api/v1/tokens",
        json={"role": "base", "name": "基地管理员", "base_id": base.id},
        headers=admin_headers,
    ).get_json()
    headers = {"Authorization": f"Bearer {made['token']}"}
    assert client.get(f"/api/v1/bases/{base.id}", headers=headers).status_code == 200

    listed = client.get("/api/v1/tokens", headers=admin_headers).get_json()["tokens"]
    row = next(t for t in listed if t["id"] == made["id"])
    assert row["revoked_at"] is None and made["token"] not in str(listed)

    resp = client.delete(f"/api/v1/tokens/{made['id']}", headers=admin_headers)
    assert resp.status_code == 200 and resp.get_json()["revoked_at"]
    assert_problem(client.get(f"/api/v1/bases/{base.id}", headers=headers), 401, "unauthorized")


def test_only_admin_revokes_and_unknown_tokens_are_not_found(client, admin_headers, make_headers):
    assert_problem(client.delete("/api/v1/tokens/99999", headers=admin_headers), 404)
    dept = make_headers("dept", department="湖南省教育厅")
    assert_problem(client.delete("/api/v1/tokens/1", headers=dept), 403, "forbidden")


def test_token_revoke_command(app, admin_headers):
    runner = app.test_cli_runner()
    out = runner.invoke(args=["token", "create", "--role", "admin", "--name", "临时"])
    plain = out.output.strip().splitlines()[-1]
    listed = runner.invoke(args=["token", "list"]).output
    number = next(
        line.split()[0].lstrip("#") for line in listed.splitlines() if line.endswith("临时")
    )
    result = runner.invoke(args=["token", "revoke", number])
    assert result.exit_code == 0, result.output
    from jxjd.accounts.services import actor_for_token

    assert actor_for_token(plain) is None
