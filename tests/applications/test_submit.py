"""The submit check (第七条, 第二十四条): every failed condition is listed with its stable code."""

from __future__ import annotations

import pytest

from jxjd.common.ids import credit_check_char
from tests.conftest import assert_problem
from tests.fixtures.applications import application_payload, teacher


def _submit(client, new_applicant, **overrides):
    headers, code = new_applicant()
    payload = application_payload(code, **overrides)
    created = client.post("/api/v1/applications", json=payload, headers=headers)
    assert created.status_code == 201, created.json
    return client.post(f"/api/v1/applications/{created.json['id']}/submit", headers=headers)


def _errors(resp) -> list[tuple[str, str | None]]:
    body = assert_problem(resp, 422)
    for e in body["errors"]:
        assert e["message"] and e["row"] is None
    return [(e["code"], e["field"]) for e in body["errors"]]


def test_a_complete_application_is_submitted(client, new_applicant):
    resp = _submit(client, new_applicant)
    assert resp.status_code == 200, resp.json
    assert resp.json["status"] == "submitted" and resp.json["submitted_at"]
    assert [h["action"] for h in resp.json["history"]] == ["create", "submit"]


def test_fewer_than_four_teachers_for_a_specialty_is_too_few(client, new_applicant):
    teachers = [teacher() for _ in range(3)] + [teacher(specialties=["公需科目"])]
    resp = _submit(client, new_applicant, teachers=teachers)
    assert _errors(resp) == [("too_few_teachers", "电子信息")]


def test_each_specialty_needs_its_own_four_teachers(client, new_applicant):
    specialties = [
        {"name": "电子信息", "levels": ["senior"], "audiences": ["public"]},
        {"name": "土木建筑", "levels": ["junior"], "audiences": ["internal"]},
    ]
    teachers = [teacher(specialties=["电子信息", "土木建筑"]) for _ in range(3)] + [teacher()]
    resp = _submit(client, new_applicant, teachers=teachers, specialties=specialties)
    assert _errors(resp) == [("too_few_teachers", "土木建筑")]


def test_a_teacher_below_bachelor_is_refused(client, new_applicant):
    teachers = [teacher() for _ in range(4)]
    teachers[2]["education"] = "associate"
    resp = _submit(client, new_applicant, teachers=teachers)
    assert _errors(resp) == [("teacher_education_too_low", "teachers[2].education")]


def test_a_teacher_below_associate_senior_is_refused(client, new_applicant):
    teachers = [teacher() for _ in range(4)]
    teachers[1]["title"] = "intermediate"
    resp = _submit(client, new_applicant, teachers=teachers)
    assert _errors(resp) == [("teacher_title_too_low", "teachers[1].title")]


@pytest.mark.parametrize("education", ["doctorate", "master", "bachelor"])
def test_bachelor_and_above_are_accepted(client, new_applicant, education):
    teachers = [teacher(education=education, title="senior") for _ in range(4)]
    assert _submit(client, new_applicant, teachers=teachers).status_code == 200


def test_fewer_than_1000_trainees_a_year_is_capacity_too_low(client, new_applicant):
    resp = _submit(client, new_applicant, capacity={"yearly_trainees": 999})
    assert _errors(resp) == [("capacity_too_low", "capacity.yearly_trainees")]


def test_exactly_1000_trainees_a_year_is_enough(client, new_applicant):
    resp = _submit(client, new_applicant, capacity={"yearly_trainees": 1000})
    assert resp.status_code == 200


def test_the_capacity_minimum_comes_from_the_yearly_rules(client, new_applicant, admin_headers):
    from jxjd.common.time import local_today

    year = local_today().year
    client.put(f"/api/v1/rules/{year}", json={"min_trainees": 1500}, headers=admin_headers)
    resp = _submit(client, new_applicant, capacity={"yearly_trainees": 1200})
    assert _errors(resp) == [("capacity_too_low", "capacity.yearly_trainees")]


def test_an_invalid_credit_code_is_reported_at_submit(client, new_applicant):
    headers, code = new_applicant()
    wrong = code[:17] + ("0" if code[17] != "0" else "1")
    resp = client.post("/api/v1/applications", json=application_payload(wrong), headers=headers)
    assert resp.status_code == 201
    resp = client.post(f"/api/v1/applications/{resp.json['id']}/submit", headers=headers)
    assert _errors(resp) == [("invalid_credit_code", "credit_code")]


def test_an_invalid_teacher_id_number_is_reported_at_submit(client, new_applicant):
    teachers = [teacher() for _ in range(4)]
    teachers[3]["id_number"] = "110101202311012171"
    resp = _submit(client, new_applicant, teachers=teachers)
    assert _errors(resp) == [("invalid_id_number", "teachers[3].id_number")]


def test_a_barred_unit_is_not_heard_again(client, new_applicant, create_base_in):
    headers, code = new_applicant()
    create_base_in("barred", credit_code=code)
    created = client.post("/api/v1/applications", json=application_payload(code), headers=headers)
    resp = client.post(f"/api/v1/applications/{created.json['id']}/submit", headers=headers)
    assert _errors(resp) == [("applicant_barred", "credit_code")]


def test_a_revoked_unit_is_not_heard_again(client, new_applicant, create_base_in):
    headers, code = new_applicant()
    create_base_in("revoked", credit_code=code)
    created = client.post("/api/v1/applications", json=application_payload(code), headers=headers)
    resp = client.post(f"/api/v1/applications/{created.json['id']}/submit", headers=headers)
    assert _errors(resp) == [("applicant_barred", "credit_code")]


@pytest.mark.parametrize("status", ["recognized", "rectifying"])
def test_a_unit_that_is_already_a_base_is_a_duplicate(
    client, new_applicant, create_base_in, status
):
    headers, code = new_applicant()
    create_base_in(status, credit_code=code)
    created = client.post("/api/v1/applications", json=application_payload(code), headers=headers)
    resp = client.post(f"/api/v1/applications/{created.json['id']}/submit", headers=headers)
    assert_problem(resp, 409, "duplicate_credit_code")


def test_every_failed_condition_is_listed_together(client, new_applicant):
    headers, code = new_applicant()
    teachers = [
        teacher(education="associate"),
        teacher(title="junior", id_number="360426199101010072"),
        teacher(education="other", title="none"),
    ]
    payload = application_payload(code, teachers=teachers, capacity={"yearly_trainees": 200})
    created = client.post("/api/v1/applications", json=payload, headers=headers)
    resp = client.post(f"/api/v1/applications/{created.json['id']}/submit", headers=headers)
    assert sorted(_errors(resp)) == sorted(
        [
            ("capacity_too_low", "capacity.yearly_trainees"),
            ("too_few_teachers", "电子信息"),
            ("teacher_education_too_low", "teachers[0].education"),
            ("invalid_id_number", "teachers[1].id_number"),
            ("teacher_title_too_low", "teachers[1].title"),
            ("teacher_education_too_low", "teachers[2].education"),
            ("teacher_title_too_low", "teachers[2].title"),
        ]
    )
    again = client.get(f"/api/v1/applications/{created.json['id']}", headers=headers)
    assert again.json["status"] == "draft"


def test_invalid_credit_code_and_barred_rules_combine_with_the_others(
    client, new_applicant, create_base_in
):
    headers, code = new_applicant()
    create_base_in("barred", credit_code=code)
    payload = application_payload(code, capacity={"yearly_trainees": 10})
    created = client.post("/api/v1/applications", json=payload, headers=headers)
    resp = client.post(f"/api/v1/applications/{created.json['id']}/submit", headers=headers)
    assert sorted(_errors(resp)) == [
        ("applicant_barred", "credit_code"),
        ("capacity_too_low", "capacity.yearly_trainees"),
    ]


def test_missing_required_fields_are_listed_with_their_paths(client, new_applicant):
    headers, _ = new_applicant()
    body = {
        "teachers": [{"name": "", "specialties": ["电子信息"]}],
        "specialties": [{"name": "电子信息"}],
    }
    created = client.post("/api/v1/applications", json=body, headers=headers)
    resp = client.post(f"/api/v1/applications/{created.json['id']}/submit", headers=headers)
    errors = _errors(resp)
    required = {field for code, field in errors if code == "required"}
    assert required >= {
        "unit_name",
        "department",
        "address",
        "leader.name",
        "contact.name",
        "contact.phone",
        "capacity.yearly_trainees",
        "specialties[0].levels",
        "specialties[0].audiences",
        "teachers[0].name",
        "teachers[0].id_number",
        "teachers[0].education",
        "teachers[0].title",
    }
    assert ("too_few_teachers", "电子信息") in errors
    assert all("请填写" in e["message"] for e in resp.json["errors"] if e["code"] == "required")


def test_no_specialty_at_all_is_required(client, new_applicant):
    resp = _submit(client, new_applicant, specialties=[])
    assert _errors(resp) == [("required", "specialties")]


def test_messages_are_in_chinese(client, new_applicant):
    resp = _submit(client, new_applicant, capacity={"yearly_trainees": 10})
    message = resp.json["errors"][0]["message"]
    assert "1000" in message and "每年培训" in message


def test_submitting_twice_is_an_invalid_transition(client, new_applicant, create_application):
    headers, code = new_applicant()
    application = create_application("submitted", credit_code=code)
    resp = client.post(f"/api/v1/applications/{application.id}/submit", headers=headers)
    assert_problem(resp, 409, "invalid_transition")


def test_only_the_applicant_itself_submits(client, make_headers, new_applicant, create_application):
    application = create_application()
    other_headers, _ = new_applicant()
    url = f"/api/v1/applications/{application.id}/submit"
    assert_problem(client.post(url, headers=other_headers), 403, "forbidden")
    assert_problem(client.post(url, headers=make_headers("admin")), 403, "forbidden")
    dept = make_headers("dept", department=application.department)
    assert_problem(client.post(url, headers=dept), 403, "forbidden")


def test_the_same_teacher_twice_is_a_warning_for_reviewers(client, new_applicant):
    same = teacher()
    teachers = [same, dict(same), teacher(), teacher(), teacher()]
    resp = _submit(client, new_applicant, teachers=teachers)
    assert resp.status_code == 200
    assert [w["code"] for w in resp.json["warnings"]] == ["duplicate_teacher"]
    assert resp.json["warnings"][0]["field"] == "teachers[1].id_number"


def test_a_teacher_listed_twice_counts_once_towards_the_four(client, new_applicant):
    same = teacher()
    resp = _submit(client, new_applicant, teachers=[same, dict(same), teacher(), teacher()])
    assert ("too_few_teachers", "电子信息") in _errors(resp)


def test_credit_code_check_characters_are_normalised(client, new_applicant):
    headers, code = new_applicant()
    payload = application_payload(code.lower())
    resp = client.post("/api/v1/applications", json=payload, headers=headers)
    assert resp.json["credit_code"] == code
    assert credit_check_char(code[:17]) == code[17]
