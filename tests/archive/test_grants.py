"""Share grants (PIPL 第二十三条): created by the person, limited, withdrawable, every access logged."""

from __future__ import annotations

from datetime import timedelta

import sqlalchemy as sa

from jxjd.archive.models import Grant
from jxjd.common.time import utcnow
from jxjd.extensions import db
from tests.archive.conftest import LI, ZHANG
from tests.conftest import assert_problem


def grant(client, headers, **body):
    payload = {"employer_name": "湖南某某科技有限公司", "from": 2024, "to": 2025, "days": 30}
    payload.update(body)
    resp = client.post("/api/v1/me/grants", json=payload, headers=headers)
    assert resp.status_code == 201, resp.get_json()
    return resp.get_json()


def test_creating_a_grant_returns_an_unguessable_code(client, person_headers):
    body = grant(client, person_headers())
    assert set(body) >= {"code", "from", "to", "expires_at"}
    assert (body["from"], body["to"]) == (2024, 2025)
    assert len(body["code"]) >= 22
    assert body["expires_at"].endswith("+08:00")
    stored = db.session.scalar(sa.select(Grant))
    assert stored.code_hash != body["code"] and body["code"] not in stored.code_hash


def test_employer_reads_only_the_granted_years(client, earn, person_headers, make_headers):
    earn(ZHANG, "2023-05-05", "professional", 24)
    earn(ZHANG, "2024-05-05", "general", 8)
    earn(ZHANG, "2025-05-05", "professional", 16)
    code = grant(client, person_headers())["code"]
    resp = client.get(f"/api/v1/shared/{code}", headers=make_headers("employer", name="某公司"))
    assert resp.status_code == 200
    body = resp.get_json()
    assert [y["year"] for y in body["years"]] == [2024, 2025]
    assert {r["year"] for r in body["records"]} == {2024, 2025}
    assert body["summary"]["total_hours"] == 24
    assert body["person"] == {"name": "张三", "id_masked": "430104********0015"}
    assert body["grant"]["from"] == 2024 and body["grant"]["to"] == 2025


def test_shared_review_check_is_limited_to_granted_years(
    client, earn, person_headers, make_headers
):
    code = grant(client, person_headers(), **{"from": 2022, "to": 2025})["code"]
    resp = client.get(
        f"/api/v1/shared/{code}?level=senior&year=2026",
        headers=make_headers("employer", name="某公司"),
    )
    body = resp.get_json()["review_check"]
    assert body["span"] == {"from": 2021, "to": 2025, "years": 5}
    assert [y["year"] for y in body["years"]] == [2022, 2023, 2024, 2025]
    assert body["missing_years"] == [2021]
    assert body["all_years_compliant"] is False


def test_every_access_is_logged_and_listed_to_the_person(client, person_headers, make_headers):
    headers = person_headers()
    code = grant(client, headers)["code"]
    client.get(f"/api/v1/shared/{code}", headers=make_headers("employer", name="甲公司"))
    client.get(f"/api/v1/shared/{code}", headers=make_headers("employer", name="乙公司"))
    resp = client.get("/api/v1/me/grants", headers=headers)
    assert resp.status_code == 200
    (listed,) = resp.get_json()["grants"]
    assert listed["status"] == "active" and listed["employer_name"] == "湖南某某科技有限公司"
    assert "code" not in listed and code.startswith(listed["code_prefix"])
    assert [a["who"] for a in listed["accesses"]] == ["甲公司", "乙公司"]
    assert all(a["at"].endswith("+08:00") for a in listed["accesses"])


def test_an_unknown_code_is_404(client, make_headers):
    resp = client.get("/api/v1/shared/no-such-code", headers=make_headers("employer"))
    assert_problem(resp, 404, "unknown_grant")


def test_an_expired_code_is_410(client, person_headers, make_headers):
    code = grant(client, person_headers(), days=1)["code"]
    row = db.session.scalar(sa.select(Grant))
    row.expires_at = utcnow() - timedelta(seconds=1)
    db.session.commit()
    resp = client.get(f"/api/v1/shared/{code}", headers=make_headers("employer"))
    assert_problem(resp, 410, "grant_expired")


def test_a_withdrawn_code_is_410(client, person_headers, make_headers):
    headers = person_headers()
    code = grant(client, headers)["code"]
    resp = client.delete(f"/api/v1/me/grants/{code}", headers=headers)
    assert resp.status_code == 200 and resp.get_json()["status"] == "withdrawn"
    resp = client.get(f"/api/v1/shared/{code}", headers=make_headers("employer"))
    assert_problem(resp, 410, "grant_withdrawn")


def test_a_grant_can_be_withdrawn_by_its_id(client, person_headers):
    headers = person_headers()
    grant(client, headers)
    grant_id = client.get("/api/v1/me/grants", headers=headers).get_json()["grants"][0]["id"]
    resp = client.delete(f"/api/v1/me/grants/{grant_id}", headers=headers)
    assert resp.status_code == 200 and resp.get_json()["status"] == "withdrawn"


def test_a_person_cannot_withdraw_another_persons_grant(client, person_headers):
    code = grant(client, person_headers(ZHANG))["code"]
    resp = client.delete(f"/api/v1/me/grants/{code}", headers=person_headers(LI))
    assert_problem(resp, 404, "unknown_grant")


def test_shared_archive_needs_an_employer_or_admin_token(client, person_headers, make_headers):
    code = grant(client, person_headers(ZHANG))["code"]
    resp = client.get(f"/api/v1/shared/{code}", headers=person_headers(LI))
    assert_problem(resp, 403, "forbidden")
    assert_problem(client.get(f"/api/v1/shared/{code}"), 401, "unauthorized")
    admin = make_headers("admin")
    assert client.get(f"/api/v1/shared/{code}", headers=admin).status_code == 200


def test_employer_without_a_code_reaches_nothing(client, make_headers):
    resp = client.get("/api/v1/shared/", headers=make_headers("employer"))
    assert_problem(resp, 404)


def test_grant_validation_errors_are_422(client, person_headers):
    headers = person_headers()
    resp = client.post("/api/v1/me/grants", json={"employer_name": "", "days": 0}, headers=headers)
    body = assert_problem(resp, 422)
    assert {e["field"] for e in body["errors"]} >= {"employer_name", "days"}
    resp = client.post(
        "/api/v1/me/grants",
        json={"employer_name": "某公司", "from": 2026, "to": 2020},
        headers=headers,
    )
    assert_problem(resp, 422, "invalid_year_range")


def test_only_a_person_creates_grants(client, make_headers):
    resp = client.post(
        "/api/v1/me/grants", json={"employer_name": "某公司"}, headers=make_headers("employer")
    )
    assert_problem(resp, 403, "forbidden")
