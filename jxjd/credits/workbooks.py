"""The credit workbooks handed out: the import template and the per-row error report.

The template holds no person (headers, 身份证号 formatted as text, a list of the year's forms,
and a 填写说明 sheet); the error report is the rows as read with 原行号 and 错误说明 columns,
assembled with pandas and written through common.xlsx (user text never becomes a formula), so
it can be corrected and uploaded again (the importer ignores the two extra columns).
"""

from __future__ import annotations

import io
import re
from typing import Any

import pandas as pd
from openpyxl import Workbook
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.datavalidation import DataValidation

from jxjd.common.xlsx import append_row, table_xlsx
from jxjd.credits.importing import COLUMNS, SHEET
from jxjd.rules.conversions import UNITS, ConversionRules

ROW_COLUMN, ERROR_COLUMN = "原行号", "错误说明"
WIDTHS = {"姓名": 12, "身份证号": 24, "名称": 32, "主办单位": 28, "开始日期": 14, "结束日期": 14}
TEXT_ROWS = 1000  # rows formatted as text in the 身份证号 column (kept under the row cap)
HELP = {
    "姓名": ("必填", "本人姓名"),
    "身份证号": ("必填", "18位居民身份证号，末位X大写；本列已设为“文本”格式，请勿改为数字格式"),
    "年度": ("必填", "认定年度（四位年份），结束日期须在该年度内"),
    "形式": ("必填", "认定形式的名称或代码，见下表"),
    "数量": ("二选一", "按折算表的单位填写数量（天、学时、篇、项、月），系统按折算表计算学时"),
    "学时": ("二选一", "直接填写认定学时（不超过该形式的年度上限）；填了学时则不按数量折算"),
    "名称": ("必填", "培训、会议、论文、著作或项目的名称"),
    "主办单位": ("必填", "主办、发表或立项单位"),
    "开始日期": ("必填", "YYYY-MM-DD"),
    "结束日期": ("必填", "YYYY-MM-DD；按天计的形式，学时平均计入起止日期之间的每一天"),
}


def template_xlsx(table: ConversionRules, max_rows: int) -> bytes:
    """The import template: Chinese headers, 身份证号 as text, 形式 as a list, 填写说明."""
    wb = Workbook()
    ws = wb.active
    ws.title = SHEET
    headers = list(COLUMNS)
    for col, header in enumerate(headers, start=1):
        cell = ws.cell(row=1, column=col, value=header)
        cell.font = Font(bold=True)
        cell.fill = PatternFill("solid", fgColor="DDEBF7")
        cell.alignment = Alignment(horizontal="center")
        ws.column_dimensions[get_column_letter(col)].width = WIDTHS.get(header, 10)
    last = min(TEXT_ROWS, max_rows) + 1
    id_letter = get_column_letter(headers.index("身份证号") + 1)
    ws.column_dimensions[id_letter].number_format = "@"
    for row in range(2, last + 1):
        ws[f"{id_letter}{row}"].number_format = "@"
    form_letter = get_column_letter(headers.index("形式") + 1)
    forms = DataValidation(
        type="list", formula1='"' + ",".join(c.label for c in table.forms) + '"', allow_blank=True
    )
    forms.add(f"{form_letter}2:{form_letter}{last}")
    ws.add_data_validation(forms)
    ws.freeze_panes = "A2"
    _instructions(wb.create_sheet("填写说明"), table)
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def _instructions(ws: Any, table: ConversionRules) -> None:
    ws.column_dimensions["A"].width = 16
    ws.column_dimensions["B"].width = 10
    ws.column_dimensions["C"].width = 80
    append_row(ws, ["学时认定导入填写说明"])
    ws["A1"].font = Font(bold=True, size=14)
    append_row(ws, ["列", "是否必填", "填写要求"])
    for header in COLUMNS:
        append_row(ws, [header, *HELP[header]])
    append_row(ws, [])
    append_row(ws, [f"{table.year} 年度折算表（第 {table.version} 版）"])
    append_row(ws, ["形式", "代码", "折算"])
    for c in table.forms:
        cap = (
            "不设上限"
            if c.yearly_cap is None
            else f"每人每年最多 {c.yearly_cap.normalize():f} 学时"
        )
        unit = UNITS.get(c.unit, c.unit)
        append_row(ws, [c.label, c.form, f"每{unit} {c.hours_per_unit.normalize():f} 学时，{cap}"])
    append_row(ws, [])
    append_row(
        ws,
        [
            "说明",
            "",
            "一行一项活动；同一人同一活动（形式、名称、起止日期相同）重复导入不会重复录入，"
            "数值不同则报“与已录入的不一致”。有错误时可下载错误报告，按“错误说明”修改后重新上传。",
        ],
    )


_ROW_PREFIX = re.compile(r"^第\s*\d+\s*行(（[^）]*）)?[：:]\s*")


def error_report_xlsx(frame: pd.DataFrame, errors: list[dict[str, Any]]) -> bytes:
    """The rows as read (the known columns) with 原行号 and each row's errors joined by "；"."""
    messages: dict[int, list[str]] = {}
    for e in errors:
        if e.get("row") is not None:
            text = _ROW_PREFIX.sub("", str(e.get("message") or ""), count=1)
            messages.setdefault(int(e["row"]), []).append(text)
    english = {en: zh for zh, en in COLUMNS.items()}
    report = frame.reindex(columns=list(english)).rename(columns=english).astype(object)
    report = report.where(report.notna(), None)
    report.insert(0, ROW_COLUMN, [int(n) for n in frame.index])
    report[ERROR_COLUMN] = ["；".join(messages.get(int(n), [])) for n in frame.index]
    return table_xlsx(
        report,
        sheet=SHEET,
        title="学时认定导入错误报告（按“错误说明”修改后可直接重新上传）",
        widths=[8, *(WIDTHS.get(h, 10) for h in COLUMNS), 60],
        freeze="B3",
    )
