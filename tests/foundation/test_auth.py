"""Bearer tokens: who may call what (CONTRACT §1 roles, §3 endpoints)."""

from __future__ import annotations

import pytest

from jxjd.accounts.models import ApiToken
from jxjd.common.time import utcnow
from jxjd.extensions import db
from tests.conftest import assert_problem
from tests.fixtures.bases import base_payload

ROLES = ("admin", "dept", "base", "employer", "person", "applicant")


@pytest.fixture
def role_headers(make_headers, create_base):
    """role_headers(role) → headers for that role, bound to the base `own` (dept: its department)."""
    own = create_base(department="湖南省教育厅")

    def make(role: str) -> dict[str, str]:
        scope = {
            "admin": {},
            "dept": {"department": "湖南省教育厅"},
            "base": {"base_id": own.id},
            "employer": {},
            "person": {"id_number": "430104199003070015"},
            "applicant": {"credit_code": "91110108551385082Q"},
        }[role]
        return make_headers(role, **scope)

    make.own = own
    return make


def test_request_without_a_token_is_401(client):
    body = assert_problem(client.get("/api/v1/bases"), 401, "unauthorized")
    assert body["title"] == "需要登录或有效的访问令牌"


@pytest.mark.parametrize(
    "header", ["Token abc", "Bearer", "Bearer ", "Basic dXNlcjpwdw==", "abc", "Bearer\tabc"]
)
def test_malformed_authorization_header_is_401(client, header):
    assert_problem(client.get("/api/v1/bases", headers={"Authorization": header}), 401)


def test_unknown_token_is_401(client):
    resp = client.get("/api/v1/bases", headers={"Authorization": "Bearer jx_not-a-real-token"})
    assert_problem(resp, 401, "unauthorized")


def test_revoked_token_is_401(client, make_headers):
    headers = make_headers("admin")
    assert client.get("/api/v1/bases", headers=headers).status_code == 200
    for token in db.session.scalars(db.select(ApiToken)):
        token.revoked_at = utcnow()
    db.session.commit()
    assert_problem(client.get("/api/v1/bases", headers=headers), 401, "unauthorized")


def test_bearer_scheme_is_case_insensitive(client, make_headers):
    token = make_headers("admin")["Authorization"].split(" ", 1)[1]
    resp = client.get("/api/v1/bases", headers={"Authorization": f"bearer {token}"})
    assert resp.status_code == 200


def test_a_later_request_without_a_token_is_not_served_as_the_earlier_caller(client, admin_headers):
    assert client.get("/api/v1/bases", headers=admin_headers).status_code == 200
    assert_problem(client.get("/api/v1/bases"), 401, "unauthorized")


# (method, path template, JSON body factory) of every §3 endpoint; {own} is a base id.
def _new_base():
    return base_payload()


def _status():
    return {"status": "rectifying", "reason": "年度检查发现问题"}


def _specialties():
    return {"specialties": [{"name": "土木建筑", "levels": ["junior"], "audiences": ["public"]}]}


ENDPOINTS = {
    "create": ("post", "/api/v1/bases", _new_base, 201),
    "list": ("get", "/api/v1/bases", None, 200),
    "detail": ("get", "/api/v1/bases/{own}", None, 200),
    "status": ("post", "/api/v1/bases/{own}/status", _status, 200),
    "specialties": ("put", "/api/v1/bases/{own}/specialties", _specialties, 200),
}

ALLOWED = {
    "admin": {"create", "list", "detail", "status", "specialties"},
    "dept": {"list", "detail"},
    "base": {"list", "detail"},
    "employer": set(),
    "person": set(),
    "applicant": set(),
}


@pytest.mark.parametrize("endpoint", sorted(ENDPOINTS))
@pytest.mark.parametrize("role", ROLES)
def test_each_role_reaches_exactly_its_base_endpoints(client, role_headers, role, endpoint):
    method, template, body, ok_status = ENDPOINTS[endpoint]
    path = template.format(own=role_headers.own.id)
    kwargs = {"json": body()} if body else {}
    resp = getattr(client, method)(path, headers=role_headers(role), **kwargs)
    if endpoint in ALLOWED[role]:
        assert resp.status_code == ok_status, resp.get_data(as_text=True)
    else:
        assert_problem(resp, 403, "forbidden")
