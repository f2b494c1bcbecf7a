"""CONTRACT §11 limits at every entry point: text lengths and characters, counts, parameters, sizes."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from jxjd.accounts.models import Account, ApiToken
from jxjd.bases.models import Base
from jxjd.common.text import KINDS, Text, bad_character, check_text, text_problem
from jxjd.errors import ValidationFailed
from jxjd.extensions import db
from tests.conftest import assert_problem
from tests.fixtures.auth import TEST_PASSWORD, csrf_token_from
from tests.fixtures.bases import base_payload

# ---- the one text rule -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("kind", "limit"),
    [("person_name", 50), ("unit", 100), ("title", 200), ("reason", 1000), ("opinion", 1000)],
)
def test_each_kind_has_the_contract_limit_counted_in_characters(kind, limit):
    assert text_problem("湘" * limit, kind) is None
    code, message = text_problem("湘" * (limit + 1), kind)
    assert code == "too_long"
    assert str(limit) in message and KINDS[kind].label in message


def test_no_kind_allows_more_than_4000_characters():
    assert max(k.max_length for k in KINDS.values()) == 4000
    assert text_problem("x" * 4001, "text")[0] == "too_long"


@pytest.mark.parametrize(
    "char",
    ["\x00", "\x07", "\x1b", "\x7f", "\x85", "\u202a", "\u202e", "\u2066", "\u2069", "\ud800"],
)
def test_control_bidi_and_surrogate_characters_are_refused_in_every_kind(char):
    for kind in KINDS:
        code, message = text_problem(f"张{char}三", kind)
        assert code == "invalid_characters"
        assert f"U+{ord(char):04X}" in message


def test_tab_and_line_breaks_only_in_multi_line_fields():
    for value in ("第一行\n第二行", "甲\t乙", "第一行\r\n第二行"):
        assert text_problem(value, "reason") is None
        assert text_problem(value, "opinion") is None
        assert text_problem(value, "person_name")[0] == "invalid_characters"
        assert text_problem(value, "title")[0] == "invalid_characters"


def test_check_text_raises_a_422_naming_field_and_limit():
    with pytest.raises(ValidationFailed) as caught:
        check_text("x" * 51, "person_name", field="name")
    assert caught.value.status == 422 and caught.value.code == "too_long"
    (error,) = caught.value.errors
    assert error["field"] == "name" and "50" in error["message"] and "姓名" in error["message"]
    assert bad_character("正常文本") is None


def test_text_field_states_its_limit_in_the_openapi_document():
    assert Text("person_name").metadata["maxLength"] == 50


# ---- JSON bodies -----------------------------------------------------------------------------


def _bases() -> int:
    return db.session.scalar(sa.select(sa.func.count()).select_from(Base))


def test_a_100k_character_base_name_is_too_long_and_nothing_is_stored(client, admin_headers):
    resp = client.post(
        "/api/v1/bases", json=base_payload(name="湘" * 100_000), headers=admin_headers
    )
    body = assert_problem(resp, 422, "too_long")
    assert body["code"] == "too_long"
    assert body["errors"][0]["field"] == "name" and "200" in body["errors"][0]["message"]
    assert _bases() == 0


@pytest.mark.parametrize("value", ["湖南\x00学院", "湖南\u202e学院", "湖南\x1b学院", "湖南\n学院"])
def test_control_and_bidi_characters_in_a_json_field_are_refused(client, admin_headers, value):
    resp = client.post("/api/v1/bases", json=base_payload(name=value), headers=admin_headers)
    body = assert_problem(resp, 422, "invalid_characters")
    assert any(e["field"] == "name" for e in body["errors"])
    assert _bases() == 0


def test_nul_in_a_field_without_text_rule_never_reaches_the_database(client, admin_headers):
    resp = client.post(
        "/api/v1/archive/query", json={"id_number": "4301\x0004"}, headers=admin_headers
    )
    assert_problem(resp, 422, "invalid_characters")
    resp = client.post(
        "/api/v1/tokens",
        json={"role": "applicant", "name": "甲", "credit_code": "\x00"},
        headers=admin_headers,
    )
    assert_problem(resp, 422, "invalid_characters")


def test_a_lone_surrogate_in_json_is_refused(client, admin_headers):
    data = '{"role": "admin", "name": "\\ud800"}'
    resp = client.post(
        "/api/v1/tokens", data=data, content_type="application/json", headers=admin_headers
    )
    assert_problem(resp, 422, "invalid_characters")


def test_line_breaks_are_kept_in_a_multi_line_reason(client, admin_headers, create_base):
    base = create_base()
    resp = client.post(
        f"/api/v1/bases/{base.id}/status",
        json={"status": "rectifying", "reason": "第一条\n第二条"},
        headers=admin_headers,
    )
    assert resp.status_code == 200, resp.get_data(as_text=True)
    assert resp.json["status_history"][-1]["reason"] == "第一条\n第二条"


def test_any_json_list_beyond_the_cap_is_too_many_items(app, client, admin_headers, monkeypatch):
    monkeypatch.setitem(app.config, "JXJD_MAX_ROSTER_ROWS", 50)
    payload = base_payload(
        contact={"name": "李四", "phone": "1", "email": "", "x": list(range(51))}
    )
    body = assert_problem(
        client.post("/api/v1/bases", json=payload, headers=admin_headers), 422, "too_many_items"
    )
    assert body["errors"][0]["field"] == "contact.x"


def test_a_json_number_beyond_64_bits_is_out_of_range(client, admin_headers):
    resp = client.post(
        "/api/v1/tokens",
        json={"role": "base", "name": "甲", "base_id": 2**64},
        headers=admin_headers,
    )
    assert_problem(resp, 422, "out_of_range")


def test_an_id_beyond_integer_columns_in_a_body_is_refused(client, admin_headers):
    resp = client.post(
        "/api/v1/tokens",
        json={"role": "base", "name": "甲", "base_id": 2**31},
        headers=admin_headers,
    )
    assert_problem(resp, 422, "out_of_range")


def test_a_json_body_over_the_limit_is_a_413_problem(app, client, admin_headers, monkeypatch):
    monkeypatch.setitem(app.config, "JXJD_MAX_JSON_MB", 0.01)  # about 10 KB
    payload = base_payload(address="长" * 5000)
    resp = client.post("/api/v1/bases", json=payload, headers=admin_headers)
    assert_problem(resp, 413, "body_too_large")
    assert _bases() == 0


def test_deeply_nested_json_is_a_400_problem(client, admin_headers):
    data = "[" * 100_000 + "]" * 100_000
    resp = client.post(
        "/api/v1/bases", data=data, content_type="application/json", headers=admin_headers
    )
    assert_problem(resp, 400)


def test_a_1mb_revocation_reason_is_refused_and_the_certificate_stays_valid(
    client, open_session, upload_json
):
    from tests.fixtures.attendance import trainees

    target = open_session()
    assert upload_json(target, trainees(1)).status_code == 200
    cert = client.get(f"/api/v1/sessions/{target.id}/certificates", headers=target.headers)
    serial = cert.json["certificates"][0]["serial"]
    resp = client.post(
        f"/api/v1/certificates/{serial}/revoke",
        json={"reason": "撤" * 1_000_000},
        headers=target.headers,
    )
    body = assert_problem(resp, 422, "too_long")
    assert "1000" in body["errors"][0]["message"]
    verified = client.get("/api/v1/verify", query_string={"serial": serial}).json
    assert verified["result"] == "valid"
    assert verified["certificate"]["revoked_reason"] is None


# ---- query strings and path segments ---------------------------------------------------------


@pytest.mark.parametrize(
    "year", ["99999999999999999999", "3000000000", "1999", "2101", "-5", "abc", "2０26"]
)
def test_a_year_out_of_range_in_the_query_is_invalid_parameter(
    client, admin_headers, create_base, year
):
    base = create_base()
    for url in (
        f"/api/v1/bases/{base.id}/sessions",
        f"/api/v1/bases/{base.id}/plans",
        f"/api/v1/bases/{base.id}/report",
        "/api/v1/spot-checks",
    ):
        resp = client.get(url, query_string={"year": year}, headers=admin_headers)
        body = assert_problem(resp, 422, "invalid_parameter")
        assert body["errors"][0]["field"] == "year"


def test_a_year_in_range_still_filters(client, admin_headers, create_base):
    base = create_base()
    resp = client.get(f"/api/v1/bases/{base.id}/sessions?year=2026", headers=admin_headers)
    assert resp.status_code == 200


@pytest.mark.parametrize("year", [1999, 2101, 99999])
def test_a_year_out_of_range_in_the_path_is_invalid_parameter(client, admin_headers, year):
    for method, url in (
        ("get", f"/api/v1/rules/{year}"),
        ("put", f"/api/v1/rules/{year}"),
        ("get", f"/api/v1/reports/{year}"),
        ("get", f"/api/v1/reports/{year}.xlsx"),
    ):
        resp = getattr(client, method)(url, json={"min_trainees": 10}, headers=admin_headers)
        assert_problem(resp, 422, "invalid_parameter")


@pytest.mark.parametrize("base_id", ["99999999999999999999", str(2**31), str(2**63)])
def test_a_path_id_too_large_for_the_database_is_404(client, admin_headers, base_id):
    assert_problem(client.get(f"/api/v1/bases/{base_id}", headers=admin_headers), 404)
    assert_problem(client.get(f"/api/v1/bases/{base_id}/plans", headers=admin_headers), 404)
    resp = client.post(
        f"/api/v1/bases/{base_id}/status",
        json={"status": "revoked", "reason": "x"},
        headers=admin_headers,
    )
    assert_problem(resp, 404)


@pytest.mark.parametrize("segment", ["%00", "JX%1B1", "%E2%80%AEabc", "x" * 300])
def test_a_path_segment_with_control_characters_or_too_long_is_404(client, admin_headers, segment):
    assert_problem(client.get(f"/api/v1/certificates/{segment}", headers=admin_headers), 404)
    assert_problem(client.get(f"/api/v1/shared/{segment}", headers=admin_headers), 404)


@pytest.mark.parametrize("value", ["\x00", "湖南\x00", "\u202e", "\x1b[31m"])
def test_control_characters_in_a_query_parameter_are_refused(client, admin_headers, value):
    resp = client.get("/api/v1/bases", query_string={"department": value}, headers=admin_headers)
    body = assert_problem(resp, 422, "invalid_characters")
    assert body["errors"][0]["field"] == "department"
    resp = client.get("/api/v1/verify", query_string={"serial": value})
    assert_problem(resp, 422, "invalid_characters")


def test_a_very_long_url_is_a_414_problem(client):
    resp = client.get("/api/v1/verify", query_string={"t": "x" * 9000})
    assert_problem(resp, 414, "uri_too_long")
    page = client.get("/verify", query_string={"serial": "x" * 9000})
    assert page.status_code == 414 and page.mimetype == "text/html"


def test_huge_headers_are_a_431_problem(client):
    resp = client.get("/api/v1/health", headers={"X-Padding": "x" * 10_000})
    assert_problem(resp, 431, "headers_too_large")
    many = {f"X-Pad-{i}": "x" * 4000 for i in range(10)}
    assert_problem(client.get("/api/v1/health", headers=many), 431, "headers_too_large")


# ---- page forms, login, registration, grants -------------------------------------------------


@pytest.mark.parametrize("field", ["username", "password"])
def test_nul_in_the_login_form_is_refused_not_a_server_error(client, make_account, field):
    make_account("admin", username="zhangsan")
    token = csrf_token_from(client.get("/login").get_data(as_text=True))
    data = {"username": "zhangsan", "password": TEST_PASSWORD, "csrf_token": token}
    data[field] = data[field] + "\x00"
    resp = client.post("/login", data=data)
    assert resp.status_code == 422
    assert "不允许" in resp.get_data(as_text=True)


def test_nul_in_the_registration_form_is_refused(client):
    token = csrf_token_from(client.get("/register").get_data(as_text=True))
    data = {
        "id_number": "430104199003070015",
        "name": "张\x00三",
        "serial": "JX\x00",
        "username": "zhang\x00san",
        "password": TEST_PASSWORD,
        "password2": TEST_PASSWORD,
        "csrf_token": token,
    }
    assert client.post("/register", data=data).status_code == 422
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Account)) == 0


def test_nul_and_a_long_name_in_a_grant_are_refused(client, make_headers):
    headers = make_headers("person", name="张三", id_number="430104199003070015")
    resp = client.post("/api/v1/me/grants", json={"employer_name": "甲\x00"}, headers=headers)
    assert_problem(resp, 422, "invalid_characters")
    resp = client.post("/api/v1/me/grants", json={"employer_name": "甲" * 101}, headers=headers)
    assert_problem(resp, 422, "too_long")


def test_a_page_form_with_a_too_long_title_shows_the_limit(
    client, create_base, create_filed_plan, make_account, login
):
    base = create_base()
    item = create_filed_plan(base).items[0]
    make_account("base", username="base-1", base_id=base.id)
    login(client, "base-1")
    token = csrf_token_from(client.get("/sessions").get_data(as_text=True))
    form = {
        "csrf_token": token,
        "plan_item_id": str(item.id),
        "title": "班" * 201,
        "specialty": "电子信息",
        "category": "professional",
        "level": "senior",
        "audience": "public",
        "form": "in_person",
        "start_date": "2027-03-01",
        "end_date": "2027-03-03",
        "hours": "24",
        "location": "长沙\u202e",
    }
    resp = client.post("/sessions", data=form)
    html = resp.get_data(as_text=True)
    assert resp.status_code == 422
    assert "班次名称不能超过 200 个字符" in html and "U+202E" in html
    assert _sessions() == 0


def _sessions() -> int:
    from jxjd.sessions.models import TrainingSession

    return db.session.scalar(sa.select(sa.func.count()).select_from(TrainingSession))


def test_bidi_override_in_a_page_form_textarea_is_refused(client, create_base, make_account, login):
    base = create_base()
    make_account("base", username="base-1", base_id=base.id)
    login(client, "base-1")
    html = client.get(f"/bases/{base.id}/changes").get_data(as_text=True)
    data = {"csrf_token": csrf_token_from(html), "address": "长沙", "note": "地址\u2066变更"}
    resp = client.post(f"/bases/{base.id}/changes", data=data)
    assert resp.status_code == 422
    assert "变更说明含有不允许的控制字符或文字方向控制符" in resp.get_data(as_text=True)


# ---- CLI -------------------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["管理员" * 100, "管理员\x1b[2J"])
def test_cli_refuses_a_name_that_breaks_the_text_rule(app, name):
    result = app.test_cli_runner().invoke(
        args=["token", "create", "--role", "admin", "--name", name]
    )
    assert result.exit_code != 0
    assert db.session.scalar(sa.select(sa.func.count()).select_from(ApiToken)) == 0


@pytest.mark.parametrize("plan_item_id", ["9" * 5000, "²", "2147483648"])
def test_an_odd_plan_item_id_in_the_sessions_form_is_refused(
    client, create_base, make_account, login, plan_item_id
):
    base = create_base()
    make_account("base", username="base-1", base_id=base.id)
    login(client, "base-1")
    token = csrf_token_from(client.get("/sessions").get_data(as_text=True))
    resp = client.post("/sessions", data={"csrf_token": token, "plan_item_id": plan_item_id})
    assert resp.status_code == 422
    assert _sessions() == 0


@pytest.mark.parametrize("ref", ["²", "9" * 5000])
def test_withdrawing_a_grant_by_an_odd_number_is_404(client, make_headers, ref):
    headers = make_headers("person", name="张三", id_number="430104199003070015")
    assert_problem(client.delete(f"/api/v1/me/grants/{ref[:200]}", headers=headers), 404)


def test_no_per_request_rate_limit_hook_without_app_wide_limits(app):
    """Only decorated limits exist (sign-in; its 429 across workers is in
    test_rate_limit_workers.py), so Flask-Limiter's before-request check is not run on every
    request (a cached QR image, a verify)."""
    from jxjd.extensions import limiter

    assert limiter.limit_manager.default_limits == []
    assert limiter.limit_manager.application_limits == []
    assert limiter._check_request_limit not in app.before_request_funcs.get(None, [])
