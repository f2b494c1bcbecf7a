"""CONTRACT §11 on the 申请表: list caps before any row is read, text limits on every field."""

from __future__ import annotations

import sqlalchemy as sa

from jxjd.applications.models import Application
from jxjd.applications.schemas import MAX_MANAGERS, MAX_TEACHERS
from jxjd.extensions import db
from tests.conftest import assert_problem
from tests.fixtures.applications import application_payload, teacher


def _applications() -> int:
    return db.session.scalar(sa.select(sa.func.count()).select_from(Application))


def test_50000_teachers_are_too_many_items(client, new_applicant):
    headers, code = new_applicant()
    payload = application_payload(code, teachers=[{"name": "陈七", "title": "senior"}] * 50_000)
    body = assert_problem(
        client.post("/api/v1/applications", json=payload, headers=headers), 422, "too_many_items"
    )
    assert body["errors"][0]["field"] == "teachers"
    payload["teachers"] = payload["teachers"][: MAX_TEACHERS + 1]
    body = assert_problem(
        client.post("/api/v1/applications", json=payload, headers=headers), 422, "too_many_items"
    )
    assert f"教师最多 {MAX_TEACHERS} 项" in body["errors"][0]["message"]
    assert _applications() == 0


def test_the_teacher_cap_itself_is_accepted(client, new_applicant):
    headers, code = new_applicant()
    payload = application_payload(code, teachers=[teacher() for _ in range(MAX_TEACHERS)])
    resp = client.post("/api/v1/applications", json=payload, headers=headers)
    assert resp.status_code == 201, resp.get_data(as_text=True)[:500]


def test_too_many_managers_or_specialties_are_refused(client, new_applicant):
    headers, code = new_applicant()
    managers = [{"name": "赵六"}] * (MAX_MANAGERS + 1)
    resp = client.post(
        "/api/v1/applications", json=application_payload(code, managers=managers), headers=headers
    )
    assert_problem(resp, 422, "too_many_items")
    specialties = [{"name": "电子信息", "levels": ["senior"] * 4, "audiences": ["public"]}]
    resp = client.post(
        "/api/v1/applications",
        json=application_payload(code, specialties=specialties),
        headers=headers,
    )
    assert_problem(resp, 422, "too_many_items")
    assert _applications() == 0


def test_a_teacher_name_over_50_characters_is_too_long(client, new_applicant):
    headers, code = new_applicant()
    payload = application_payload(code, teachers=[teacher(name="陈" * 51)])
    body = assert_problem(
        client.post("/api/v1/applications", json=payload, headers=headers), 422, "too_long"
    )
    assert body["errors"][0]["field"] == "teachers[0].name"
    assert "姓名不能超过 50 个字符" in body["errors"][0]["message"]


def test_a_rejection_reason_over_1000_characters_is_too_long(
    client, create_application, admin_headers
):
    application = create_application("on_notice")
    resp = client.post(
        f"/api/v1/applications/{application.id}/reject",
        json={"reason": "不" * 1001},
        headers=admin_headers,
    )
    assert_problem(resp, 422, "too_long")
    assert db.session.get(Application, application.id).status == "on_notice"


def test_a_notice_starting_at_the_end_of_the_calendar_is_refused_not_a_server_error(
    client, create_application, admin_headers
):
    application = create_application("visited")
    resp = client.post(
        f"/api/v1/applications/{application.id}/notice",
        json={"days": 90, "start_date": "9999-12-31"},
        headers=admin_headers,
    )
    body = assert_problem(resp, 422, "invalid_date")
    assert body["errors"][0]["field"] == "start_date"
    assert db.session.get(Application, application.id).status == "under_review"


def test_odd_numbers_and_row_keys_in_the_page_form_are_refused_not_a_server_error(
    client, make_account, login
):
    from tests.applications.test_pages import _form, _post
    from tests.fixtures.bases import new_credit_code

    code = new_credit_code()
    make_account("applicant", username="applicant-1", credit_code=code)
    login(client, "applicant-1")
    for overrides in (
        {"capacity.concurrent_trainees": "9" * 5000},
        {"capacity.yearly_trainees": "²"},
        {"teachers-0-graduated_year": "٢٠١٠"},
        {"teachers-" + "9" * 5000 + "-name": "陈七"},
    ):
        data = {**_form(code), **overrides, "action": "save"}
        resp = _post(client, "/applications/new", data)
        assert resp.status_code in (302, 422), (overrides.keys(), resp.status_code)
    assert _applications() <= 1
