"""Plan items from an .xlsx template: the downloadable template, and reading it back row by row.

The file is read by the bounded reader (jxjd/common/workbook.py). Every bad row is reported with
the row number the user sees in Excel; a file with any bad row imports nothing, so what lands in
the editor is always the whole sheet.
"""

from __future__ import annotations

import io
from decimal import Decimal, InvalidOperation
from typing import Any

from openpyxl import Workbook
from openpyxl.styles import Font
from openpyxl.worksheet.datavalidation import DataValidation

from jxjd.common.enums import AUDIENCES, CATEGORIES, FORMS, LEVELS
from jxjd.common.workbook import read_xlsx_rows
from jxjd.common.xlsx import append_row
from jxjd.errors import ValidationFailed, field_error
from jxjd.plans.schemas import MAX_ITEMS

SHEET = "计划项目"
# (item key, column header, choices or None for free text / numbers)
COLUMNS: list[tuple[str, str, dict[str, str] | None]] = [
    ("title", "项目名称", None),
    ("specialty", "专业", None),
    ("category", "科目类别", CATEGORIES),
    ("level", "培训层次", LEVELS),
    ("audience", "培训对象", AUDIENCES),
    ("form", "培训形式", FORMS),
    ("sessions", "计划期数", None),
    ("trainees", "计划人数", None),
    ("hours", "每期学时", None),
]
NUMBERS = {"sessions": "整数", "trainees": "整数", "hours": "数字"}


def template_xlsx(specialties: list[str]) -> bytes:
    """The import template: headers, drop-downs for the coded columns, a sheet of instructions."""
    book = Workbook()
    sheet = book.active
    sheet.title = SHEET
    append_row(sheet, [header for _, header, _ in COLUMNS])
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    for index, (key, _, choices) in enumerate(COLUMNS):
        letter = chr(ord("A") + index)
        sheet.column_dimensions[letter].width = 28 if key == "title" else 16
        options = list(choices.values()) if choices else (specialties if key == "specialty" else [])
        if options:
            rule = DataValidation(type="list", formula1='"' + ",".join(options) + '"')
            rule.add(f"{letter}2:{letter}{MAX_ITEMS + 1}")
            sheet.add_data_validation(rule)
    notes = book.create_sheet("填写说明")
    append_row(notes, ["列", "填写要求"])
    for key, header, choices in COLUMNS:
        if choices:
            rule_text = "从下拉列表选择：" + "、".join(choices.values())
        elif key == "specialty":
            rule_text = "基地认定的专业：" + ("、".join(specialties) or "（尚未认定专业）")
        elif key in NUMBERS:
            rule_text = f"填写{NUMBERS[key]}"
        else:
            rule_text = "必填"
        append_row(notes, [header, rule_text])
    append_row(notes, ["", f"每行一个培训项目，最多 {MAX_ITEMS} 项；第一行是表头，请勿修改。"])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def _text(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return str(value).strip()


def _choice(value: str, choices: dict[str, str]) -> str | None:
    """A coded column: its label as shown in the drop-down, or the code itself."""
    by_label = {label: code for code, label in choices.items()}
    return by_label.get(value) or (value if value in choices else None)


def _number(key: str, value: str) -> str | None:
    try:
        number = Decimal(value)
    except InvalidOperation:
        return None
    if not number.is_finite() or (NUMBERS[key] == "整数" and number != number.to_integral()):
        return None
    return str(int(number)) if number == number.to_integral() else str(number.normalize())


def _row(cells: list[object], row: int) -> tuple[dict[str, str], list[dict]]:
    """One sheet row as the editor's typed values, with what is wrong in it."""
    item: dict[str, str] = {}
    errors = []
    for index, (key, header, choices) in enumerate(COLUMNS):
        raw = _text(cells[index] if index < len(cells) else None)
        value: str | None = raw
        if not raw:
            errors.append(field_error("required", f"“{header}”未填写", field=key, row=row))
            continue
        if choices:
            value = _choice(raw, choices)
            allowed = "、".join(choices.values())
            message = f"“{header}”填写的“{raw}”不是可选的取值（{allowed}）"
        elif key in NUMBERS:
            value = _number(key, raw)
            message = f"“{header}”应填写{NUMBERS[key]}，表中是“{raw}”"
        if value is None:
            errors.append(field_error("invalid_value", message, field=key, row=row))
        else:
            item[key] = value
    return item, errors


def read_items(data: bytes) -> list[dict[str, str]]:
    """The template's rows as typed item values; 422 naming every bad row, or an empty sheet."""
    rows = read_xlsx_rows(data, max_rows=MAX_ITEMS, preferred_sheet=SHEET)
    header = next(rows, None)
    headers = [_text(c) for c in header[1]] if header is not None else []
    if headers[: len(COLUMNS)] != [h for _, h, _ in COLUMNS]:
        expected = "、".join(h for _, h, _ in COLUMNS)
        message = f"第一行应是模板的表头（{expected}），请下载模板后填写"
        raise ValidationFailed([field_error("not_the_template", message, field="items_file")])
    items, errors = [], []
    for number, cells in rows:
        if all(_text(c) == "" for c in cells):
            continue
        item, row_errors = _row(cells, number)
        items.append(item)
        errors += row_errors
    if errors:
        raise ValidationFailed(errors, detail=f"模板中有 {len(errors)} 处需要修改，未导入任何项目")
    if not items:
        message = "模板中没有培训项目，请从第二行起每行填写一个项目"
        raise ValidationFailed([field_error("empty_file", message, field="items_file")])
    return items


def blank_item() -> dict[str, Any]:
    """A new editor row: nothing typed yet (no numbers filled in for the user)."""
    return {key: "" for key, _, _ in COLUMNS}
