"""POST /api/v1/credits and its review (CONTRACT §14): who enters, hours from the table, states."""

from __future__ import annotations

import io

import pytest

from jxjd.audit.services import events_for
from jxjd.credits.models import Credit, CreditEvidence
from jxjd.extensions import db
from tests.conftest import assert_problem
from tests.credits.conftest import PDF_BYTES, credit_body, png_bytes
from tests.fixtures.attendance import trainee

DEPT = "湖南省教育厅"


def _post(client, headers, body):
    return client.post("/api/v1/credits", json=body, headers=headers)


def test_admin_enters_a_credit_hours_from_the_table_and_the_rule_version(client, admin_headers):
    resp = _post(client, admin_headers, credit_body(trainee(), quantity=3))
    assert resp.status_code == 201, resp.json
    assert resp.json["status"] == "pending" and resp.json["category"] == "professional"
    assert resp.json["hours"] == 40  # 3 papers × 20 = 60, capped at 40 for a paper
    credit = db.session.get(Credit, resp.json["id"])
    assert (credit.rule_version, credit.hours_per_unit, credit.yearly_cap) == (0, 20, 40)
    assert [e.action for e in events_for("credit", credit.id)] == ["credit.create"]


def test_given_hours_above_the_cap_are_refused(client, admin_headers):
    resp = _post(client, admin_headers, credit_body(trainee(), quantity=None, hours=41))
    assert_problem(resp, 422, "hours_exceed_cap")
    assert db.session.scalar(db.select(db.func.count(Credit.id))) == 0


def test_a_new_table_version_is_kept_by_new_credits_only(client, admin_headers):
    first = _post(client, admin_headers, credit_body(trainee())).json
    forms = client.get("/api/v1/rules/2026/conversions", headers=admin_headers).json["forms"]
    for f in forms:
        if f["form"] == "paper":
            f["hours_per_unit"] = 10
    client.put("/api/v1/rules/2026/conversions", json={"forms": forms}, headers=admin_headers)
    second = _post(client, admin_headers, credit_body(trainee())).json
    assert (first["hours"], first["rule_version"]) == (20, 0)
    assert (second["hours"], second["rule_version"]) == (10, 1)
    assert db.session.get(Credit, first["id"]).hours == 20


@pytest.mark.parametrize(
    ("change", "code"),
    [
        ({"form": "lecture"}, "invalid_form"),
        ({"end_date": "2026-04-01"}, "invalid_dates"),
        ({"year": 2025}, "invalid_dates"),
        ({"quantity": None}, "required"),
        ({"id_number": "360426199101010072"}, "invalid_id_number"),
        ({"title": "x" * 201}, "too_long"),
        ({"provider": "a\u202eb"}, "invalid_characters"),
        ({"quantity": -1}, "out_of_range"),
    ],
)
def test_a_bad_entry_is_refused_and_stores_nothing(client, admin_headers, change, code):
    assert_problem(_post(client, admin_headers, credit_body(trainee(), **change)), 422, code)
    assert db.session.scalar(db.select(db.func.count(Credit.id))) == 0


def test_the_form_may_be_given_by_its_chinese_label(client, admin_headers):
    resp = _post(client, admin_headers, credit_body(trainee(), form="学术会议", quantity=2))
    assert resp.status_code == 201 and resp.json["form"] == "conference"
    assert resp.json["hours"] == 16


def test_the_same_activity_twice_is_refused_while_it_is_live(client, admin_headers):
    body = credit_body(trainee())
    first = _post(client, admin_headers, body).json
    assert_problem(_post(client, admin_headers, body), 409, "credit_exists")
    client.post(
        f"/api/v1/credits/{first['id']}/reject", json={"opinion": "材料不全"}, headers=admin_headers
    )
    assert _post(client, admin_headers, body).status_code == 201  # re-entered after a rejection


def test_a_credit_duplicating_a_base_record_is_refused(client, admin_headers, trained):
    person, target = trained()
    body = credit_body(
        person,
        form="employer_training",
        quantity=24,
        title=target.session.title,
        start_date="2026-03-02",
        end_date="2026-03-02",
    )
    assert_problem(_post(client, admin_headers, body), 409, "duplicate_credit")
    other_title = _post(client, admin_headers, {**body, "title": "另一个培训"})
    assert other_title.status_code == 201


def test_a_department_enters_for_people_trained_at_its_bases_only(client, make_headers, trained):
    person, _ = trained(department=DEPT)
    elsewhere, _ = trained(department="湖南省住房和城乡建设厅")
    dept = make_headers("dept", department=DEPT)
    assert _post(client, dept, credit_body(person)).status_code == 201
    refused = _post(client, dept, credit_body(elsewhere))
    unknown = _post(client, dept, credit_body(trainee()))
    assert assert_problem(refused, 404, "unknown_person")["detail"] == unknown.json["detail"]


def test_an_employer_enters_for_its_staff_and_sees_only_its_entries(client, make_headers, trained):
    person, _ = trained(employer="长沙某某医院")
    other, _ = trained()
    employer = make_headers("employer", name="长沙某某医院")
    created = _post(client, employer, credit_body(person))
    assert created.status_code == 201
    assert_problem(_post(client, employer, credit_body(other)), 404, "unknown_person")
    _post(client, make_headers("admin"), credit_body(other))
    listed = client.get("/api/v1/credits", headers=employer).json["credits"]
    assert [c["id"] for c in listed] == [created.json["id"]]
    assert db.session.get(Credit, created.json["id"]).source == "employer"


def _person_headers(make_headers, row):
    return make_headers("person", id_number=row["id_number"], name=row["name"])


def test_a_person_claims_with_evidence_and_sees_it_pending(client, make_headers, trained):
    person, _ = trained()
    headers = _person_headers(make_headers, person)
    body = credit_body(person, form="conference", quantity=1)
    assert_problem(_post(client, headers, body), 422, "evidence_required")
    data = {k: str(v) for k, v in body.items()} | {"evidence": (io.BytesIO(png_bytes()), "p.png")}
    resp = client.post(
        "/api/v1/credits", data=data, headers=headers, content_type="multipart/form-data"
    )
    assert resp.status_code == 201, resp.json
    mine = client.get("/api/v1/credits?status=pending", headers=headers).json["credits"]
    assert [(c["id"], c["status"], c["has_evidence"]) for c in mine] == [
        (resp.json["id"], "pending", True)
    ]
    file = client.get(f"/api/v1/credits/{resp.json['id']}/evidence", headers=headers)
    assert file.status_code == 200 and file.mimetype == "image/png"
    assert file.data == db.session.get(CreditEvidence, resp.json["id"]).data
    someone = {k: str(v) for k, v in credit_body(trainee()).items()}
    someone["evidence"] = (io.BytesIO(png_bytes()), "p.png")
    refused = client.post(
        "/api/v1/credits", data=someone, headers=headers, content_type="multipart/form-data"
    )
    assert_problem(refused, 403)


@pytest.mark.parametrize(
    ("content", "status", "code"),
    [
        (b"<html><script>alert(1)</script></html>", 415, "unsupported_evidence"),
        (b"GIF89a" + b"\0" * 20, 415, "unsupported_evidence"),
        (b"\x89PNG\r\n\x1a\n" + b"garbage" * 10, 422, "invalid_evidence"),
        (b"%PDF-1.4 truncated", 422, "invalid_evidence"),
        (PDF_BYTES + b"\0" * 4096, 413, "evidence_too_large"),
    ],
)
def test_evidence_is_checked_by_content_and_size(
    monkeypatch, client, make_headers, trained, content, status, code
):
    monkeypatch.setattr("jxjd.credits.evidence.MAX_EVIDENCE_BYTES", 4096)
    person, _ = trained()
    headers = _person_headers(make_headers, person)
    body = {k: str(v) for k, v in credit_body(person).items()}
    data = body | {"evidence": (io.BytesIO(content), "evidence.pdf")}
    resp = client.post(
        "/api/v1/credits", data=data, headers=headers, content_type="multipart/form-data"
    )
    assert_problem(resp, status, code)
    assert db.session.scalar(db.select(db.func.count(Credit.id))) == 0


def test_a_pdf_claim_is_accepted(client, make_headers, trained):
    person, _ = trained()
    headers = _person_headers(make_headers, person)
    data = {k: str(v) for k, v in credit_body(person).items()} | {
        "evidence": (io.BytesIO(PDF_BYTES), "论文.pdf")
    }
    resp = client.post(
        "/api/v1/credits", data=data, headers=headers, content_type="multipart/form-data"
    )
    assert resp.status_code == 201


def test_review_moves_are_audited_and_wrong_moves_are_409(
    client, admin_headers, make_headers, trained
):
    person, _ = trained(department=DEPT)
    dept = make_headers("dept", department=DEPT)
    credit_id = _post(client, admin_headers, credit_body(person)).json["id"]
    assert_problem(
        client.post(f"/api/v1/credits/{credit_id}/revoke", json={"opinion": "x"}, headers=dept),
        409,
        "invalid_transition",
    )
    assert_problem(
        client.post(f"/api/v1/credits/{credit_id}/reject", json={}, headers=dept), 422, "required"
    )
    ok = client.post(
        f"/api/v1/credits/{credit_id}/approve", json={"opinion": "材料齐全"}, headers=dept
    )
    assert (
        ok.status_code == 200
        and ok.json["status"] == "approved"
        and ok.json["opinion"] == "材料齐全"
    )
    again = client.post(f"/api/v1/credits/{credit_id}/approve", json={}, headers=dept)
    assert_problem(again, 409, "invalid_transition")
    revoked = client.post(
        f"/api/v1/credits/{credit_id}/revoke", json={"opinion": "材料造假"}, headers=admin_headers
    )
    assert revoked.json["status"] == "revoked"
    events = [(e.action, e.summary.get("to_status")) for e in events_for("credit", credit_id)]
    assert events == [
        ("credit.create", None),
        ("credit.approved", "approved"),
        ("credit.revoked", "revoked"),
    ]


def test_a_department_cannot_review_outside_its_scope(client, admin_headers, make_headers, trained):
    person, _ = trained(department="湖南省住房和城乡建设厅")
    credit_id = _post(client, admin_headers, credit_body(person)).json["id"]
    dept = make_headers("dept", department=DEPT)
    assert_problem(client.post(f"/api/v1/credits/{credit_id}/approve", json={}, headers=dept), 403)
    assert client.get("/api/v1/credits", headers=dept).json["credits"] == []
    assert db.session.get(Credit, credit_id).status == "pending"


def test_the_list_filters_and_pages(client, admin_headers):
    ids = [_post(client, admin_headers, credit_body(trainee())).json["id"] for _ in range(3)]
    client.post(f"/api/v1/credits/{ids[0]}/approve", json={}, headers=admin_headers)
    resp = client.get("/api/v1/credits?status=pending&per_page=1", headers=admin_headers)
    assert resp.headers["X-Total-Count"] == "2" and len(resp.json["credits"]) == 1
    assert_problem(
        client.get("/api/v1/credits?status=odd", headers=admin_headers), 422, "invalid_parameter"
    )
    assert client.get("/api/v1/credits?year=2025", headers=admin_headers).json["credits"] == []
