"""A round's evaluations as an .xlsx workbook with Chinese headers."""

from __future__ import annotations

import io
from typing import Any

from openpyxl import Workbook
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter

from jxjd.common.enums import label
from jxjd.common.xlsx import append_row
from jxjd.evaluations.models import EVALUATION_STATUSES, OUTCOMES, SCORE_ITEMS

SPOT_LABELS = {
    "pass": "抽查合格",
    "issues": "抽查有问题",
    "fail": "抽查不合格",
    "pending": "抽查待检",
}


def _headers(years: list[int]) -> list[str]:
    out = ["基地编号", "基地名称", "主管部门", "基地状态", "认定日期"]
    for y in years:
        out += [f"{y}年培训班次", f"{y}年培训人数", f"{y}年培训人次", f"{y}年达到年培训人数要求"]
    out += [
        "计划班次（三年）",
        "实际班次（计划内）",
        "计划培训人数（三年）",
        "实际培训人数（计划内）",
        "培训学时（人·学时）",
        "颁发证书",
        "撤销证书",
        *SPOT_LABELS.values(),
        "学员评价人数",
        "学员平均评分",
        *(f"{name}（平均分）" for name in SCORE_ITEMS.values()),
        "评估专家人数",
        "综合得分",
        "评估状态",
        "评估结论",
        "整改期限",
        "优秀有效期至",
        "结论说明",
    ]
    return out


def round_xlsx(data: dict[str, Any]) -> bytes:
    """One row per evaluated base, the three years side by side."""
    wb = Workbook()
    ws = wb.active
    ws.title = f"{data['year']}年度评估"
    append_row(ws, [data["name"]])
    ws["A1"].font = Font(bold=True, size=14)
    headers = _headers(data["years"])
    append_row(ws, headers)
    for cell in ws[2]:
        cell.font = Font(bold=True)
        cell.fill = PatternFill("solid", fgColor="EEF2F6")
        cell.alignment = Alignment(horizontal="center", vertical="center", wrap_text=True)
    for e in data["evaluations"]:
        f, base, summary = e["figures"], e["base"], e["score_summary"]
        row: list[Any] = [
            base["id"],
            base["name"],
            base["department"],
            label("base_status", base["status"]),
            base["recognized_on"] or "",
        ]
        for y in f["years"]:
            row += [
                y["sessions"],
                y["trainees"],
                y["person_times"],
                "是" if y["meets_minimum_trainees"] else "否",
            ]
        t = f["totals"]
        row += [
            t["planned_sessions"],
            t["actual_sessions"],
            t["planned_trainees"],
            t["actual_trainees"],
            t["trainee_hours"],
            f["certificates"]["issued"],
            f["certificates"]["revoked"],
            *(f["spot_checks"].get(k, 0) for k in SPOT_LABELS),
            f["feedback"]["count"],
            f["feedback"]["average"] if f["feedback"]["average"] is not None else "",
            *(summary["items"][k] if summary["items"][k] is not None else "" for k in SCORE_ITEMS),
            summary["evaluators"],
            summary["total"] if summary["total"] is not None else "",
            EVALUATION_STATUSES[e["status"]],
            OUTCOMES.get(e["outcome"], "") if e["outcome"] else "",
            e["deadline"] or "",
            e["excellent_until"] or "",
            e["outcome_reason"] or "",
        ]
        append_row(ws, row)
    ws.freeze_panes = "C3"
    for i, header in enumerate(headers, start=1):
        ws.column_dimensions[get_column_letter(i)].width = (
            30 if i == 2 else max(10, len(header) + 4)
        )
    buffer = io.BytesIO()
    wb.save(buffer)
    return buffer.getvalue()
