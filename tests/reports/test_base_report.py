"""GET /api/v1/bases/{id}/report?year= (CONTRACT §9) on the hand-computed data set."""

from __future__ import annotations

import pytest

from tests.conftest import assert_problem


def _report(client, base, headers, year=2027):
    return client.get(f"/api/v1/bases/{base.id}/report?year={year}", headers=headers)


def test_base_report_figures(client, report_data, admin_headers):
    resp = _report(client, report_data.base_a, admin_headers)
    assert resp.status_code == 200
    body = resp.json
    assert body["year"] == 2027
    assert (body["sessions"], body["trainees"], body["person_times"]) == (3, 5, 6)
    # P1 24 + P4 1.1 + P1 6 + P5 2.2; the revoked certificate's 24 and the fail count 0.
    assert body["trainee_hours"] == 33.3
    assert body["meets_minimum_trainees"] is False


def test_plan_versus_actual_per_item(client, report_data, admin_headers):
    body = _report(client, report_data.base_a, admin_headers).json
    assert [
        {
            k: row[k]
            for k in (
                "plan_item_id",
                "planned_sessions",
                "actual_sessions",
                "planned_trainees",
                "actual_trainees",
            )
        }
        for row in body["plan"]
    ] == [
        {
            "plan_item_id": report_data.item1.id,
            "planned_sessions": 2,
            "actual_sessions": 2,
            "planned_trainees": 100,
            "actual_trainees": 4,
        },
        {
            "plan_item_id": report_data.item2.id,
            "planned_sessions": 1,
            "actual_sessions": 1,
            "planned_trainees": 50,
            "actual_trainees": 2,
        },
    ]


def test_the_other_base_and_year_are_counted_apart(client, report_data, admin_headers):
    body_b = _report(client, report_data.base_b, admin_headers).json
    assert (body_b["sessions"], body_b["trainees"], body_b["person_times"]) == (1, 2, 2)
    assert body_b["trainee_hours"] == 12
    body_28 = _report(client, report_data.base_a, admin_headers, year=2028).json
    assert (body_28["sessions"], body_28["trainees"], body_28["trainee_hours"]) == (1, 1, 8)


def test_a_year_without_sessions_is_all_zeros(client, report_data, admin_headers):
    body = _report(client, report_data.base_a, admin_headers, year=2030).json
    assert (body["sessions"], body["trainees"], body["person_times"], body["trainee_hours"]) == (
        0,
        0,
        0,
        0,
    )
    assert body["plan"] == []


@pytest.mark.parametrize(("minimum", "meets"), [(5, True), (6, False), (0, True)])
def test_meets_minimum_trainees_follows_the_years_rule(
    client, report_data, admin_headers, minimum, meets
):
    client.put("/api/v1/rules/2027", json={"min_trainees": minimum}, headers=admin_headers)
    body = _report(client, report_data.base_a, admin_headers).json
    assert body["meets_minimum_trainees"] is meets


def test_revoking_a_certificate_takes_its_hours_out(client, report_data, admin_headers):
    import sqlalchemy as sa

    from jxjd.certificates.models import Certificate
    from jxjd.extensions import db

    # s2's only certificate: P4's 1.1 hours.
    serial = db.session.scalar(
        sa.select(Certificate.serial).where(Certificate.session_id == report_data.sessions["s2"].id)
    )
    url = f"/api/v1/certificates/{serial}/revoke"
    assert (
        client.post(url, json={"reason": "考核记录有误"}, headers=admin_headers).status_code == 200
    )
    body = _report(client, report_data.base_a, admin_headers).json
    assert body["trainee_hours"] == 32.2
    assert (body["trainees"], body["person_times"]) == (5, 6)  # the attendance still happened


def test_the_base_and_its_department_read_the_report(client, report_data, make_headers):
    base = report_data.base_a
    for headers in (
        make_headers("base", base_id=base.id),
        make_headers("dept", department="湖南省教育厅"),
    ):
        assert _report(client, base, headers).status_code == 200


def test_another_department_cannot_read_the_report(client, report_data, make_headers):
    headers = make_headers("dept", department="湖南省住房和城乡建设厅")
    assert_problem(_report(client, report_data.base_a, headers), 403, "forbidden")


def test_another_base_cannot_read_the_report(client, report_data, make_headers):
    headers = make_headers("base", base_id=report_data.base_b.id)
    assert_problem(_report(client, report_data.base_a, headers), 403, "forbidden")


@pytest.mark.parametrize("query", ["", "?year=", "?year=abc", "?year=1999"])
def test_the_year_is_required(client, create_base, admin_headers, query):
    base = create_base()
    resp = client.get(f"/api/v1/bases/{base.id}/report{query}", headers=admin_headers)
    body = assert_problem(resp, 422)
    assert body["errors"][0]["field"] == "year"


def test_unknown_base_report_is_not_found(client, admin_headers):
    assert_problem(client.get("/api/v1/bases/999/report?year=2027", headers=admin_headers), 404)
