"""The registration entries of one year as an .xlsx workbook (openpyxl; no pandas needed)."""

from __future__ import annotations

import io
from typing import Any

from openpyxl import Workbook
from openpyxl.styles import Alignment, Font

from jxjd.common.enums import label
from jxjd.common.xlsx import append_row

HEADER = ["日期", "培训内容", "培训形式", "科目类别", "学时", "主办单位", "考核结果", "证书编号"]


def registration_xlsx(data: dict[str, Any]) -> bytes:
    """One sheet titled with the year: the person, the entries, the year's totals."""
    wb = Workbook()
    ws = wb.active
    ws.title = f"{data['year']}年度"
    person = data["person"]
    append_row(ws, [f"湖南省专业技术人员继续教育登记（{data['year']}年度）"])
    ws["A1"].font = Font(bold=True, size=14)
    append_row(ws, [f"姓名：{person['name']}", None, f"身份证号：{person['id_masked']}"])
    append_row(ws, HEADER)
    for cell in ws[3]:
        cell.font = Font(bold=True)
    for e in data["entries"]:
        append_row(
            ws,
            [
                e["date"].isoformat(),
                e["content"],
                label("form", e["form"]),
                label("category", e["category"]),
                e["hours"],
                e["organiser"],
                label("result", e["result"])
                + ("（证书已撤销）" if e["certificate_status"] == "revoked" else ""),
                e["certificate_serial"] or "",
            ],
        )
    s = data["summary"]
    append_row(ws, [])
    append_row(
        ws,
        [
            "年度合计",
            f"公需科目 {s['general_hours']} 学时，专业科目 {s['professional_hours']} 学时，"
            f"共 {s['total_hours']} 学时；"
            + ("达到年度要求" if s["compliant"] else "未达到年度要求"),
        ],
    )
    for col, width in zip("ABCDEFGH", (12, 40, 12, 12, 8, 36, 16, 22), strict=True):
        ws.column_dimensions[col].width = width
    for row in ws.iter_rows(min_row=4):
        for cell in row:
            cell.alignment = Alignment(wrap_text=True, vertical="top")
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()
