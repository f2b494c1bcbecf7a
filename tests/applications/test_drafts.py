"""Drafts of the 申请表: saving, resuming, replacing, scope, and the teachers' ID numbers."""

from __future__ import annotations

import sqlalchemy as sa

from jxjd.applications.models import ApplicationTeacher
from jxjd.extensions import db
from tests.conftest import assert_problem
from tests.fixtures.applications import application_payload, new_id_number, teacher
from tests.fixtures.bases import new_credit_code


def test_applicant_creates_a_draft_with_every_field_of_the_form(client, new_applicant):
    headers, code = new_applicant()
    payload = application_payload(code)
    resp = client.post("/api/v1/applications", json=payload, headers=headers)
    assert resp.status_code == 201, resp.json
    body = resp.json
    assert body["status"] == "draft" and isinstance(body["id"], int)
    for key in ("unit_name", "credit_code", "department", "address", "postcode", "email"):
        assert body[key] == payload[key]
    assert body["leader"] == payload["leader"]
    assert body["contact"] == payload["contact"]
    assert body["capacity"] == payload["capacity"]
    assert body["facilities"] == payload["facilities"]
    for key, value in payload["staff"].items():
        assert body["staff"][key] == value
    assert body["managers"] == payload["managers"]
    assert body["specialties"] == payload["specialties"]
    sent = payload["teachers"][0]
    got = body["teachers"][0]
    for key in ("name", "education", "graduated_from", "major", "graduated_year", "title"):
        assert got[key] == sent[key]
    assert got["full_time"] is True and got["years_teaching"] == 8
    assert got["specialties"] == ["电子信息"]
    assert got["id_masked"] == sent["id_number"][:6] + "*" * 8 + sent["id_number"][-4:]
    assert [h["action"] for h in body["history"]] == ["create"]


def test_an_empty_draft_can_be_saved_and_takes_the_applicants_credit_code(client, new_applicant):
    headers, code = new_applicant()
    resp = client.post("/api/v1/applications", json={}, headers=headers)
    assert resp.status_code == 201
    assert resp.json["credit_code"] == code
    assert resp.json["teachers"] == [] and resp.json["capacity"]["yearly_trainees"] is None


def test_outputs_never_contain_a_teachers_full_id_number(client, new_applicant, make_headers):
    headers, code = new_applicant()
    payload = application_payload(code)
    resp = client.post("/api/v1/applications", json=payload, headers=headers)
    app_id = resp.json["id"]
    admin = make_headers("admin")
    for h in (headers, admin):
        text = client.get(f"/api/v1/applications/{app_id}", headers=h).get_data(as_text=True)
        for t in payload["teachers"]:
            assert t["id_number"] not in text
        assert (
            "id_number"
            not in client.get(f"/api/v1/applications/{app_id}", headers=h).json["teachers"][0]
        )


def test_teacher_id_numbers_are_stored_encrypted_never_in_plaintext(client, new_applicant):
    headers, code = new_applicant()
    payload = application_payload(code)
    payload["teachers"].append(teacher(id_number="43010419900307001"))  # a typo, still stored
    client.post("/api/v1/applications", json=payload, headers=headers)
    numbers = [t["id_number"] for t in payload["teachers"]]
    with db.engine.connect() as conn:
        rows = conn.execute(sa.text("SELECT * FROM application_teachers")).all()
    assert len(rows) == 5
    for row in rows:
        for value in row:
            text = value.decode("latin-1") if isinstance(value, bytes) else str(value)
            assert not any(n in text for n in numbers)


def test_a_draft_keeps_an_invalid_id_number_until_submit(client, new_applicant):
    headers, code = new_applicant()
    payload = application_payload(code)
    payload["teachers"][0]["id_number"] = "360426199101010072"  # wrong check digit
    resp = client.post("/api/v1/applications", json=payload, headers=headers)
    assert resp.status_code == 201
    assert resp.json["teachers"][0]["id_masked"] == "360426********0072"
    stored = db.session.scalars(sa.select(ApplicationTeacher).order_by(ApplicationTeacher.seq))
    assert next(iter(stored)).id_encrypted is not None


def test_put_replaces_a_draft_and_can_keep_saved_id_numbers_by_teacher_id(client, new_applicant):
    headers, code = new_applicant()
    created = client.post(
        "/api/v1/applications", json=application_payload(code), headers=headers
    ).json
    kept = created["teachers"][0]
    replacement = application_payload(code, unit_name="湖南某某学院（更名）")
    replacement["teachers"] = [
        {**teacher(name="保留号码"), "id": kept["id"], "id_number": None},
        teacher(name="新教师", id_number=new_id_number()),
    ]
    replacement["teachers"][0].pop("id_number")
    resp = client.put(f"/api/v1/applications/{created['id']}", json=replacement, headers=headers)
    assert resp.status_code == 200, resp.json
    assert resp.json["unit_name"] == "湖南某某学院（更名）"
    assert [t["name"] for t in resp.json["teachers"]] == ["保留号码", "新教师"]
    assert resp.json["teachers"][0]["id_masked"] == kept["id_masked"]
    assert [h["action"] for h in resp.json["history"]] == ["create", "update"]


def test_put_without_a_part_empties_it(client, new_applicant):
    headers, code = new_applicant()
    created = client.post(
        "/api/v1/applications", json=application_payload(code), headers=headers
    ).json
    resp = client.put(
        f"/api/v1/applications/{created['id']}", json={"unit_name": "只剩名称"}, headers=headers
    )
    assert resp.json["teachers"] == [] and resp.json["managers"] == []
    assert resp.json["capacity"] == {"concurrent_trainees": None, "yearly_trainees": None}


def test_malformed_values_are_refused_even_in_a_draft(client, new_applicant):
    headers, code = new_applicant()
    payload = application_payload(code)
    payload["teachers"][0]["education"] = "phd"
    payload["capacity"]["yearly_trainees"] = "很多"
    payload["specialties"][0]["levels"] = ["expert"]
    resp = client.post("/api/v1/applications", json=payload, headers=headers)
    body = assert_problem(resp, 422, "invalid_choice")
    fields = {e["field"] for e in body["errors"]}
    assert "teachers[0].education" in fields
    assert "capacity.yearly_trainees" in fields
    assert any(f.startswith("specialties[0].levels") for f in fields)


def test_a_non_object_body_is_a_bad_request(client, new_applicant):
    headers, _ = new_applicant()
    resp = client.post(
        "/api/v1/applications",
        data="not json",
        headers={**headers, "Content-Type": "application/json"},
    )
    assert_problem(resp, 400, "bad_request")


def test_applicant_cannot_apply_for_another_units_credit_code(client, new_applicant):
    headers, _ = new_applicant()
    other = new_credit_code()
    resp = client.post("/api/v1/applications", json=application_payload(other), headers=headers)
    assert_problem(resp, 403, "credit_code_mismatch")


def test_only_an_applicant_creates_applications(client, make_headers, create_base):
    base = create_base()
    for headers in (
        make_headers("admin"),
        make_headers("dept", department="湖南省教育厅"),
        make_headers("base", base_id=base.id),
    ):
        resp = client.post("/api/v1/applications", json={}, headers=headers)
        assert_problem(resp, 403, "forbidden")
    assert_problem(client.post("/api/v1/applications", json={}), 401, "unauthorized")


def test_an_applicant_never_sees_another_units_application(
    client, new_applicant, create_application
):
    mine_headers, mine_code = new_applicant()
    mine = create_application(credit_code=mine_code)
    theirs = create_application()
    assert client.get(f"/api/v1/applications/{mine.id}", headers=mine_headers).status_code == 200
    assert_problem(
        client.get(f"/api/v1/applications/{theirs.id}", headers=mine_headers), 403, "forbidden"
    )
    assert_problem(
        client.put(f"/api/v1/applications/{theirs.id}", json={}, headers=mine_headers),
        403,
        "forbidden",
    )
    listed = client.get("/api/v1/applications", headers=mine_headers).json["applications"]
    assert [a["id"] for a in listed] == [mine.id]


def test_departments_see_only_their_departments_applications(
    client, make_headers, create_application
):
    ours = create_application(department="湖南省教育厅")
    other = create_application(department="湖南省卫生健康委员会")
    dept = make_headers("dept", department="湖南省教育厅")
    assert client.get(f"/api/v1/applications/{ours.id}", headers=dept).status_code == 200
    assert_problem(client.get(f"/api/v1/applications/{other.id}", headers=dept), 403, "forbidden")
    listed = client.get("/api/v1/applications", headers=dept).json["applications"]
    assert [a["id"] for a in listed] == [ours.id]
    admin = make_headers("admin")
    listed = client.get("/api/v1/applications", headers=admin).json["applications"]
    assert {a["id"] for a in listed} == {ours.id, other.id}


def test_bases_and_people_cannot_read_applications(
    client, make_headers, create_application, create_base
):
    application = create_application()
    base = create_base()
    headers = make_headers("base", base_id=base.id)
    assert_problem(
        client.get(f"/api/v1/applications/{application.id}", headers=headers), 403, "forbidden"
    )
    assert_problem(client.get("/api/v1/applications", headers=headers), 403, "forbidden")


def test_unknown_application_is_not_found(client, make_headers):
    assert_problem(
        client.get("/api/v1/applications/999", headers=make_headers("admin")), 404, "not_found"
    )


def test_list_filters_by_status(client, make_headers, create_application):
    draft = create_application()
    submitted = create_application("submitted")
    admin = make_headers("admin")
    listed = client.get("/api/v1/applications?status=submitted", headers=admin).json
    assert [a["id"] for a in listed["applications"]] == [submitted.id]
    assert draft.id != submitted.id


def test_a_submitted_application_is_frozen(client, new_applicant, create_application):
    headers, code = new_applicant()
    application = create_application("submitted", credit_code=code)
    resp = client.put(
        f"/api/v1/applications/{application.id}",
        json=application_payload(code),
        headers=headers,
    )
    assert_problem(resp, 409, "invalid_transition")
