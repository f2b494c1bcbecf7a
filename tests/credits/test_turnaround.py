"""A department's pending credit queue and review turnaround (median and p90 days from
submission to decision, per month or per form), in the API and on a page."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from tests.conftest import assert_problem
from tests.credits.conftest import credit_body
from tests.credits.test_pages import _sign_in

DEPT = "湖南省教育厅"


def _credit(client, headers, row, **change) -> int:
    resp = client.post("/api/v1/credits", json=credit_body(row, **change), headers=headers)
    assert resp.status_code == 201, resp.json
    return resp.json["id"]


def _decide(client, headers, credit_id, verb="approve"):
    resp = client.post(
        f"/api/v1/credits/{credit_id}/{verb}", json={"opinion": "意见"}, headers=headers
    )
    assert resp.status_code == 200, resp.json


@pytest.fixture
def history(client, clock, admin_headers, make_headers, trained):
    """In scope of the department: A approved after 2 days, B rejected after 6 (April), E (a
    conference) approved after 10 (May), C pending since 1 April. Out of scope: D, 1 day."""
    mine, _ = trained(department=DEPT)
    other, _ = trained(department="湖南省住房和城乡建设厅")
    dept = make_headers("dept", department=DEPT)
    clock.freeze(date(2026, 4, 1))
    a, b, c = (_credit(client, admin_headers, mine, title=t) for t in ("论文A", "论文B", "论文C"))
    d = _credit(client, admin_headers, other, title="论文D")
    clock.advance(timedelta(days=1))
    _decide(client, admin_headers, d)
    clock.advance(timedelta(days=1))
    _decide(client, dept, a)
    clock.advance(timedelta(days=4))
    _decide(client, dept, b, "reject")
    clock.freeze(date(2026, 5, 10))
    e = _credit(
        client,
        admin_headers,
        mine,
        form="conference",
        title="学术年会",
        start_date="2026-05-08",
        end_date="2026-05-08",
    )
    clock.advance(timedelta(days=10))
    _decide(client, dept, e)
    return dept, c


def test_a_department_sees_its_queue_and_turnaround_per_month(client, history):
    dept, _ = history
    body = client.get("/api/v1/credits/turnaround?year=2026", headers=dept).json
    pending = body["pending"]
    assert (pending["count"], pending["oldest_days"]) == (1, 49)
    assert (pending["over_week"], pending["over_month"]) == (1, 1)
    assert pending["by_form"] == [{"form": "paper", "label": "发表论文", "count": 1}]
    assert body["overall"] == {
        "decided": 3,
        "approved": 2,
        "rejected": 1,
        "median_days": 6,
        "p90_days": 9.2,  # 6 + 0.8 × (10 − 6): linear between the two nearest
    }
    months = {g["key"]: g for g in body["groups"]}
    assert len(months) == 12 and months["2026-01"]["median_days"] is None
    assert (months["2026-04"]["decided"], months["2026-04"]["median_days"]) == (2, 4)
    assert months["2026-04"]["p90_days"] == 5.6
    assert (months["2026-05"]["median_days"], months["2026-05"]["p90_days"]) == (10, 10)


def test_per_form_and_admin_sees_everything(client, history, admin_headers):
    dept, _ = history
    forms = client.get("/api/v1/credits/turnaround?year=2026&by=form", headers=dept).json
    by_form = {g["key"]: g for g in forms["groups"]}
    assert (by_form["paper"]["decided"], by_form["paper"]["median_days"]) == (2, 4)
    assert by_form["conference"]["median_days"] == 10
    assert by_form["book"]["decided"] == 0
    admin = client.get("/api/v1/credits/turnaround?year=2026", headers=admin_headers).json
    assert admin["overall"]["decided"] == 4 and admin["overall"]["median_days"] == 4
    other_year = client.get("/api/v1/credits/turnaround?year=2025", headers=dept).json
    assert other_year["overall"]["decided"] == 0 and other_year["pending"]["count"] == 1


def test_bad_parameters_and_other_roles_are_refused(client, make_headers, create_base):
    dept = make_headers("dept", department=DEPT)
    assert_problem(
        client.get("/api/v1/credits/turnaround?by=week", headers=dept), 422, "invalid_parameter"
    )
    assert_problem(
        client.get("/api/v1/credits/turnaround?year=1999", headers=dept), 422, "invalid_parameter"
    )
    for role, scope in (("base", {"base_id": create_base().id}), ("employer", {})):
        headers = make_headers(role, **scope)
        assert_problem(client.get("/api/v1/credits/turnaround", headers=headers), 403)


def test_the_page_shows_the_queue_and_the_figures(client, history, make_account):
    make_account("dept", username="reviewer", department=DEPT)
    _sign_in(client, "reviewer")
    page = client.get("/credits/turnaround?year=2026&by=form")
    assert page.status_code == 200
    assert "共 <strong>1</strong> 条" in page.text and "发表论文" in page.text
    assert "中位数 6 天" in page.text and "9.2" in page.text
    assert "/credits/turnaround" in client.get("/credits/queue").text
