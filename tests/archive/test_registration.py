"""Registration entries (《湖南省专业技术人员继续教育登记证书》): JSON, .xlsx and the print page."""

from __future__ import annotations

import io

from openpyxl import load_workbook

from tests.archive.conftest import ZHANG
from tests.conftest import assert_problem


def test_registration_lists_the_years_entries(client, earn, person_headers):
    serial = earn(ZHANG, "2025-03-03", "professional", 24)
    earn(ZHANG, "2025-06-03", "general", 8, result="fail")
    earn(ZHANG, "2024-06-03", "general", 8)
    resp = client.get("/api/v1/me/registration/2025", headers=person_headers())
    assert resp.status_code == 200
    body = resp.get_json()
    assert body["year"] == 2025 and body["person"]["id_masked"] == "430104********0015"
    first, second = body["entries"]
    assert first["date"] == "2025-03-03" and first["certificate_serial"] == serial
    assert first["form"] == "in_person" and first["category"] == "professional"
    assert first["hours"] == 24 and first["result"] == "pass"
    assert first["organiser"] and first["content"]
    assert second["result"] == "fail" and second["hours"] == 0
    assert second["certificate_serial"] is None
    assert body["summary"]["total_hours"] == 24


def test_registration_downloads_as_xlsx(client, earn, person_headers):
    serial = earn(ZHANG, "2025-03-03", "professional", 24)
    headers = person_headers()
    for url in ("/api/v1/me/registration/2025?format=xlsx", "/api/v1/me/registration/2025.xlsx"):
        resp = client.get(url, headers=headers)
        assert resp.status_code == 200
        assert resp.mimetype.endswith("spreadsheetml.sheet")
        ws = load_workbook(io.BytesIO(resp.data)).active
        values = [c for row in ws.iter_rows(values_only=True) for c in row if c is not None]
        assert serial in values and "证书编号" in values
        assert ZHANG[0] not in values and any("430104********0015" in str(v) for v in values)


def test_registration_needs_a_person_token(client, make_headers):
    resp = client.get("/api/v1/me/registration/2025", headers=make_headers("admin"))
    assert_problem(resp, 403, "forbidden")
