"""Change filing (第三十一条): a base files new name, address or contacts; the HR dept accepts."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from jxjd.bases.models import Base
from jxjd.extensions import db
from tests.conftest import assert_problem

CHANGE = {
    "name": "湖南某某职业技术大学继续教育学院",
    "contact": {"phone": "0731-99999999"},
    "note": "学校更名",
}


@pytest.fixture
def base_and_headers(create_base, make_headers):
    base = create_base()
    return base, make_headers("base", base_id=base.id)


def test_a_base_files_a_change_that_waits_for_acceptance(client, base_and_headers):
    base, headers = base_and_headers
    resp = client.post(f"/api/v1/bases/{base.id}/changes", json=CHANGE, headers=headers)
    assert resp.status_code == 201, resp.json
    assert resp.json["status"] == "pending"
    assert {(c["field"], c["old"], c["new"]) for c in resp.json["changes"]} == {
        ("name", "湖南某某职业技术学院继续教育学院", "湖南某某职业技术大学继续教育学院"),
        ("contact.phone", "0731-88888888", "0731-99999999"),
    }
    assert resp.json["filed_by"]["role"] == "base"
    db.session.refresh(base)
    assert base.name == "湖南某某职业技术学院继续教育学院"  # unchanged until accepted


def test_accepting_updates_the_base_and_keeps_the_history(client, base_and_headers, make_headers):
    base, headers = base_and_headers
    admin = make_headers("admin")
    filed = client.post(f"/api/v1/bases/{base.id}/changes", json=CHANGE, headers=headers).json
    resp = client.post(f"/api/v1/base-changes/{filed['id']}/accept", json={}, headers=admin)
    assert resp.status_code == 200, resp.json
    assert resp.json["status"] == "accepted" and resp.json["decided_by"]["role"] == "admin"
    assert resp.json["decided_at"]
    base = db.session.get(Base, base.id, populate_existing=True)
    assert base.name == "湖南某某职业技术大学继续教育学院"
    assert base.contact_phone == "0731-99999999"
    second = client.post(
        f"/api/v1/bases/{base.id}/changes", json={"address": "长沙市天心区"}, headers=admin
    ).json
    client.post(f"/api/v1/base-changes/{second['id']}/accept", headers=admin)
    history = client.get(f"/api/v1/bases/{base.id}/changes", headers=headers).json["changes"]
    assert [h["status"] for h in history] == ["accepted", "accepted"]
    assert history[1]["changes"] == [
        {"field": "address", "label": "地址", "old": "长沙市岳麓区", "new": "长沙市天心区"}
    ]
    entry = client.get("/api/v1/directory").json["bases"][0]
    assert entry["name"] == "湖南某某职业技术大学继续教育学院"
    assert entry["address"] == "长沙市天心区"
    assert entry["contact"]["phone"] == "0731-99999999"


def test_rejecting_keeps_the_base_as_it_was(client, base_and_headers, make_headers):
    base, headers = base_and_headers
    admin = make_headers("admin")
    filed = client.post(f"/api/v1/bases/{base.id}/changes", json=CHANGE, headers=headers).json
    resp = client.post(
        f"/api/v1/base-changes/{filed['id']}/reject", json={"reason": "缺少更名批文"}, headers=admin
    )
    assert resp.status_code == 200
    assert resp.json["status"] == "rejected" and resp.json["decision_reason"] == "缺少更名批文"
    assert db.session.get(Base, base.id, populate_existing=True).contact_phone == "0731-88888888"


def test_a_rejection_needs_a_reason(client, base_and_headers, make_headers):
    base, headers = base_and_headers
    filed = client.post(f"/api/v1/bases/{base.id}/changes", json=CHANGE, headers=headers).json
    resp = client.post(
        f"/api/v1/base-changes/{filed['id']}/reject", json={}, headers=make_headers("admin")
    )
    assert_problem(resp, 422, "required")


def test_a_decided_filing_cannot_be_decided_again(client, base_and_headers, make_headers):
    base, headers = base_and_headers
    admin = make_headers("admin")
    filed = client.post(f"/api/v1/bases/{base.id}/changes", json=CHANGE, headers=headers).json
    client.post(f"/api/v1/base-changes/{filed['id']}/accept", headers=admin)
    for action, body in (("accept", {}), ("reject", {"reason": "迟了"})):
        resp = client.post(f"/api/v1/base-changes/{filed['id']}/{action}", json=body, headers=admin)
        assert_problem(resp, 409, "invalid_transition")


def test_a_base_files_only_for_itself(client, create_base, base_and_headers):
    other = create_base()
    _, headers = base_and_headers
    resp = client.post(f"/api/v1/bases/{other.id}/changes", json=CHANGE, headers=headers)
    assert_problem(resp, 403, "forbidden")
    assert_problem(client.get(f"/api/v1/bases/{other.id}/changes", headers=headers), 403)


def test_departments_read_but_do_not_file_or_decide(client, base_and_headers, make_headers):
    base, headers = base_and_headers
    dept = make_headers("dept", department=base.department)
    assert_problem(client.post(f"/api/v1/bases/{base.id}/changes", json=CHANGE, headers=dept), 403)
    filed = client.post(f"/api/v1/bases/{base.id}/changes", json=CHANGE, headers=headers).json
    assert client.get(f"/api/v1/bases/{base.id}/changes", headers=dept).status_code == 200
    other_dept = make_headers("dept", department="湖南省财政厅")
    assert_problem(client.get(f"/api/v1/bases/{base.id}/changes", headers=other_dept), 403)
    for who in (dept, headers):
        assert_problem(client.post(f"/api/v1/base-changes/{filed['id']}/accept", headers=who), 403)


def test_a_filing_must_change_something(client, base_and_headers):
    base, headers = base_and_headers
    for body in ({}, {"address": base.address}, {"note": "无"}):
        resp = client.post(f"/api/v1/bases/{base.id}/changes", json=body, headers=headers)
        assert_problem(resp, 422, "no_changes")


def test_a_name_cannot_be_blank(client, base_and_headers):
    base, headers = base_and_headers
    resp = client.post(f"/api/v1/bases/{base.id}/changes", json={"name": ""}, headers=headers)
    assert_problem(resp, 422, "invalid_name")


def test_unknown_base_or_filing_is_not_found(client, make_headers):
    admin = make_headers("admin")
    assert_problem(client.post("/api/v1/bases/999/changes", json=CHANGE, headers=admin), 404)
    assert_problem(client.post("/api/v1/base-changes/999/accept", headers=admin), 404)


def test_pending_filings_are_listed_for_the_hr_department(client, base_and_headers, make_headers):
    base, headers = base_and_headers
    admin = make_headers("admin")
    first = client.post(f"/api/v1/bases/{base.id}/changes", json=CHANGE, headers=headers).json
    client.post(f"/api/v1/bases/{base.id}/changes", json={"address": "新地址"}, headers=headers)
    client.post(f"/api/v1/base-changes/{first['id']}/accept", headers=admin)
    pending = client.get("/api/v1/base-changes?status=pending", headers=admin).json["changes"]
    assert [c["changes"][0]["new"] for c in pending] == ["新地址"]


def test_filing_and_deciding_are_audited(client, base_and_headers, make_headers):
    from jxjd.audit.services import events_for

    base, headers = base_and_headers
    filed = client.post(f"/api/v1/bases/{base.id}/changes", json=CHANGE, headers=headers).json
    client.post(f"/api/v1/base-changes/{filed['id']}/accept", headers=make_headers("admin"))
    actions = [e.action for e in events_for("base", base.id)]
    assert actions[-2:] == ["base.change.file", "base.change.accept"]


@pytest.mark.parametrize("status", ["revoked", "barred"])
def test_a_revoked_or_barred_base_files_no_change(client, create_base_in, make_headers, status):
    from jxjd.bases.models import BaseChange

    base = create_base_in(status)
    for headers in (make_headers("base", base_id=base.id), make_headers("admin")):
        resp = client.post(f"/api/v1/bases/{base.id}/changes", json=CHANGE, headers=headers)
        assert_problem(resp, 422, "base_not_active")
    assert db.session.scalar(sa.select(sa.func.count()).select_from(BaseChange)) == 0


def test_a_rectifying_base_still_files_a_change(client, create_base_in, make_headers):
    base = create_base_in("rectifying")
    headers = make_headers("base", base_id=base.id)
    resp = client.post(f"/api/v1/bases/{base.id}/changes", json=CHANGE, headers=headers)
    assert resp.status_code == 201, resp.json
