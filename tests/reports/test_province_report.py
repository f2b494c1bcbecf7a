"""The province-wide report: JSON and .xlsx (admin; a department sees its own bases)."""

from __future__ import annotations

import io

from openpyxl import load_workbook

from jxjd.reports.exporting import HEADERS
from tests.conftest import assert_problem

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def test_province_report_has_one_row_per_base_and_totals(client, report_data, admin_headers):
    resp = client.get("/api/v1/reports/2027", headers=admin_headers)
    assert resp.status_code == 200
    body = resp.json
    assert (body["year"], body["min_trainees"]) == (2027, 1000)
    rows = {r["base_id"]: r for r in body["bases"]}
    a, b = rows[report_data.base_a.id], rows[report_data.base_b.id]
    assert (a["name"], a["department"], a["status"]) == ("甲基地", "湖南省教育厅", "recognized")
    assert (a["sessions"], a["trainees"], a["person_times"], a["trainee_hours"]) == (3, 5, 6, 33.3)
    assert (b["sessions"], b["trainees"], b["person_times"], b["trainee_hours"]) == (1, 2, 2, 12)
    assert body["totals"] == {
        "sessions": 4,
        "person_times": 8,
        "trainee_hours": 45.3,
        "bases_meeting_minimum": 0,
    }


def test_province_report_uses_the_years_minimum(client, report_data, admin_headers):
    client.put("/api/v1/rules/2027", json={"min_trainees": 2}, headers=admin_headers)
    body = client.get("/api/v1/reports/2027", headers=admin_headers).json
    assert body["min_trainees"] == 2
    assert [r["meets_minimum_trainees"] for r in body["bases"]] == [True, True]
    assert body["totals"]["bases_meeting_minimum"] == 2


def test_a_department_sees_only_its_own_bases(client, report_data, make_headers):
    headers = make_headers("dept", department="湖南省住房和城乡建设厅")
    body = client.get("/api/v1/reports/2027", headers=headers).json
    assert [r["base_id"] for r in body["bases"]] == [report_data.base_b.id]
    assert body["totals"]["sessions"] == 1


def test_a_base_cannot_read_the_province_report(client, report_data, make_headers):
    headers = make_headers("base", base_id=report_data.base_a.id)
    assert_problem(client.get("/api/v1/reports/2027", headers=headers), 403, "forbidden")
    assert_problem(client.get("/api/v1/reports/2027.xlsx", headers=headers), 403, "forbidden")


def test_province_report_as_a_workbook(client, report_data, admin_headers):
    resp = client.get("/api/v1/reports/2027.xlsx", headers=admin_headers)
    assert resp.status_code == 200
    assert resp.mimetype == XLSX
    assert "attachment" in resp.headers["Content-Disposition"]
    ws = load_workbook(io.BytesIO(resp.data)).active
    rows = [list(r) for r in ws.iter_rows(values_only=True)]
    assert "2027" in rows[0][0]
    assert rows[1] == HEADERS
    assert rows[1][:2] == ["基地编号", "基地名称"]
    by_id = {r[0]: r for r in rows[2:-1]}
    assert len(by_id) == 2
    assert by_id[report_data.base_a.id][1:] == [
        "甲基地",
        "湖南省教育厅",
        "已认定",
        3,
        5,
        6,
        33.3,
        "否",
    ]
    assert by_id[report_data.base_b.id][4:8] == [1, 2, 2, 12]
    totals = rows[-1]
    assert totals[0] == "合计"
    assert (totals[4], totals[6], totals[7]) == (4, 8, 45.3)
    assert "0" in totals[8]


def test_department_workbook_has_only_its_bases(client, report_data, make_headers):
    headers = make_headers("dept", department="湖南省教育厅")
    ws = load_workbook(
        io.BytesIO(client.get("/api/v1/reports/2027.xlsx", headers=headers).data)
    ).active
    rows = list(ws.iter_rows(values_only=True))
    assert len(rows) == 4  # title, header, one base, totals
    assert rows[2][1] == "甲基地"


def test_an_empty_year_gives_a_workbook_with_zero_totals(client, admin_headers):
    resp = client.get("/api/v1/reports/2031.xlsx", headers=admin_headers)
    ws = load_workbook(io.BytesIO(resp.data)).active
    rows = list(ws.iter_rows(values_only=True))
    assert list(rows[1]) == HEADERS
    assert rows[-1][0] == "合计" and rows[-1][4] == 0
