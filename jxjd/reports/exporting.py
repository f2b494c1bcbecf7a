"""The province-wide report as an .xlsx workbook: a pandas table, written by openpyxl."""

from __future__ import annotations

from typing import Any

import pandas as pd

from jxjd.common.enums import BASE_STATUSES
from jxjd.common.xlsx import table_xlsx

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


def province_report_xlsx(report: dict[str, Any]) -> bytes:
    """One row per base, a totals row, Chinese headers."""
    return table_xlsx(
        province_frame(report),
        sheet=f"{report['year']}年度",
        title=f"{report['year']} 年度省级继续教育基地培训完成情况",
        widths=WIDTHS,
        freeze="A3",
        bold_last_row=True,
    )
