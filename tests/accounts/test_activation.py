"""POST /api/v1/people/activation-codes: admin for anyone, a department for its own trainees."""

from __future__ import annotations

from datetime import timedelta

import sqlalchemy as sa

from jxjd.accounts.models import ActivationCode
from jxjd.common.crockford import ALPHABET
from jxjd.extensions import db
from tests.accounts.conftest import LI, UNKNOWN, ZHANG, person
from tests.conftest import assert_problem


def _create(client, headers, who):
    return client.post(
        "/api/v1/people/activation-codes",
        json={"id_number": who["id_number"], "name": who["name"]},
        headers=headers,
    )


def test_a_code_is_high_entropy_crockford_single_use_and_valid_14_days(
    client, admin_headers, trained
):
    trained(ZHANG)
    resp = _create(client, admin_headers, ZHANG)
    assert resp.status_code == 201 and resp.headers["Cache-Control"] == "no-store"
    body = resp.get_json()
    code = body["code"].replace("-", "")
    assert len(code) == 16 and set(code) <= set(ALPHABET)  # 80 random bits
    assert body["id_masked"] == "430104********0015" and body["person_id"] == person(ZHANG).id
    row = db.session.scalar(sa.select(ActivationCode))
    assert row.expires_at - row.created_at == timedelta(days=14)
    assert row.channel == "letter" and code not in row.code_hash and len(row.code_hash) == 64
    assert ZHANG["id_number"] not in resp.get_data(as_text=True)
    codes = {_create(client, admin_headers, ZHANG).get_json()["code"] for _ in range(5)}
    assert len(codes) == 5


def test_the_letter_comes_as_a_printable_page_when_asked_for(client, admin_headers, trained):
    trained(ZHANG)
    resp = client.post(
        "/api/v1/people/activation-codes",
        json={"id_number": ZHANG["id_number"], "name": ZHANG["name"]},
        headers={**admin_headers, "Accept": "text/html"},
    )
    html = resp.get_data(as_text=True)
    assert resp.status_code == 201 and resp.mimetype == "text/html"
    assert 'lang="zh-CN"' in html and "css/letter.css" in html and "430104********0015" in html
    assert "张三" in html and "测试admin" in html  # who issued it


def test_a_department_makes_codes_only_for_people_trained_at_its_bases(
    client, trained, make_headers, create_base
):
    trained(ZHANG, base=create_base(department="湖南省教育厅"))
    trained(LI, base=create_base(department="湖南省卫生健康委员会"))
    own = make_headers("dept", department="湖南省教育厅")
    assert _create(client, own, ZHANG).status_code == 201
    other = assert_problem(_create(client, own, LI), 404, "unknown_person")
    unknown = assert_problem(_create(client, own, UNKNOWN), 404, "unknown_person")
    assert other["detail"] == unknown["detail"]  # "not yours" reads as "unknown"


def test_refusals(client, admin_headers, make_headers, trained, register, letter, create_base):
    trained(ZHANG)
    assert_problem(_create(client, admin_headers, UNKNOWN), 404, "unknown_person")
    assert_problem(_create(client, admin_headers, {**ZHANG, "name": "王五"}), 422, "name_mismatch")
    assert_problem(
        _create(client, admin_headers, {**ZHANG, "id_number": "430104199003070016"}),
        422,
        "invalid_id_number",
    )
    assert_problem(_create(client, admin_headers, {**ZHANG, "name": ""}), 422, "missing_name")
    assert register(ZHANG, letter(ZHANG)).status_code == 201
    assert_problem(_create(client, admin_headers, ZHANG), 409, "already_registered")
    base_headers = make_headers("base", base_id=create_base().id)
    assert_problem(_create(client, base_headers, ZHANG), 403, "forbidden")
    assert_problem(_create(client, {}, ZHANG), 401)
