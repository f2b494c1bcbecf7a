"""Growing lists are paginated (CONTRACT §11): ?page=&per_page=, X-Total-Count, Link rel="next"."""

from __future__ import annotations

import re

import pytest

from tests.conftest import assert_problem
from tests.fixtures.attendance import trainees

# (list endpoint, the key its body keeps the list under) for every @paged view.
PAGED = {
    "certificates.session_certificates": "certificates",
    "attendance.records": "records",
    "bases.list_bases": "bases",
    "plans.list_plans": "plans",
    "sessions.list_sessions": "sessions",
    "archive.list_grants": "grants",
    "transcripts.list_transcripts": "transcripts",
    "credits.list_credits": "credits",
}


def _next_link(resp) -> str | None:
    link = resp.headers.get("Link")
    if link is None:
        return None
    match = re.fullmatch(r'<([^>]+)>; rel="next"', link)
    assert match, link
    return match.group(1)


def walk(client, url: str, key: str, headers) -> tuple[list, list]:
    """Follow rel="next" from `url`; every item in order, and each page's size."""
    items, sizes = [], []
    while url:
        resp = client.get(url, headers=headers)
        assert resp.status_code == 200, resp.get_json()
        page = resp.get_json()[key]
        items.extend(page)
        sizes.append(len(page))
        total = int(resp.headers["X-Total-Count"])
        url = _next_link(resp)
    assert len(items) == total
    return items, sizes


@pytest.fixture
def big_session(open_session, upload_json):
    """A session with 120 passing trainees (120 records, 120 certificates)."""
    target = open_session()
    resp = upload_json(target, trainees(120))
    assert resp.status_code == 200 and resp.get_json()["recorded"] == 120, resp.get_json()
    return target


def test_a_sessions_certificates_come_50_at_a_time_by_default(client, big_session):
    url = f"/api/v1/sessions/{big_session.id}/certificates"
    first = client.get(url, headers=big_session.headers)
    assert first.status_code == 200
    assert len(first.get_json()["certificates"]) == 50
    assert first.headers["X-Total-Count"] == "120"
    assert _next_link(first) == f"{url}?page=2&per_page=50"
    serials, sizes = walk(client, url, "certificates", big_session.headers)
    assert sizes == [50, 50, 20]
    assert len({c["serial"] for c in serials}) == 120  # no overlap, nothing skipped
    whole = client.get(f"{url}?per_page=500", headers=big_session.headers)
    assert [c["serial"] for c in whole.get_json()["certificates"]] == [c["serial"] for c in serials]
    assert "Link" not in whole.headers


def test_a_sessions_records_are_paginated_in_upload_order(client, big_session):
    url = f"/api/v1/sessions/{big_session.id}/attendance?per_page=45"
    records, sizes = walk(client, url, "records", big_session.headers)
    assert sizes == [45, 45, 30]
    whole = client.get(url.replace("45", "500"), headers=big_session.headers).get_json()
    assert records == whole["records"] and whole["session_id"] == big_session.id


def test_the_link_keeps_the_other_query_parameters(client, create_base, admin_headers):
    for _ in range(3):
        create_base(status="recognized")
    create_base(status="applying")
    resp = client.get("/api/v1/bases?status=recognized&per_page=2", headers=admin_headers)
    assert resp.headers["X-Total-Count"] == "3"
    assert _next_link(resp) == "/api/v1/bases?status=recognized&per_page=2&page=2"
    bases, sizes = walk(
        client, "/api/v1/bases?status=recognized&per_page=2", "bases", admin_headers
    )
    assert sizes == [2, 1] and {b["status"] for b in bases} == {"recognized"}


def test_plans_and_sessions_of_a_base(
    client, create_base, create_plan_in, create_session, base_headers
):
    base = create_base()
    plans = [create_plan_in(base, "filed", year=y) for y in (2024, 2025, 2026)]
    for i in range(3):
        create_session(base, plans[-1].items[0], title=f"第{i + 1}期")
    headers = base_headers(base)
    found, sizes = walk(client, f"/api/v1/bases/{base.id}/plans?per_page=2", "plans", headers)
    assert sizes == [2, 1] and [p["year"] for p in found] == [2026, 2025, 2024]
    found, sizes = walk(client, f"/api/v1/bases/{base.id}/sessions?per_page=1", "sessions", headers)
    assert sizes == [1, 1, 1] and len({s["id"] for s in found}) == 3
    one_year = client.get(f"/api/v1/bases/{base.id}/plans?year=2025", headers=headers)
    assert one_year.headers["X-Total-Count"] == "1" and "Link" not in one_year.headers


def test_a_persons_grants(client, make_headers):
    headers = make_headers("person", name="张三", id_number="430104199003070015")
    for days in (10, 20, 30):
        body = {"employer_name": "湖南某某科技有限公司", "from": 2024, "to": 2025, "days": days}
        assert client.post("/api/v1/me/grants", json=body, headers=headers).status_code == 201
    grants, sizes = walk(client, "/api/v1/me/grants?per_page=2", "grants", headers)
    assert sizes == [2, 1] and len({g["id"] for g in grants}) == 3


def test_a_page_past_the_end_is_empty_with_the_total(client, big_session):
    resp = client.get(
        f"/api/v1/sessions/{big_session.id}/certificates?page=9", headers=big_session.headers
    )
    assert resp.status_code == 200 and resp.get_json() == {"certificates": []}
    assert resp.headers["X-Total-Count"] == "120" and "Link" not in resp.headers


@pytest.mark.parametrize(
    "query",
    ["page=0", "page=-1", "page=x", "per_page=0", "per_page=501", "page=100001", "page=1e3"],
)
def test_bad_page_parameters_are_422_invalid_parameter(client, admin_headers, query):
    body = assert_problem(
        client.get(f"/api/v1/bases?{query}", headers=admin_headers), 422, "invalid_parameter"
    )
    assert body["errors"][0]["field"] == query.split("=")[0]


def test_both_bad_parameters_are_named(client, admin_headers):
    body = assert_problem(
        client.get("/api/v1/bases?page=0&per_page=9999", headers=admin_headers), 422
    )
    assert {e["field"] for e in body["errors"]} == {"page", "per_page"}


def test_a_bad_page_is_refused_after_the_look_up_and_before_the_list_is_read(client, make_headers):
    # As with a body: an unknown object is answered as such first (404), then the parameters.
    headers = make_headers("admin")
    assert_problem(
        client.get("/api/v1/sessions/999999/certificates?per_page=501", headers=headers), 404
    )
    assert_problem(client.get("/api/v1/bases?per_page=501", headers=headers), 422)


def test_the_openapi_document_describes_every_paged_list(app, client):
    spec = client.get("/api/v1/openapi.json").get_json()
    paged = {
        rule.endpoint: rule.rule
        for rule in app.url_map.iter_rules()
        if getattr(app.view_functions[rule.endpoint], "paged", False)
    }
    assert set(paged) == set(PAGED)
    for rule in paged.values():
        path = re.sub(r"<(?:\w+:)?(\w+)>", r"{\1}", rule)
        op = spec["paths"][path]["get"]
        params = {p["name"]: p["schema"] for p in op["parameters"] if p["in"] == "query"}
        assert params["page"] == {"type": "integer", "minimum": 1, "maximum": 100000}
        assert params["per_page"] == {"type": "integer", "minimum": 1, "maximum": 500}
        assert set(op["responses"]["200"]["headers"]) == {"X-Total-Count", "Link"}
        assert "422" in op["responses"]
