"""The registration entries of one year as an .xlsx workbook (a pandas table, openpyxl writes)."""

from __future__ import annotations

import io
from typing import Any

import pandas as pd
from openpyxl import Workbook
from openpyxl.styles import Alignment, Font

from jxjd.common.enums import CATEGORIES, FORMS, RESULTS
from jxjd.common.xlsx import append_row, write_frame

HEADER = ["日期", "培训内容", "培训形式", "科目类别", "学时", "主办单位", "考核结果", "证书编号"]
WIDTHS = (12, 40, 12, 12, 8, 36, 16, 22)


def entries_frame(entries: list[dict[str, Any]]) -> pd.DataFrame:
    """One row per entry with Chinese headers and labels."""
    keys = ["date", "content", "form", "category", "hours", "organiser", "result"]
    columns = [*keys, "certificate_status", "certificate_serial"]
    frame = pd.DataFrame(entries, columns=columns, dtype=object)  # hours stay 24, not 24.0
    frame["date"] = frame["date"].map(lambda d: d.isoformat())
    frame["form"] = frame["form"].map(lambda v: FORMS.get(v, v))
    frame["category"] = frame["category"].map(lambda v: CATEGORIES.get(v, v))
    revoked = frame["certificate_status"].eq("revoked")
    frame["result"] = frame["result"].map(lambda v: RESULTS.get(v, v)) + revoked.map(
        {True: "（证书已撤销）", False: ""}
    )
    frame["certificate_serial"] = frame["certificate_serial"].map(lambda s: s or "")
    frame = frame.drop(columns="certificate_status")
    frame.columns = HEADER
    return frame


def registration_xlsx(data: dict[str, Any]) -> bytes:
    """One sheet titled with the year: the person, the entries, the year's totals."""
    wb = Workbook()
    ws = wb.active
    ws.title = f"{data['year']}年度"
    person = data["person"]
    append_row(ws, [f"湖南省专业技术人员继续教育登记（{data['year']}年度）"])
    ws["A1"].font = Font(bold=True, size=14)
    append_row(ws, [f"姓名：{person['name']}", None, f"身份证号：{person['id_masked']}"])
    write_frame(ws, entries_frame(data["entries"]))
    for cell in ws[3]:
        cell.font = Font(bold=True)
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
    for col, width in zip("ABCDEFGH", WIDTHS, strict=True):
        ws.column_dimensions[col].width = width
    for row in ws.iter_rows(min_row=4):
        for cell in row:
            cell.alignment = Alignment(wrap_text=True, vertical="top")
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()
