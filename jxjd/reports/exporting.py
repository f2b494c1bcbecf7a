"""The province-wide report as an .xlsx workbook."""

from __future__ import annotations

import io
from typing import Any

from openpyxl import Workbook
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter

from jxjd.common.enums import label
from jxjd.common.xlsx import append_row

HEADERS = [
    "基地编号",
    "基地名称",
    "主管部门",
    "状态",
    "培训班次",
    "培训人数",
    "培训人次",
    "培训学时（人·学时）",
    "达到年培训1000人",
]


def province_report_xlsx(report: dict[str, Any]) -> bytes:
    """One row per base, a totals row, Chinese headers."""
    wb = Workbook()
    ws = wb.active
    ws.title = f"{report['year']}年度"
    append_row(ws, [f"{report['year']} 年度省级继续教育基地培训完成情况"])
    ws["A1"].font = Font(bold=True, size=14)
    append_row(ws, HEADERS)
    for cell in ws[2]:
        cell.font = Font(bold=True)
        cell.fill = PatternFill("solid", fgColor="EEF2F6")
        cell.alignment = Alignment(horizontal="center", wrap_text=True)
    for row in report["bases"]:
        append_row(
            ws,
            [
                row["base_id"],
                row["name"],
                row["department"],
                label("base_status", row["status"]),
                row["sessions"],
                row["trainees"],
                row["person_times"],
                row["trainee_hours"],
                "是" if row["meets_minimum_trainees"] else "否",
            ],
        )
    totals = report["totals"]
    append_row(
        ws,
        [
            "合计",
            "",
            "",
            "",
            totals["sessions"],
            "",
            totals["person_times"],
            totals["trainee_hours"],
            f"{totals['bases_meeting_minimum']} 家达标",
        ],
    )
    for cell in ws[ws.max_row]:
        cell.font = Font(bold=True)
    for i, width in enumerate([10, 36, 24, 10, 10, 10, 10, 16, 16], start=1):
        ws.column_dimensions[get_column_letter(i)].width = width
    ws.freeze_panes = "A3"
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()
