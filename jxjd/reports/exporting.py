"""The province-wide report as an .xlsx workbook: a pandas table, written by openpyxl."""

from __future__ import annotations

import io
from typing import Any

import pandas as pd
from openpyxl import load_workbook
from openpyxl.styles import Font

from jxjd.common.enums import BASE_STATUSES
from jxjd.common.xlsx import append_row, table_xlsx, write_frame

# The report's columns: (key in a report row, Chinese header).
COLUMNS = [
    ("base_id", "基地编号"),
    ("name", "基地名称"),
    ("department", "主管部门"),
    ("status", "状态"),
    ("sessions", "培训班次"),
    ("trainees", "培训人数"),
    ("person_times", "培训人次"),
    ("trainee_hours", "培训学时（人·学时）"),
    ("meets_minimum_trainees", "达到年培训1000人"),
]
HEADERS = [header for _, header in COLUMNS]
WIDTHS = [10, 36, 24, 10, 10, 10, 10, 16, 16]


def province_frame(report: dict[str, Any]) -> pd.DataFrame:
    """One row per base with Chinese headers and labels, then the totals row."""
    keys = [key for key, _ in COLUMNS]
    frame = pd.DataFrame(report["bases"], columns=keys, dtype=object)
    frame["status"] = frame["status"].map(lambda s: BASE_STATUSES.get(s, s))
    frame["meets_minimum_trainees"] = frame["meets_minimum_trainees"].map({True: "是", False: "否"})
    totals = report["totals"]
    total_row = {
        "base_id": "合计",
        "name": "",
        "department": "",
        "status": "",
        "sessions": totals["sessions"],
        "trainees": "",
        "person_times": totals["person_times"],
        "trainee_hours": totals["trainee_hours"],
        "meets_minimum_trainees": f"{totals['bases_meeting_minimum']} 家达标",
    }
    frame = pd.concat([frame, pd.DataFrame([total_row], dtype=object)], ignore_index=True)
    return frame.rename(columns=dict(COLUMNS))


SOURCE_COLUMNS = [
    ("label", "学时来源"),
    ("credits", "认定条数"),
    ("people", "人数"),
    ("hours", "计入学时（人·学时）"),
]
SOURCE_HEADERS = [header for _, header in SOURCE_COLUMNS]
SOURCES_SHEET = "学时来源"


def sources_frame(report: dict[str, Any]) -> pd.DataFrame:
    """Hours by source: base sessions, each credit form, then the total row."""
    by_source = report["hours_by_source"]
    rows = [
        {**r, "credits": "" if r["credits"] is None else r["credits"]} for r in by_source["sources"]
    ]
    rows.append({"label": "合计", "credits": "", "people": "", "hours": by_source["total_hours"]})
    frame = pd.DataFrame(rows, columns=[k for k, _ in SOURCE_COLUMNS], dtype=object)
    return frame.rename(columns=dict(SOURCE_COLUMNS))


def _with_sources(data: bytes, report: dict[str, Any]) -> bytes:
    """The workbook with a second sheet of hours by source."""
    wb = load_workbook(io.BytesIO(data))
    ws = wb.create_sheet(SOURCES_SHEET)
    append_row(ws, [f"{report['year']} 年度学时来源（学时认定按档案口径计入）"])
    ws["A1"].font = Font(bold=True, size=14)
    write_frame(ws, sources_frame(report))
    for cell in (*ws[2], *ws[ws.max_row]):
        cell.font = Font(bold=True)
    for letter, width in zip("ABCD", (24, 12, 10, 20), strict=True):
        ws.column_dimensions[letter].width = width
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def province_report_xlsx(report: dict[str, Any]) -> bytes:
    """One row per base, a totals row, Chinese headers; hours by source on a second sheet."""
    data = table_xlsx(
        province_frame(report),
        sheet=f"{report['year']}年度",
        title=f"{report['year']} 年度省级继续教育基地培训完成情况",
        widths=WIDTHS,
        freeze="A3",
        bold_last_row=True,
    )
    return _with_sources(data, report) if "hours_by_source" in report else data
