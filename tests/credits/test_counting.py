"""Approved credits count in the archive, review checks and registration entries (CONTRACT §14)."""

from __future__ import annotations

from tests.credits.conftest import credit_body
from tests.fixtures.attendance import trainee

# Online 公需 hours are time spent on calendar days: 30 of them span weeks (the daily cap).
SPRING = {"title": "公需", "start_date": "2026-03-01", "end_date": "2026-04-30"}


def _credit(client, headers, row, **change):
    resp = client.post("/api/v1/credits", json=credit_body(row, **change), headers=headers)
    assert resp.status_code == 201, resp.json
    return resp.json["id"]


def _archive(client, headers, row):
    resp = client.post(
        "/api/v1/archive/query",
        json={"id_number": row["id_number"], "from": 2026, "to": 2026},
        headers=headers,
    )
    assert resp.status_code == 200, resp.json
    return resp.json


def _approve(client, headers, credit_id):
    resp = client.post(f"/api/v1/credits/{credit_id}/approve", json={}, headers=headers)
    assert resp.status_code == 200, resp.json


def test_compliant_only_with_approved_credits_and_not_once_one_is_revoked(client, admin_headers):
    row = trainee()
    general = _credit(client, admin_headers, row, form="online_general", quantity=30, **SPRING)
    papers = _credit(client, admin_headers, row, form="paper", quantity=2, title="论文两篇")
    research = _credit(client, admin_headers, row, form="research", quantity=1, title="课题")
    pending = _credit(client, admin_headers, row, form="book", quantity=1, title="专著")
    rejected = _credit(client, admin_headers, row, form="conference", quantity=2, title="年会")
    client.post(
        f"/api/v1/credits/{rejected}/reject", json={"opinion": "无参会证明"}, headers=admin_headers
    )
    for credit_id in (general, papers, research):
        _approve(client, admin_headers, credit_id)
    year = _archive(client, admin_headers, row)["years"][0]
    # 30 公需 + 40 papers + 30 research = 100; the pending book and rejected conference: 0.
    assert (year["general_hours"], year["professional_hours"]) == (30, 70)
    assert year["compliant"] is True
    body = _archive(client, admin_headers, row)
    external = [r for r in body["records"] if r["source"] == "external"]
    assert {r["credit_id"] for r in external} == {general, papers, research}
    assert {r["provider"] for r in external} == {"湖南医学杂志"}
    revoke = client.post(
        f"/api/v1/credits/{papers}/revoke", json={"opinion": "论文撤稿"}, headers=admin_headers
    )
    assert revoke.status_code == 200
    year = _archive(client, admin_headers, row)["years"][0]
    assert (year["professional_hours"], year["compliant"]) == (30, False)
    assert year["shortfall"]["professional"] == 30
    assert pending  # still pending: never counted


def test_a_forms_yearly_cap_holds_across_credits(client, admin_headers):
    row = trainee()
    first = _credit(client, admin_headers, row, form="paper", quantity=1, title="论文一")
    second = _credit(client, admin_headers, row, form="paper", quantity=2, title="论文二")
    _approve(client, admin_headers, first)
    _approve(client, admin_headers, second)
    body = _archive(client, admin_headers, row)
    assert body["years"][0]["professional_hours"] == 40  # 20 + 40, capped at 40 a year
    second_record = next(r for r in body["records"] if r["credit_id"] == second)
    assert (second_record["hours"], second_record["recorded_hours"]) == (20, 40)
    assert second_record["status"] == "capped"


def test_review_checks_and_registration_entries_count_approved_credits(
    client, admin_headers, make_headers
):
    row = trainee()
    credit_id = _credit(client, admin_headers, row, form="online_general", quantity=12, **SPRING)
    person = make_headers("person", id_number=row["id_number"], name=row["name"])
    entries = client.get("/api/v1/me/registration/2026", headers=person).json
    assert entries["entries"] == []
    _approve(client, admin_headers, credit_id)
    entries = client.get("/api/v1/me/registration/2026", headers=person).json
    (entry,) = entries["entries"]
    assert (entry["source"], entry["provider"], entry["hours"]) == ("external", "湖南医学杂志", 12)
    assert entries["summary"]["general_hours"] == 12
    archive = client.get("/api/v1/me/archive?from=2026&to=2026", headers=person).json
    assert archive["years"][0]["general_hours"] == 12
    page = client.get("/api/v1/me/archive?from=2026&to=2026", headers=person)
    assert page.status_code == 200
