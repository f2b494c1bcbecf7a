"""The province report shows the year's hours by source: base sessions, then approved credits
per form and per who entered them, counted as the archive counts them (CONTRACT §14)."""

from __future__ import annotations

import io

from openpyxl import load_workbook

from jxjd.reports.exporting import SOURCE_HEADERS, SOURCES_SHEET
from tests.reports.conftest import id_number


def _credit(client, headers, n: int, **fields) -> int:
    body = {
        "id_number": id_number(n),
        "name": f"学员{n}",
        "year": 2027,
        "form": "paper",
        "quantity": 1,
        "title": "论文",
        "provider": "湖南医学杂志",
        "start_date": "2027-05-01",
        "end_date": "2027-05-01",
    } | fields
    resp = client.post("/api/v1/credits", json=body, headers=headers)
    assert resp.status_code == 201, resp.json
    return resp.json["id"]


def _approve(client, headers, credit_id: int) -> None:
    resp = client.post(f"/api/v1/credits/{credit_id}/approve", json={}, headers=headers)
    assert resp.status_code == 200, resp.json


def _credits(client, admin_headers) -> None:
    """Person 1: two papers (20 + 40, capped at 40 a year); person 4: 12 online 公需 hours;
    person 6: a book, pending; person 5: a paper, rejected."""
    for n, fields in (
        (1, {"title": "论文一"}),
        (1, {"title": "论文二", "quantity": 2}),
        (4, {"form": "online_general", "quantity": 12, "start_date": "2027-03-01"}),
    ):
        _approve(client, admin_headers, _credit(client, admin_headers, n, **fields))
    _credit(client, admin_headers, 6, form="book", title="专著")
    rejected = _credit(client, admin_headers, 5, title="被拒论文")
    client.post(
        f"/api/v1/credits/{rejected}/reject", json={"opinion": "无刊号"}, headers=admin_headers
    )


def _rows(body) -> dict:
    return {r["form"] or r["source"]: r for r in body["hours_by_source"]["sources"]}


def test_the_report_shows_base_hours_and_each_forms_counted_hours(
    client, report_data, admin_headers
):
    _credits(client, admin_headers)
    body = client.get("/api/v1/reports/2027", headers=admin_headers).json
    rows = _rows(body)
    assert (rows["base"]["hours"], rows["base"]["people"]) == (45.3, 4)
    assert rows["base"]["hours"] == body["totals"]["trainee_hours"]
    assert (rows["paper"]["credits"], rows["paper"]["people"], rows["paper"]["hours"]) == (2, 1, 40)
    assert (rows["online_general"]["hours"], rows["online_general"]["category"]) == (12, "general")
    assert rows["book"]["hours"] == 0 and rows["book"]["credits"] == 0  # pending: not counted
    assert rows["conference"]["label"] == "学术会议"
    by_source = body["hours_by_source"]
    assert (by_source["credit_hours"], by_source["total_hours"]) == (52, 97.3)
    entered = {r["source"]: r for r in by_source["entered_by"]}
    assert (entered["admin"]["credits"], entered["admin"]["hours"]) == (3, 52)
    assert entered["person"]["hours"] == 0


def test_the_credit_hours_are_what_the_archives_count(client, report_data, admin_headers):
    _credits(client, admin_headers)
    body = client.get("/api/v1/reports/2027", headers=admin_headers).json
    counted = 0
    for n in range(1, 7):
        archive = client.post(
            "/api/v1/archive/query",
            json={"id_number": id_number(n), "from": 2027, "to": 2027},
            headers=admin_headers,
        ).json
        counted += sum(r["hours"] for r in archive["records"] if r.get("source") == "external")
    assert body["hours_by_source"]["credit_hours"] == counted == 52
    # Revoking a credit takes it out of the report as out of the archive.
    approved = client.get("/api/v1/credits?status=approved", headers=admin_headers).json["credits"]
    first = min(c["id"] for c in approved if c["form"] == "paper")
    client.post(f"/api/v1/credits/{first}/revoke", json={"opinion": "撤稿"}, headers=admin_headers)
    rows = _rows(client.get("/api/v1/reports/2027", headers=admin_headers).json)
    assert (rows["paper"]["credits"], rows["paper"]["hours"]) == (1, 40)


def test_a_department_sees_credits_of_people_trained_at_its_bases(
    client, report_data, admin_headers, make_headers
):
    _credits(client, admin_headers)
    dept = make_headers("dept", department="湖南省住房和城乡建设厅")  # base B: people 1 and 6
    rows = _rows(client.get("/api/v1/reports/2027", headers=dept).json)
    assert (rows["base"]["hours"], rows["base"]["people"]) == (12, 2)
    assert (rows["paper"]["hours"], rows["online_general"]["hours"]) == (40, 0)


def test_the_workbook_and_the_page_show_the_sources(
    client, report_data, admin_headers, make_account, login
):
    _credits(client, admin_headers)
    resp = client.get("/api/v1/reports/2027.xlsx", headers=admin_headers)
    ws = load_workbook(io.BytesIO(resp.data))[SOURCES_SHEET]
    rows = [list(r) for r in ws.iter_rows(values_only=True)]
    assert rows[1] == SOURCE_HEADERS
    assert rows[2] == ["基地培训", None, 4, 45.3]
    assert ["发表论文", 2, 1, 40] in rows
    assert rows[-1][0] == "合计" and rows[-1][3] == 97.3
    make_account("admin", username="report-admin")
    login(client, "report-admin")
    page = client.get("/reports?year=2027")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "学时来源" in html and "发表论文" in html and "97.3" in html


def test_revoking_a_persons_only_hours_takes_them_out_of_the_trained_people(
    client, report_data, admin_headers
):
    """The province's trained people come from the person-year tallies, kept on revocation;
    a report after the revocation counts again."""
    import sqlalchemy as sa

    from jxjd.certificates.models import Certificate
    from jxjd.extensions import db
    from jxjd.people.services import find_person

    before = _rows(client.get("/api/v1/reports/2027", headers=admin_headers).json)
    assert before["base"]["people"] == 4  # counted, and kept for the next report
    person5 = find_person(id_number(5))  # 2.2 hours in s3, nothing else in 2027
    serial = db.session.scalar(
        sa.select(Certificate.serial).where(Certificate.person_id == person5.id)
    )
    resp = client.post(
        f"/api/v1/certificates/{serial}/revoke", json={"reason": "乱发证"}, headers=admin_headers
    )
    assert resp.status_code == 200, resp.json
    rows = _rows(client.get("/api/v1/reports/2027", headers=admin_headers).json)
    assert rows["base"]["people"] == 3
    assert rows["base"]["hours"] == round(45.3 - 2.2, 1)
