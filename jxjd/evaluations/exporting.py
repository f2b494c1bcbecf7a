"""A round's evaluations as an .xlsx workbook: a pandas table (three years side by side)."""

from __future__ import annotations

from typing import Any

import pandas as pd

from jxjd.common.enums import BASE_STATUSES, EVALUATION_OUTCOMES, EVALUATION_STATUSES, SCORE_ITEMS
from jxjd.common.xlsx import table_xlsx

# Column headings of the spot-check counts (a count per outcome, not the outcome's label).
SPOT_LABELS = {
    "pass": "抽查合格",
    "issues": "抽查有问题",
    "fail": "抽查不合格",
    "pending": "抽查待检",
}
# Per year: (figure, heading after "{year}年").
YEAR_COLUMNS = [
    ("sessions", "培训班次"),
    ("trainees", "培训人数"),
    ("person_times", "培训人次"),
    ("meets_minimum_trainees", "达到年培训人数要求"),
]
TOTAL_COLUMNS = [
    ("planned_sessions", "计划班次（三年）"),
    ("actual_sessions", "实际班次（计划内）"),
    ("planned_trainees", "计划培训人数（三年）"),
    ("actual_trainees", "实际培训人数（计划内）"),
    ("trainee_hours", "培训学时（人·学时）"),
]


def _years_wide(evaluations: list[dict[str, Any]], years: list[int]) -> pd.DataFrame:
    """Each base's yearly figures, pivoted to one row per base: "2024年培训班次", ..."""
    long = pd.DataFrame(
        [{"base_id": e["base"]["id"], **y} for e in evaluations for y in e["figures"]["years"]],
        columns=["base_id", "year", *(key for key, _ in YEAR_COLUMNS)],
    )
    long["meets_minimum_trainees"] = long["meets_minimum_trainees"].map({True: "是", False: "否"})
    wide = long.pivot(index="base_id", columns="year", values=[key for key, _ in YEAR_COLUMNS])
    order = [(key, y) for y in years for key, _ in YEAR_COLUMNS]
    wide = wide.reindex(columns=pd.MultiIndex.from_tuples(order))
    wide.columns = [f"{y}年{heading}" for y in years for _, heading in YEAR_COLUMNS]
    return wide.astype(object)


def _base_row(e: dict[str, Any]) -> dict[str, Any]:
    """The columns before the years and after them, for one evaluation."""
    f, base, summary = e["figures"], e["base"], e["score_summary"]
    row: dict[str, Any] = {
        "基地编号": base["id"],
        "基地名称": base["name"],
        "主管部门": base["department"],
        "基地状态": BASE_STATUSES.get(base["status"], base["status"]),
        "认定日期": base["recognized_on"] or "",
    }
    row.update({heading: f["totals"][key] for key, heading in TOTAL_COLUMNS})
    row["颁发证书"] = f["certificates"]["issued"]
    row["撤销证书"] = f["certificates"]["revoked"]
    row.update({heading: f["spot_checks"].get(k, 0) for k, heading in SPOT_LABELS.items()})
    row["学员评价人数"] = f["feedback"]["count"]
    row["学员平均评分"] = f["feedback"]["average"]
    row.update({f"{name}（平均分）": summary["items"][k] for k, name in SCORE_ITEMS.items()})
    row["评估专家人数"] = summary["evaluators"]
    row["综合得分"] = summary["total"]
    row["评估状态"] = EVALUATION_STATUSES[e["status"]]
    row["评估结论"] = EVALUATION_OUTCOMES.get(e["outcome"], "") if e["outcome"] else ""
    row["整改期限"] = e["deadline"] or ""
    row["优秀有效期至"] = e["excellent_until"] or ""
    row["结论说明"] = e["outcome_reason"] or ""
    return row


def round_frame(data: dict[str, Any]) -> pd.DataFrame:
    """One row per evaluated base: the base, its three years side by side, then the rest."""
    evaluations, years = data["evaluations"], data["years"]
    rows = pd.DataFrame([_base_row(e) for e in evaluations], dtype=object)
    if rows.empty:
        return pd.DataFrame(columns=_headers(years))
    wide = _years_wide(evaluations, years)
    table = rows.join(wide, on="基地编号")
    # Missing averages (nobody rated, nobody scored) are empty cells, as in the other columns.
    return table.reindex(columns=_headers(years)).astype(object).where(table.notna(), "")


def _headers(years: list[int]) -> list[str]:
    """Every column heading, in order."""
    out = ["基地编号", "基地名称", "主管部门", "基地状态", "认定日期"]
    out += [f"{y}年{heading}" for y in years for _, heading in YEAR_COLUMNS]
    out += [heading for _, heading in TOTAL_COLUMNS]
    out += ["颁发证书", "撤销证书", *SPOT_LABELS.values(), "学员评价人数", "学员平均评分"]
    out += [f"{name}（平均分）" for name in SCORE_ITEMS.values()]
    out += ["评估专家人数", "综合得分", "评估状态", "评估结论", "整改期限", "优秀有效期至"]
    return [*out, "结论说明"]


def round_xlsx(data: dict[str, Any]) -> bytes:
    """One row per evaluated base, the three years side by side."""
    headers = _headers(data["years"])
    return table_xlsx(
        round_frame(data),
        sheet=f"{data['year']}年度评估",
        title=data["name"],
        widths=[30 if i == 1 else max(10, len(h) + 4) for i, h in enumerate(headers)],
        freeze="C3",
    )
