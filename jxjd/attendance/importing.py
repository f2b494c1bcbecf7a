"""Reading and checking the trainee roster a training base uploads after a class (xlsx, CSV, JSON).

Pure code: no Flask app and no database. The caller reads the upload, calls `read_roster_file`
(or `rows_from_json`), then `validate_rows`, and stores the good rows itself.

Files are read as streams of rows with bounded work, whatever they claim (CONTRACT §11): .xlsx
through workbook.py (our own zip inflation and expat parse; the sheet's extent is checked before
anything is stored), CSV with the csv module (every cell stays text, so leading zeros and a final X
survive). Reading stops as soon as a cap is passed. openpyxl writes the template and the error
report.
"""

from __future__ import annotations

import csv
import hashlib
import io
import logging
import posixpath
import re
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Any

from jxjd.common.ids import id_number_problem, normalize_id_number, to_halfwidth
from jxjd.common.phones import is_mobile, normalize_phone
from jxjd.common.text import KINDS, text_problem, too_long_message
from jxjd.common.time import local_today
from jxjd.common.workbook import (
    HEADER_ALLOWANCE,
    MAX_COLUMNS,
    NOT_A_WORKBOOK_DETAIL,
    read_xlsx_rows,
    sheet_too_large,
)
from jxjd.errors import PayloadTooLarge, UnsupportedMediaType, ValidationFailed, field_error

log = logging.getLogger(__name__)

MAX_UPLOAD_BYTES: int = 5 * 1024 * 1024

# English key -> Chinese header, in template order.
COLUMNS: dict[str, str] = {
    "name": "姓名",
    "id_number": "身份证号",
    "employer": "工作单位",
    "hours": "学时",
    "result": "考核结果",
    "phone": "手机号",  # optional: the mobile a registration code is sent to (CONTRACT §12)
}
REQUIRED_COLUMNS: tuple[str, ...] = ("name", "id_number")
TEMPLATE_SHEET = "学员名单"
TEMPLATE_TEXT_ROWS = 5000
ERROR_COLUMN = "错误说明"
ROW_COLUMN = "原行号"

# Common spellings of the ID column besides the template's own header.
_HEADER_ALIASES: dict[str, str] = {
    "身份证号码": "id_number",
    "公民身份号码": "id_number",
    "手机号码": "phone",
    "手机": "phone",
}
# A title row above the header is tolerated: the header is searched for in this many first rows.
_HEADER_SEARCH_ROWS = HEADER_ALLOWANCE
# One roster is one class: far below this. Bigger files are refused before any work is done.
# The default of the JXJD_MAX_ROSTER_ROWS setting (data rows; the extent may add the header).
MAX_ROWS = 20_000
# Text kept from a file's known columns, per allowed row: far above the longest real roster row
# (shared strings in a workbook could otherwise repeat one long text in every row).
_TEXT_CHARS_PER_ROW = 256
_OLE2_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"

# The template's example row: unmistakably not a person, and skipped when a file still has it.
EXAMPLE_ROW: dict[str, object] = {
    "name": "示例：张三",
    "id_number": "示例：18位身份证号（本行不会导入）",
    "employer": "示例：湖南某某有限公司",
    "hours": 24,
    "result": "合格",
}

_RESULTS: dict[str, str] = {"合格": "pass", "pass": "pass", "不合格": "fail", "fail": "fail"}
_SCIENTIFIC_RE = re.compile(r"^[+-]?\d+(?:\.\d*)?E[+-]?\d+$")
_ONE_DECIMAL = Decimal("0.1")
_REPORT_CELL_MAX = 1000
_XML_ILLEGAL_RE = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")
# Left out of a name quoted in a message: control, zero-width and bidirectional characters.
_UNSHOWABLE_RE = re.compile(r"[\x00-\x1f\x7f-\x9f\u200b-\u200f\u202a-\u202e\u2066-\u2069\ufeff]")
# The row prefix of an error message: 第5行： or 第5行（李四）：
_ROW_PREFIX_RE = re.compile(r"^第\d+行(?:（.*?）)?：")

_UNSUPPORTED_DETAIL = "仅支持上传Excel工作簿（.xlsx）或CSV文件（.csv），请使用下载的名单模板填写"
_LEGACY_XLS_DETAIL = (
    "这是旧版Excel文件（.xls）或设置了打开密码的工作簿，系统只接受.xlsx：请用Excel另存为.xlsx"
    "（“Excel工作簿”格式，不设打开密码）后再上传"
)
_BAD_CSV_DETAIL = (
    "无法识别CSV文件的内容，请用Excel或WPS将名单另存为“CSV（逗号分隔）”或.xlsx文件后再上传"
)
_NUMERIC_ID_MESSAGE = (
    "身份证号被Excel当作数字保存，后几位已丢失（Excel数字只保留15位有效数字）。"
    "请将“身份证号”列的单元格格式设为“文本”后重新录入身份证号"
)
_SCIENTIFIC_ID_MESSAGE = (
    "身份证号显示为科学计数法（如4.30104E+17），说明Excel已将其当作数字处理，后几位已丢失"
    "（Excel数字只保留15位有效数字）。请将“身份证号”列的单元格格式设为“文本”后重新录入身份证号"
)
_JSON_NUMERIC_ID_MESSAGE = "身份证号须以字符串提交，按数字提交会丢失精度"
_TRAILING_ZEROS_HINT = (
    "（末三位为000，可能是Excel将身份证号当作数字处理造成的，"
    "请将“身份证号”列的单元格格式设为“文本”后重新录入）"
)


@dataclass(slots=True)
class RawRow:
    """One non-blank row as read: sheet row number (None for JSON) and english key -> value."""

    row: int | None
    values: dict[str, object]


@dataclass(slots=True, frozen=True)
class RosterRow:
    """One checked roster row, ready to store."""

    row: int | None
    name: str
    id_number: str
    employer: str | None
    hours: Decimal
    result: str
    phone: str | None = None


@dataclass(frozen=True)
class Roster:
    """The raw rows of one upload, with the file's name and SHA-256 (both None for JSON)."""

    rows: list[RawRow]
    filename: str | None = None
    sha256: str | None = None


# --------------------------------------------------------------------------------------------
# Reading
# --------------------------------------------------------------------------------------------


def roster_from_file(data: bytes, filename: str, *, max_bytes: int, max_rows: int) -> Roster:
    """An uploaded .xlsx/.csv file read into a Roster (bounded: see read_roster_file)."""
    rows = read_roster_file(data, filename, max_bytes=max_bytes, max_rows=max_rows)
    return Roster(rows, filename, hashlib.sha256(data).hexdigest())


def read_roster_file(
    data: bytes,
    filename: str,
    *,
    max_bytes: int = MAX_UPLOAD_BYTES,
    max_rows: int | None = None,
) -> list[RawRow]:
    """Read an uploaded .xlsx or .csv roster into raw rows; raise a Problem when it is unusable.

    `max_rows` (default MAX_ROWS) caps the data rows; the file's extent may add the header and a
    few title rows. Reading stops as soon as a cap is passed.
    """
    max_rows = MAX_ROWS if max_rows is None else max_rows
    if len(data) > max_bytes:
        raise PayloadTooLarge(
            f"上传文件不能超过{_megabytes(max_bytes)}MB，当前文件约{_megabytes(len(data))}MB",
            code="file_too_large",
            max_bytes=max_bytes,
        )
    ext = posixpath.splitext((filename or "").replace("\\", "/").lower())[1]
    if data.startswith(_OLE2_MAGIC) or ext == ".xls":
        raise UnsupportedMediaType(_LEGACY_XLS_DETAIL, code="unsupported_file")
    if ext not in (".xlsx", ".csv"):
        raise UnsupportedMediaType(_UNSUPPORTED_DETAIL, code="unsupported_file")
    if not data:
        raise _empty_file("文件为空，请使用名单模板填写学员信息后再上传")
    if ext == ".xlsx":
        if not data.startswith(b"PK"):
            raise UnsupportedMediaType(NOT_A_WORKBOOK_DETAIL, code="unsupported_file")
        table = _read_xlsx_table(data, max_rows=max_rows)
    else:
        if data.startswith(b"PK\x03\x04"):
            raise UnsupportedMediaType(
                "文件扩展名为.csv，但内容是Excel工作簿，请将扩展名改为.xlsx后再上传",
                code="unsupported_file",
            )
        table = _read_csv_table(data, max_rows=max_rows)
    return _table_to_raw_rows(table, max_rows=max_rows)


def rows_from_json(rows: object, *, max_rows: int | None = None) -> list[RawRow]:
    """Turn the JSON body's "rows" (a list of objects with English keys) into raw rows."""
    if not isinstance(rows, list):
        raise _bad_rows('rows 须为数组，每个元素是一名学员的对象（如 {"name": ..., ...}）')
    if not rows:
        raise _bad_rows("rows 为空，请至少提交一名学员")
    _check_row_count(len(rows), MAX_ROWS if max_rows is None else max_rows)
    out: list[RawRow] = []
    for index, item in enumerate(rows, start=1):
        if not isinstance(item, dict):
            raise _bad_rows(f"rows 第{index}条不是对象")
        values: dict[str, object] = {}
        for key, value in item.items():
            column = _HEADER_LOOKUP.get(_header_key(key)) if isinstance(key, str) else None
            if column is None or column in values:
                continue
            if value is not None and (
                isinstance(value, bool) or not isinstance(value, str | int | float)
            ):
                raise _bad_rows(f"rows 第{index}条的 {key} 须为字符串或数字")
            values[column] = value
        out.append(RawRow(row=None, values=values))
    return out


def _read_xlsx_table(data: bytes, *, max_rows: int = MAX_ROWS) -> Iterator[tuple[int, list]]:
    """Rows of the roster sheet as (row number, cell values), streamed with bounded work.

    Each cell keeps its type, so a numeric ID cell stays a number and is reported as such; empty
    cells are None. The sheet named 学员名单 is read if present, else the first visible worksheet.
    """
    return read_xlsx_rows(data, max_rows=max_rows, preferred_sheet=TEMPLATE_SHEET)


def _read_csv_table(data: bytes, *, max_rows: int = MAX_ROWS) -> Iterator[tuple[int, list]]:
    """Rows of a CSV file, every cell kept as text, streamed; UTF-8 (BOM optional), GBK or UTF-16.

    Excel's "Unicode text" (UTF-16, tab-separated) is read too: a first line with tabs and no
    commas means tab-separated. Past the row cap or 64 columns → 413 sheet_too_large.
    """
    text = _decode_csv(data)
    first_line = text[: text.find("\n")] if "\n" in text else text
    delimiter = "\t" if "\t" in first_line and "," not in first_line else ","
    extent = max_rows + HEADER_ALLOWANCE
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    try:
        for number, record in enumerate(reader, start=1):
            if number > extent:
                raise sheet_too_large(f"文件超过{extent}行", max_rows)
            if len(record) > MAX_COLUMNS:
                raise sheet_too_large(f"第{number}行有{len(record)}列", max_rows)
            yield number, record
    except csv.Error as exc:
        raise UnsupportedMediaType(_BAD_CSV_DETAIL, code="unsupported_file") from exc


def _decode_csv(data: bytes) -> str:
    """Decode CSV bytes: UTF-16 with BOM, else UTF-8 (BOM optional), else GB18030 (covers GBK)."""
    encodings = ("utf-16",) if data[:2] in (b"\xff\xfe", b"\xfe\xff") else ("utf-8-sig", "gb18030")
    for encoding in encodings:
        try:
            text = data.decode(encoding)
        except UnicodeDecodeError:
            continue
        if "\x00" in text:  # text files have no NUL characters; binary files almost always do
            break
        return text
    raise UnsupportedMediaType(_BAD_CSV_DETAIL, code="unsupported_file")


def _table_to_raw_rows(
    table: Iterable[tuple[int, Sequence[object]]], *, max_rows: int = MAX_ROWS
) -> list[RawRow]:
    """Find the header, map the known columns, drop blank rows; row numbers stay as in the sheet.

    The table is consumed as a stream: only the known columns of each row are kept, and reading
    stops at the first row past `max_rows`. The template's example row is skipped.
    """
    rows = iter(table)
    mapping: dict[str, int] = {}
    searched = 0  # non-blank rows looked at for the header
    for _number, cells in rows:
        if _all_blank(cells):
            continue
        searched += 1
        mapping = _header_mapping(cells)
        if mapping or searched == _HEADER_SEARCH_ROWS:
            break
    if not searched:
        raise _empty_file("文件为空，请使用名单模板填写学员信息后再上传")
    missing = [key for key in REQUIRED_COLUMNS if key not in mapping]
    if missing:
        raise ValidationFailed(
            [
                field_error(
                    "missing_column",
                    f"缺少必填列“{COLUMNS[key]}”（表头也可写作 {key}）",
                    field=key,
                )
                for key in missing
            ],
            code="missing_column",
        )
    items = list(mapping.items())
    out: list[RawRow] = []
    text_left = max_rows * _TEXT_CHARS_PER_ROW
    example_seen = False
    for number, cells in rows:
        width = len(cells)
        values = {key: (cells[idx] if idx < width else None) for key, idx in items}
        if _all_blank(values.values()):
            continue
        if _is_example_row(values):
            example_seen = True
            continue
        out.append(RawRow(row=number, values=values))
        if len(out) > max_rows:  # the sheet's extent is past the cap (CONTRACT §11)
            raise sheet_too_large(f"文件中的学员数据超过{max_rows}行", max_rows)
        for value in values.values():
            if isinstance(value, str):
                text_left -= len(value)
        if text_left < 0:
            raise PayloadTooLarge(
                f"名单中的文字过多（平均每行超过{_TEXT_CHARS_PER_ROW}个字符），请检查后再上传",
                code="file_too_large",
            )
    if not out:
        if example_seen:
            raise _empty_file("文件中只有模板的示例行，请在示例行下方逐行填写学员信息")
        raise _empty_file("文件中没有学员数据，请在表头下方逐行填写学员信息")
    return out


def _is_example_row(values: dict[str, object]) -> bool:
    """True for the template's example row, left in the file as it was."""
    for key in ("name", "id_number"):
        value = values.get(key)
        if not isinstance(value, str) or to_halfwidth(value).strip() != _EXAMPLE_TEXT[key]:
            return False
    return True


_EXAMPLE_TEXT = {key: to_halfwidth(str(EXAMPLE_ROW[key])) for key in ("name", "id_number")}


def _check_row_count(count: int, max_rows: int) -> None:
    """422 for a JSON body with more rows than one roster may have (files: 413 sheet_too_large)."""
    if count > max_rows:
        raise ValidationFailed(
            [
                field_error(
                    "too_many_items",
                    f"一份名单最多 {max_rows} 行，本次提交有 {count} 行，请按班次拆分",
                    field="rows",
                )
            ],
            code="too_many_items",
        )


def _header_key(text: str) -> str:
    """Header text reduced for matching: half-width, no spaces/underscores/hyphens/stars, lower."""
    text = to_halfwidth(text).lower()
    return "".join(ch for ch in text if not ch.isspace() and ch not in "_-*")


_HEADER_LOOKUP: dict[str, str] = {
    **{_header_key(alias): key for alias, key in _HEADER_ALIASES.items()},
    **{_header_key(zh): key for key, zh in COLUMNS.items()},
    **{_header_key(key): key for key in COLUMNS},
}


def _header_mapping(cells: Sequence[object]) -> dict[str, int]:
    """English key -> column index for the known headers in a row (first occurrence wins)."""
    mapping: dict[str, int] = {}
    for idx, cell in enumerate(cells):
        if cell is None:
            continue
        key = _HEADER_LOOKUP.get(_header_key(str(cell)))
        if key is not None and key not in mapping:
            mapping[key] = idx
    return mapping


def _all_blank(values: Iterable[object]) -> bool:
    """True when every value is None or blank text."""
    for value in values:
        if value is None:
            continue
        if isinstance(value, str) and not value.strip():
            continue
        return False
    return True


# --------------------------------------------------------------------------------------------
# Validating
# --------------------------------------------------------------------------------------------


def validate_rows(
    raw: list[RawRow], *, session_hours: Decimal
) -> tuple[list[RosterRow], list[dict]]:
    """Normalise and check every row; return the rows without errors and all errors by row."""
    if not isinstance(session_hours, Decimal):
        session_hours = Decimal(str(session_hours))
    today = local_today()
    # Hours and results repeat across a roster: check each distinct value once.
    hours_seen: dict[tuple[type, object], tuple[str | None, str, Decimal]] = {}
    results_seen: dict[tuple[type, object], str | None] = {}
    ids_seen: dict[str, int] = {}  # normalised ID -> row number (or position for JSON) first seen
    good: list[RosterRow] = []
    errors: list[dict] = []
    for index, item in enumerate(raw, start=1):
        row = item.row
        values = item.values
        problems: list[tuple[str, str, str]] = []  # (code, field, message without row prefix)

        name, problem = _text_value(values.get("name"), "person_name", "name", halfwidth=True)
        if problem is not None:
            problems.append(problem)
        elif not name:
            problems.append(("missing_name", "name", "姓名不能为空"))
        employer, problem = _text_value(
            values.get("employer"), "unit", "employer", label="工作单位"
        )
        if problem is not None:
            problems.append(problem)

        id_number, id_message = _check_id(values.get("id_number"), json=row is None, today=today)
        if id_message is not None:
            problems.append(("invalid_id_number", "id_number", id_message))
        else:
            earlier = ids_seen.get(id_number)
            if earlier is None:
                ids_seen[id_number] = row if row is not None else index
            else:
                where = f"第{earlier}行" if row is not None else f"第{earlier}条记录"
                problems.append(("duplicate_row", "id_number", f"身份证号与{where}重复"))

        value = values.get("hours")
        key = (value.__class__, value)
        outcome = hours_seen.get(key)
        if outcome is None:
            outcome = hours_seen[key] = _check_hours(value, session_hours)
        if outcome[0] is not None:
            problems.append((outcome[0], "hours", outcome[1]))
        hours = outcome[2]

        value = values.get("result")
        key = (value.__class__, value)
        if key in results_seen:
            result = results_seen[key]
        else:
            result = results_seen[key] = _check_result(value)
        if result is None:
            shown = _shorten(_cell_text(value).strip())
            message = f"考核结果“{shown}”无效：只能填写“合格”或“不合格”"
            problems.append(("invalid_result", "result", message))

        phone, phone_message = _check_phone(values.get("phone"))
        if phone_message is not None:
            problems.append(("invalid_phone", "phone", phone_message))

        if problems:
            prefix = row_prefix(row, name, index=index)
            for code, field, message in problems:
                errors.append(field_error(code, prefix + message, field=field, row=row))
        else:
            good.append(
                RosterRow(row, name, id_number, employer or None, hours, result or "pass", phone)
            )
    errors.sort(key=lambda e: (e["row"] is None, e["row"] or 0))
    return good, errors


def row_prefix(row: int | None, name: str = "", *, index: int | None = None) -> str:
    """The prefix of a row's error, e.g. 第5行（李四）：, naming the row (or JSON record) and trainee."""
    where = f"第{row}行" if row is not None else f"第{index}条"
    shown = _shorten(_UNSHOWABLE_RE.sub("", name).strip()) if name else ""
    return f"{where}（{shown}）：" if shown else f"{where}："


def _text_value(
    value: object, kind: str, field: str, *, label: str | None = None, halfwidth: bool = False
) -> tuple[str, tuple[str, str, str] | None]:
    """(trimmed text, (code, field, message) when it breaks the text rule of `kind`, or None)."""
    text = (value if isinstance(value, str) else _cell_text(value)).strip()
    spec = KINDS[kind]
    if len(text) > spec.max_length:  # before normalising: never spend time on a huge cell
        message = too_long_message(label or spec.label, spec.max_length, len(text))
        return "", ("too_long", field, message)
    if halfwidth:
        text = to_halfwidth(text).strip()
    problem = text_problem(text, kind, label)
    return text, None if problem is None else (problem[0], field, problem[1])


def _check_id(value: object, *, json: bool, today: date) -> tuple[str, str | None]:
    """(normalised ID, Chinese reason it is invalid or None)."""
    if isinstance(value, int | float) and not isinstance(value, bool):
        return "", _JSON_NUMERIC_ID_MESSAGE if json else _NUMERIC_ID_MESSAGE
    normalized = normalize_id_number(value if isinstance(value, str) else _cell_text(value))
    if not normalized.isalnum():  # rare: tabs, apostrophes and other stray characters
        normalized = "".join(normalized.split()).lstrip("'")
    if not normalized:
        return "", "身份证号不能为空"
    if "E" in normalized and _SCIENTIFIC_RE.match(normalized):
        return normalized, _SCIENTIFIC_ID_MESSAGE
    problem = id_number_problem(normalized, today=today)
    if problem is not None and len(normalized) == 18 and normalized.endswith("000"):
        problem += _TRAILING_ZEROS_HINT
    return normalized, problem


def _check_phone(value: object) -> tuple[str | None, str | None]:
    """(normalised mobile number or None when blank, Chinese reason it is invalid or None)."""
    if _is_blank(value):
        return None, None
    phone = normalize_phone(_cell_text(value))
    if not is_mobile(phone):
        shown = _shorten(_cell_text(value).strip())
        return None, f"手机号“{shown}”无效：须为11位中国大陆手机号码"
    return phone, None


def _check_hours(value: object, session_hours: Decimal) -> tuple[str | None, str, Decimal]:
    """(error code or None, message, hours to store); blank means the session's hours."""
    if _is_blank(value):
        return None, "", _one_decimal(session_hours)
    parsed = _parse_hours(value)
    if parsed is None:
        shown = _shorten(_cell_text(value).strip())
        message = f"学时“{shown}”无效：须为大于0的数字，最多保留一位小数"
        return "invalid_hours", message, session_hours
    if parsed > session_hours:
        message = f"学时{_fmt_decimal(parsed)}超过本期培训学时{_fmt_decimal(session_hours)}"
        return "hours_exceed_session", message, session_hours
    return None, "", _one_decimal(parsed)


def _check_result(value: object) -> str | None:
    """'pass' or 'fail' (blank is 'pass'); None when the value is not a result."""
    if _is_blank(value):
        return "pass"
    if isinstance(value, bool):
        return None
    return _RESULTS.get("".join(to_halfwidth(_cell_text(value)).split()).lower())


def _parse_hours(value: object) -> Decimal | None:
    """A positive number with at most one decimal place, or None."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        number = Decimal(value)
    else:
        text = repr(value) if isinstance(value, float) else to_halfwidth(_cell_text(value))
        try:
            number = Decimal(text.strip())
        except InvalidOperation:
            return None
    if not number.is_finite() or number <= 0 or number.adjusted() > 6:
        return None
    if number != number.quantize(_ONE_DECIMAL):
        return None
    return number


def _one_decimal(value: Decimal) -> Decimal:
    """Hours as stored: exactly one decimal place."""
    return value.quantize(_ONE_DECIMAL)


def _fmt_decimal(value: Decimal) -> str:
    """24.0 -> '24', 1.5 -> '1.5'."""
    return format(value.normalize(), "f")


def _cell_text(value: object) -> str:
    """A cell value as text: None -> '', 24.0 -> '24'."""
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def _is_blank(value: object) -> bool:
    """None or blank text."""
    return value is None or (isinstance(value, str) and not value.strip())


def _shorten(text: str, limit: int = 20) -> str:
    """Cut long user text for a message."""
    return text if len(text) <= limit else text[:limit] + "…"


# --------------------------------------------------------------------------------------------
# Workbooks we hand out
# --------------------------------------------------------------------------------------------


_WIDTHS = {"name": 12, "id_number": 24, "employer": 32, "hours": 8, "result": 12, "phone": 16}


INSTRUCTIONS_SHEET = "填写说明"
# What each column takes, for the instructions sheet (a column missing here is listed without).
_COLUMN_HELP: dict[str, tuple[str, str]] = {
    "name": ("必填", "学员姓名"),
    "id_number": ("必填", "18位居民身份证号，末位X大写；本列已设为“文本”格式，请勿改为数字格式"),
    "employer": ("选填", "学员的工作单位全称"),
    "hours": ("选填", "获得的学时，最多一位小数，不超过本期培训学时；不填按本期培训学时"),
    "result": ("选填", "“合格”或“不合格”；不填视为合格。不合格的学员记录0学时、不发证书"),
    "phone": ("选填", "学员本人的11位手机号，加密保存，只用于开通个人账号时接收短信验证码"),
}


def build_template_xlsx(
    example: bool = True, *, session_hours: Decimal | None = None, max_rows: int | None = None
) -> bytes:
    """The roster template: Chinese headers, 身份证号 as text, an example row, 填写说明 sheet.

    The example row is no person (its name and ID say 示例) and the importer skips it, so an
    unchanged template uploads as an empty roster.
    """
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Font, PatternFill
    from openpyxl.utils import get_column_letter
    from openpyxl.worksheet.datavalidation import DataValidation

    max_rows = MAX_ROWS if max_rows is None else max_rows
    wb = Workbook()
    ws = wb.active
    ws.title = TEMPLATE_SHEET
    keys = list(COLUMNS)
    header_font = Font(bold=True)
    header_fill = PatternFill("solid", fgColor="DDEBF7")
    for col, key in enumerate(keys, start=1):
        cell = ws.cell(row=1, column=col, value=COLUMNS[key])
        cell.font = header_font
        cell.fill = header_fill
        cell.alignment = Alignment(horizontal="center")
        ws.column_dimensions[get_column_letter(col)].width = _WIDTHS.get(key, 16)
    id_col = keys.index("id_number") + 1
    id_letter = get_column_letter(id_col)
    ws.column_dimensions[id_letter].number_format = "@"
    # Formatted rows count in the sheet's extent: never more than the importer accepts.
    last = min(TEMPLATE_TEXT_ROWS, max_rows) + 1
    for r in range(2, last + 1):
        ws.cell(row=r, column=id_col).number_format = "@"
    if example:
        sample = dict(EXAMPLE_ROW)
        if session_hours is not None:
            sample["hours"] = float(session_hours) if session_hours % 1 else int(session_hours)
        grey = Font(italic=True, color="808080")
        for col, key in enumerate(keys, start=1):
            cell = ws.cell(row=2, column=col, value=sample.get(key))
            cell.font = grey
    id_hint = DataValidation(allow_blank=True)
    id_hint.promptTitle = "身份证号"
    id_hint.prompt = "请填写18位身份证号。本列已设为文本格式，请勿改为数字格式"
    id_hint.showInputMessage = True
    id_hint.add(f"{id_letter}2:{id_letter}{last}")
    ws.add_data_validation(id_hint)
    result_letter = get_column_letter(keys.index("result") + 1)
    result_list = DataValidation(type="list", formula1='"合格,不合格"', allow_blank=True)
    result_list.errorTitle = "考核结果"
    result_list.error = "考核结果只能填写“合格”或“不合格”"
    result_list.showErrorMessage = True
    result_list.add(f"{result_letter}2:{result_letter}{last}")
    ws.add_data_validation(result_list)
    ws.freeze_panes = "A2"
    _add_instructions(wb.create_sheet(INSTRUCTIONS_SHEET), keys, example, max_rows)
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def _add_instructions(ws: Any, keys: list[str], example: bool, max_rows: int) -> None:
    """The 填写说明 sheet: what each column takes and how the file is read."""
    from openpyxl.styles import Alignment, Font

    bold = Font(bold=True)
    ws.column_dimensions["A"].width = 14
    ws.column_dimensions["B"].width = 8
    ws.column_dimensions["C"].width = 90
    ws.append(["学员名单填写说明"])
    ws["A1"].font = Font(bold=True, size=14)
    ws.append([])
    ws.append(["列", "是否必填", "填写要求"])
    for cell in ws[3]:
        cell.font = bold
    for key in keys:
        required, text = _COLUMN_HELP.get(key, ("选填", ""))
        ws.append([COLUMNS[key], required, text])
    notes = [
        f"在“{TEMPLATE_SHEET}”工作表中填写，每行一名学员；第1行是表头，请勿修改或删除。",
        "同一身份证号在一份名单中只能出现一次。",
        f"一份名单最多{max_rows}行、{MAX_COLUMNS}列；请只保留学员名单，不要在名单以外的单元格中填写或设置格式。",
        "可直接上传本模板（.xlsx），也可另存为“CSV UTF-8（逗号分隔）”后上传；"
        "旧版.xls文件请用Excel另存为.xlsx后上传。",
        "有错误时可下载“错误报告”，按其中“错误说明”一列修改后重新上传。",
    ]
    if example:
        notes.insert(
            1,
            f"第2行是示例行（姓名“{EXAMPLE_ROW['name']}”），不是真实学员，上传时自动忽略；"
            "可以保留、删除或直接覆盖。",
        )
    ws.append([])
    ws.append(["注意事项"])
    ws.cell(row=ws.max_row, column=1).font = bold
    for number, note in enumerate(notes, start=1):
        ws.append([f"{number}. {note}"])
        ws.merge_cells(start_row=ws.max_row, start_column=1, end_row=ws.max_row, end_column=3)
        ws.cell(row=ws.max_row, column=1).alignment = Alignment(wrap_text=True, vertical="top")


def error_report_frame(raw: list[RawRow], errors: list[dict]) -> Any:
    """The rows as read (原行号, the template's columns) with each row's errors joined by "；"."""
    import pandas as pd

    keys = list(COLUMNS)
    messages = pd.DataFrame(
        [(e["row"], str(e.get("message") or "")) for e in errors if e.get("row") is not None],
        columns=["row", "message"],
    )
    # The report has the row number in its own column: drop the message's 第5行（李四）： prefix.
    messages["message"] = messages["message"].str.replace(_ROW_PREFIX_RE, "", n=1, regex=True)
    by_row = messages.groupby("row", sort=False)["message"].agg("；".join).to_dict()
    frame = pd.DataFrame([item.values for item in raw], columns=keys, dtype=object)
    frame.insert(0, ROW_COLUMN, pd.Series([item.row for item in raw], dtype=object))
    frame[ERROR_COLUMN] = pd.Series([by_row.get(item.row, "") for item in raw], dtype=object)
    return frame


def build_error_report_xlsx(raw: list[RawRow], errors: list[dict]) -> bytes:
    """The user's rows as read plus 原行号 and 错误说明 columns; rows with errors filled red.

    pandas assembles the table; openpyxl writes it in write-only mode (bounded memory), every
    user value as text where it is text (never a formula), ID numbers as text cells.
    """
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.styles import Font, PatternFill
    from openpyxl.utils import get_column_letter

    frame = error_report_frame(raw, errors)
    wb = Workbook(write_only=True)
    ws = wb.create_sheet(TEMPLATE_SHEET)
    widths = [8, *(_WIDTHS[k] for k in COLUMNS), 60]
    for col, width in enumerate(widths, start=1):
        ws.column_dimensions[get_column_letter(col)].width = width
    ws.freeze_panes = "A2"

    bold = Font(bold=True)
    header_fill = PatternFill("solid", fgColor="DDEBF7")
    header = []
    for title in (ROW_COLUMN, *(COLUMNS[k] for k in COLUMNS), ERROR_COLUMN):
        cell = WriteOnlyCell(ws, value=title)
        cell.font = bold
        cell.fill = header_fill
        header.append(cell)
    ws.append(header)

    red_fill = PatternFill("solid", fgColor="FFC7CE")
    red_font = Font(color="9C0006")
    for row, *values, message in frame.itertuples(index=False, name=None):
        cells = [WriteOnlyCell(ws, value=row)]
        cells += [_report_cell(ws, key, value) for key, value in zip(COLUMNS, values, strict=True)]
        cells.append(_text_cell(ws, message))
        if message:
            for cell in cells:
                cell.fill = red_fill
            cells[-1].font = red_font
        ws.append(cells)
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def _report_cell(ws: Any, key: str, value: object) -> Any:
    """One value of the user's row as read: text as text, the ID number as a text cell."""
    from openpyxl.cell import WriteOnlyCell

    if value is None or (isinstance(value, float) and value != value):  # NaN: a missing key
        return WriteOnlyCell(ws, value=None)
    if key == "id_number":
        cell = _text_cell(ws, _id_as_text(value))
        cell.number_format = "@"
        return cell
    if isinstance(value, str):
        return _text_cell(ws, value)
    return WriteOnlyCell(ws, value=value)


def _text_cell(ws: Any, text: str) -> Any:
    """A write-only cell holding `text` as a string: never a formula, no XML-illegal characters."""
    from openpyxl.cell import WriteOnlyCell

    # A cell far over any field's limit is shown cut: the report is for fixing it, not keeping it.
    text = text if len(text) <= _REPORT_CELL_MAX else text[:_REPORT_CELL_MAX] + "…"
    cell = WriteOnlyCell(ws, value=_XML_ILLEGAL_RE.sub("", text))
    cell.data_type = "s"
    return cell


def _id_as_text(value: object) -> str:
    """An ID cell as the user saw it; a numeric cell shown as Excel does (15 significant digits)."""
    if isinstance(value, float) and value.is_integer():
        return format(Decimal(f"{value:.15g}"), "f")
    return _cell_text(value)


# --------------------------------------------------------------------------------------------
# Problems
# --------------------------------------------------------------------------------------------


def _empty_file(message: str) -> ValidationFailed:
    """The file has no header or no data rows."""
    return ValidationFailed([field_error("empty_file", message)], code="empty_file")


def _bad_rows(message: str) -> ValidationFailed:
    """The JSON "rows" value has the wrong shape."""
    return ValidationFailed([field_error("bad_rows", message, field="rows")], code="bad_rows")


def _megabytes(size: int) -> str:
    """Bytes as MB for a message: 5242880 -> '5', 5400000 -> '5.1'."""
    mb = size / (1024 * 1024)
    return str(int(mb)) if mb == int(mb) else f"{mb:.1f}"
