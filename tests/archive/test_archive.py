"""The per-person archive: yearly totals, the Hunan rule per part, range defaults and scope."""

from __future__ import annotations

from jxjd.common.time import local_today
from tests.archive.conftest import LI, ZHANG
from tests.conftest import assert_problem


def archive(client, headers, **params):
    resp = client.get("/api/v1/me/archive", query_string=params, headers=headers)
    assert resp.status_code == 200, resp.get_json()
    return resp.get_json()


def year_of(body, year):
    return next(y for y in body["years"] if y["year"] == year)


def test_archive_has_exactly_the_contract_shape(client, earn, person_headers):
    serial = earn(ZHANG, "2025-06-10", "professional", 24)
    body = archive(client, person_headers(), **{"from": 2024, "to": 2026})
    assert list(body) == ["person", "years", "records", "summary"]
    assert body["person"] == {"name": "张三", "id_masked": "430104********0015"}
    y = year_of(body, 2025)
    assert set(y) == {
        "year", "total_hours", "general_hours", "professional_hours",
        "required", "compliant", "shortfall",
    }  # fmt: skip
    assert y["required"] == {"total": 90, "general": 30, "professional": 60}
    (rec,) = body["records"]
    assert {
        "serial",
        "year",
        "title",
        "base",
        "category",
        "form",
        "hours",
        "end_date",
        "status",
    } <= set(rec)
    assert rec["serial"] == serial and rec["year"] == 2025 and rec["hours"] == 24
    assert rec["end_date"] == "2025-06-10" and rec["status"] == "valid"
    assert body["summary"] == {
        "from": 2024,
        "to": 2026,
        "all_years_compliant": False,
        "total_hours": 24,
    }


def test_every_year_in_the_range_is_present_with_zeros(client, earn, person_headers):
    earn(ZHANG, "2024-05-01", "general", 8)
    body = archive(client, person_headers(), **{"from": 2021, "to": 2025})
    assert [y["year"] for y in body["years"]] == [2021, 2022, 2023, 2024, 2025]
    empty = year_of(body, 2022)
    assert (empty["total_hours"], empty["general_hours"], empty["professional_hours"]) == (0, 0, 0)
    assert empty["shortfall"] == {"total": 90, "general": 30, "professional": 60}
    assert empty["compliant"] is False


def test_a_session_ending_31_december_counts_in_that_year_and_1_january_in_the_next(
    client, earn, person_headers
):
    earn(ZHANG, "2024-12-31", "general", 8)
    earn(ZHANG, "2025-01-01", "professional", 6)
    body = archive(client, person_headers(), **{"from": 2024, "to": 2025})
    assert year_of(body, 2024)["general_hours"] == 8
    assert year_of(body, 2024)["professional_hours"] == 0
    assert year_of(body, 2025)["professional_hours"] == 6
    assert year_of(body, 2025)["general_hours"] == 0


def test_fail_results_count_zero(client, earn, person_headers):
    assert earn(ZHANG, "2025-03-03", "professional", 24, result="fail") is None
    earn(ZHANG, "2025-04-03", "professional", 16)
    body = archive(client, person_headers(), **{"from": 2025, "to": 2025})
    assert year_of(body, 2025)["professional_hours"] == 16
    failed = next(r for r in body["records"] if r["result"] == "fail")
    assert failed["hours"] == 0 and failed["recorded_hours"] == 24 and failed["serial"] is None


def test_a_revoked_certificate_stops_counting(client, earn, person_headers, admin_headers):
    serial = earn(ZHANG, "2025-03-03", "professional", 24)
    earn(ZHANG, "2025-05-03", "general", 8)
    headers = person_headers()
    assert (
        year_of(archive(client, headers, **{"from": 2025, "to": 2025}), 2025)["total_hours"] == 32
    )
    resp = client.post(
        f"/api/v1/certificates/{serial}/revoke", json={"reason": "核查不实"}, headers=admin_headers
    )
    assert resp.status_code == 200, resp.get_json()
    body = archive(client, headers, **{"from": 2025, "to": 2025})
    assert year_of(body, 2025)["professional_hours"] == 0
    assert year_of(body, 2025)["total_hours"] == 8
    revoked = next(r for r in body["records"] if r["serial"] == serial)
    assert revoked["status"] == "revoked" and revoked["hours"] == 0


def _earn_year(earn, person, year, general, professional):
    """Spread hours over sessions of at most 24 学时 (3 days) in the year."""
    month = 1
    for category, total in (("general", general), ("professional", professional)):
        while total > 0:
            chunk = min(24, total)
            earn(person, f"{year}-{month:02d}-10", category, chunk)
            total -= chunk
            month += 1


def test_a_year_meeting_both_parts_is_compliant(client, earn, person_headers):
    _earn_year(earn, ZHANG, 2025, 30, 66)
    y = year_of(archive(client, person_headers(), **{"from": 2025, "to": 2025}), 2025)
    assert (y["general_hours"], y["professional_hours"], y["total_hours"]) == (30, 66, 96)
    assert y["compliant"] is True
    assert y["shortfall"] == {"total": 0, "general": 0, "professional": 0}


def test_a_surplus_in_one_part_never_fills_the_other(client, earn, person_headers):
    _earn_year(earn, ZHANG, 2025, 48, 48)
    y = year_of(archive(client, person_headers(), **{"from": 2025, "to": 2025}), 2025)
    assert y["total_hours"] == 96
    assert y["compliant"] is False
    assert y["shortfall"] == {"total": 0, "general": 0, "professional": 12}


def test_shortfalls_are_given_per_part(client, earn, person_headers):
    _earn_year(earn, ZHANG, 2025, 24, 40)
    y = year_of(archive(client, person_headers(), **{"from": 2025, "to": 2025}), 2025)
    assert y["shortfall"] == {"total": 26, "general": 6, "professional": 20}


def test_a_per_year_rule_override_applies_to_that_year_only(
    client, earn, person_headers, rules_override
):
    rules_override(2025, required_total=72, required_general=24, required_professional=48)
    _earn_year(earn, ZHANG, 2025, 24, 48)
    _earn_year(earn, ZHANG, 2024, 24, 48)
    body = archive(client, person_headers(), **{"from": 2024, "to": 2025})
    assert year_of(body, 2025)["required"] == {"total": 72, "general": 24, "professional": 48}
    assert year_of(body, 2025)["compliant"] is True
    assert year_of(body, 2024)["required"] == {"total": 90, "general": 30, "professional": 60}
    assert year_of(body, 2024)["compliant"] is False
    assert body["summary"]["all_years_compliant"] is False


def test_default_range_is_the_last_three_years(client, person_headers):
    this_year = local_today().year
    body = archive(client, person_headers())
    assert [y["year"] for y in body["years"]] == [this_year - 2, this_year - 1, this_year]
    assert body["summary"]["from"] == this_year - 2 and body["summary"]["to"] == this_year


def test_from_after_to_is_422(client, person_headers):
    resp = client.get("/api/v1/me/archive?from=2026&to=2024", headers=person_headers())
    assert_problem(resp, 422, "invalid_year_range")


def test_a_range_longer_than_ten_years_is_422(client, person_headers):
    resp = client.get("/api/v1/me/archive?from=2010&to=2026", headers=person_headers())
    assert_problem(resp, 422, "invalid_year_range")


def test_a_non_numeric_year_is_422(client, person_headers):
    resp = client.get("/api/v1/me/archive?from=abc", headers=person_headers())
    assert_problem(resp, 422, "invalid_year_range")


def test_a_person_sees_only_their_own_archive(client, earn, person_headers):
    earn(LI, "2025-03-03", "professional", 24)
    body = archive(client, person_headers(ZHANG), **{"from": 2025, "to": 2025})
    assert body["records"] == [] and body["person"]["name"] == "张三"


def test_admin_queries_an_archive_by_id_number_in_the_body(client, earn, admin_headers):
    earn(ZHANG, "2025-03-03", "professional", 24)
    resp = client.post(
        "/api/v1/archive/query",
        json={"id_number": ZHANG[0], "from": 2025, "to": 2025},
        headers=admin_headers,
    )
    assert resp.status_code == 200
    body = resp.get_json()
    assert body["person"] == {"name": "张三", "id_masked": "430104********0015"}
    assert ZHANG[0] not in resp.get_data(as_text=True)
    assert year_of(body, 2025)["professional_hours"] == 24


def test_department_may_query_an_archive(client, earn, dept_headers):
    earn(ZHANG, "2025-03-03", "professional", 24)
    resp = client.post(
        "/api/v1/archive/query", json={"id_number": ZHANG[0]}, headers=dept_headers()
    )
    assert resp.status_code == 200


def test_archive_query_for_an_unknown_person_is_404(client, admin_headers):
    resp = client.post(
        "/api/v1/archive/query", json={"id_number": "360426199101010071"}, headers=admin_headers
    )
    assert_problem(resp, 404, "unknown_person")


def test_archive_query_with_an_invalid_id_number_is_422(client, admin_headers):
    resp = client.post(
        "/api/v1/archive/query", json={"id_number": "360426199101010072"}, headers=admin_headers
    )
    assert_problem(resp, 422, "invalid_id_number")


def test_a_person_token_may_not_query_other_archives(client, earn, person_headers):
    earn(LI, "2025-03-03", "professional", 24)
    resp = client.post(
        "/api/v1/archive/query", json={"id_number": LI[0]}, headers=person_headers(ZHANG)
    )
    assert_problem(resp, 403, "forbidden")


def test_employer_and_base_tokens_may_not_read_me_archive_or_query(
    client, make_headers, create_base
):
    employer = make_headers("employer", name="某某公司")
    assert_problem(client.get("/api/v1/me/archive", headers=employer), 403, "forbidden")
    resp = client.post("/api/v1/archive/query", json={"id_number": ZHANG[0]}, headers=employer)
    assert_problem(resp, 403, "forbidden")
    base = create_base()
    base_h = make_headers("base", name=base.name, base_id=base.id)
    resp = client.post("/api/v1/archive/query", json={"id_number": ZHANG[0]}, headers=base_h)
    assert_problem(resp, 403, "forbidden")


def test_archive_without_a_token_is_401(client):
    assert_problem(client.get("/api/v1/me/archive"), 401, "unauthorized")


def test_archive_query_is_logged_off_the_audit_chain(client, earn, admin_headers):
    import sqlalchemy as sa

    from jxjd.audit.models import AccessLogEntry, AuditEvent, AuditHead
    from jxjd.extensions import db
    from jxjd.people.services import find_person

    earn(ZHANG, "2025-03-03", "professional", 24)
    head_before = db.session.get(AuditHead, 1, populate_existing=True).count
    events_before = db.session.scalar(sa.select(sa.func.count()).select_from(AuditEvent))
    resp = client.post(
        "/api/v1/archive/query",
        json={"id_number": ZHANG[0], "from": 2025, "to": 2025},
        headers=admin_headers,
    )
    assert resp.status_code == 200
    # A read is not a state change: it never takes (or moves) the audit chain's head.
    assert db.session.get(AuditHead, 1, populate_existing=True).count == head_before
    assert db.session.scalar(sa.select(sa.func.count()).select_from(AuditEvent)) == events_before
    (entry,) = db.session.scalars(sa.select(AccessLogEntry)).all()
    assert (entry.action, entry.actor_role) == ("archive.query", "admin")
    assert entry.person_id == find_person(ZHANG[0]).id
    assert entry.summary == {"from_year": 2025, "to_year": 2025} and entry.at is not None


def test_review_check_uses_the_configured_span(client, earn, person_headers):
    for year in range(2021, 2026):
        _earn_year(earn, ZHANG, year, 30, 60)
    headers = person_headers()
    resp = client.get("/api/v1/me/review-check?level=senior&year=2026", headers=headers)
    assert resp.status_code == 200
    body = resp.get_json()
    assert body["span"] == {"from": 2021, "to": 2025, "years": 5}
    assert [y["year"] for y in body["years"]] == [2021, 2022, 2023, 2024, 2025]
    assert body["all_years_compliant"] is True and body["total_hours"] == 450
    inter = client.get("/api/v1/me/review-check?level=intermediate&year=2026", headers=headers)
    assert inter.get_json()["span"] == {"from": 2022, "to": 2025, "years": 4}


def test_review_check_fails_when_one_year_falls_short(client, earn, person_headers):
    for year in (2022, 2023, 2025):
        _earn_year(earn, ZHANG, year, 30, 60)
    resp = client.get(
        "/api/v1/me/review-check?level=intermediate&year=2026", headers=person_headers()
    )
    body = resp.get_json()
    assert body["all_years_compliant"] is False
    assert [y["compliant"] for y in body["years"]] == [True, True, False, True]


def test_review_span_follows_the_rule_of_the_review_year(client, person_headers, rules_override):
    rules_override(2026, span_senior=3)
    resp = client.get("/api/v1/me/review-check?level=senior&year=2026", headers=person_headers())
    assert resp.get_json()["span"] == {"from": 2023, "to": 2025, "years": 3}


def test_review_check_with_a_bad_level_is_422(client, person_headers):
    resp = client.get("/api/v1/me/review-check?level=expert&year=2026", headers=person_headers())
    assert_problem(resp, 422, "invalid_choice")


def test_a_department_cannot_read_someone_who_never_trained_at_its_bases(
    client, earn, dept_headers
):
    earn(ZHANG, "2025-05-01", "professional", 24)  # at a base of 湖南省教育厅
    other_dept = dept_headers("湖南省住房和城乡建设厅")
    resp = client.post("/api/v1/archive/query", json={"id_number": ZHANG[0]}, headers=other_dept)
    assert_problem(resp, 404)
    own = client.post("/api/v1/archive/query", json={"id_number": ZHANG[0]}, headers=dept_headers())
    assert own.status_code == 200
