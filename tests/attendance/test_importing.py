"""Roster import: reading xlsx/CSV/JSON rosters, row checks, the template and the error report."""

from __future__ import annotations

import io
import zipfile
from decimal import Decimal

import pytest
from openpyxl import Workbook, load_workbook

from jxjd.attendance import importing
from jxjd.attendance.importing import (
    COLUMNS,
    MAX_UPLOAD_BYTES,
    RawRow,
    RosterRow,
    build_error_report_xlsx,
    build_template_xlsx,
    read_roster_file,
    rows_from_json,
    validate_rows,
)
from jxjd.errors import PayloadTooLarge, UnsupportedMediaType, ValidationFailed

ZH_HEADER = ["姓名", "身份证号", "工作单位", "学时", "考核结果"]
EN_HEADER = ["name", "id_number", "employer", "hours", "result"]
ID_A = "430104199003070015"
ID_B = "430104199003070023"
ID_X = "11010519491231002X"
ID_C = "360426199101010071"
ID_D = "120103198806018241"
ID_BAD_CHECK = "360426199101010072"
SESSION = Decimal("24")


@pytest.fixture(autouse=True)
def _clean_tables():
    """These tests are pure: override the suite's DB-cleaning autouse fixture with a no-op."""
    yield


# ---------------------------------------------------------------------------------- helpers


def xlsx(rows: list[list[object]], *, sheet: str = "学员名单") -> bytes:
    """An .xlsx workbook with these rows (None leaves a cell empty)."""
    wb = Workbook()
    ws = wb.active
    ws.title = sheet
    for r, row in enumerate(rows, start=1):
        for c, value in enumerate(row, start=1):
            if value is not None:
                ws.cell(row=r, column=c, value=value)
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def excel_style_xlsx(
    rows: list[list[object]], *, cell_refs: bool = True, ns_prefix: str = ""
) -> bytes:
    """A workbook laid out as Excel writes it: text in a shared-string table, numbers as <v>.

    A tuple value is a rich-text string: its runs are joined and a phonetic (rPh) run is added
    that readers must leave out.
    """
    from xml.sax.saxutils import escape

    main = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
    rel = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
    p = f"{ns_prefix}:" if ns_prefix else ""
    xmlns = f'xmlns{":" + ns_prefix if ns_prefix else ""}="{main}"'
    strings: list[str] = []
    index: dict[object, int] = {}

    def shared(value: object) -> int:
        if value not in index:
            if isinstance(value, tuple):
                runs = "".join(f"<{p}r><{p}t>{escape(t)}</{p}t></{p}r>" for t in value)
                strings.append(
                    f'<{p}si>{runs}<{p}rPh sb="0" eb="1"><{p}t>リ</{p}t></{p}rPh></{p}si>'
                )
            else:
                strings.append(
                    f'<{p}si><{p}t xml:space="preserve">{escape(str(value))}</{p}t></{p}si>'
                )
            index[value] = len(strings) - 1
        return index[value]

    body = []
    for r, row in enumerate(rows, start=1):
        cells = []
        for c, value in enumerate(row):
            if value is None:
                if not cell_refs:
                    cells.append(f"<{p}c/>")
                continue
            ref = f' r="{chr(65 + c)}{r}"' if cell_refs else ""
            if isinstance(value, bool):
                cells.append(f'<{p}c{ref} t="b"><{p}v>{int(value)}</{p}v></{p}c>')
            elif isinstance(value, int | float):
                text = f"{value:.15G}" if isinstance(value, float) else str(value)
                cells.append(f"<{p}c{ref}><{p}v>{text}</{p}v></{p}c>")
            else:
                cells.append(f'<{p}c{ref} t="s"><{p}v>{shared(value)}</{p}v></{p}c>')
        if cells:
            body.append(f'<{p}row r="{r}">{"".join(cells)}</{p}row>')
    sheet = f"<{p}worksheet {xmlns}><{p}sheetData>{''.join(body)}</{p}sheetData></{p}worksheet>"
    sst = f'<{p}sst {xmlns} count="{len(strings)}">{"".join(strings)}</{p}sst>'
    workbook = (
        f'<{p}workbook {xmlns} xmlns:r="{rel}"><{p}sheets>'
        f'<{p}sheet name="Sheet1" sheetId="1" r:id="rId1"/></{p}sheets></{p}workbook>'
    )
    ct = "application/vnd.openxmlformats-officedocument.spreadsheetml"
    parts = {
        "[Content_Types].xml": (
            '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
            '<Default Extension="rels" '
            'ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
            '<Default Extension="xml" ContentType="application/xml"/>'
            f'<Override PartName="/xl/workbook.xml" ContentType="{ct}.sheet.main+xml"/>'
            f'<Override PartName="/xl/worksheets/sheet1.xml" ContentType="{ct}.worksheet+xml"/>'
            f'<Override PartName="/xl/sharedStrings.xml" ContentType="{ct}.sharedStrings+xml"/>'
            "</Types>"
        ),
        "_rels/.rels": (
            '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
            f'<Relationship Id="rId1" Type="{rel}/officeDocument" Target="xl/workbook.xml"/>'
            "</Relationships>"
        ),
        "xl/workbook.xml": workbook,
        "xl/_rels/workbook.xml.rels": (
            '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
            f'<Relationship Id="rId1" Type="{rel}/worksheet" Target="worksheets/sheet1.xml"/>'
            f'<Relationship Id="rId2" Type="{rel}/sharedStrings" Target="sharedStrings.xml"/>'
            "</Relationships>"
        ),
        "xl/worksheets/sheet1.xml": sheet,
        "xl/sharedStrings.xml": sst,
    }
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, text in parts.items():
            zf.writestr(name, '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n' + text)
    return buf.getvalue()


def csv_bytes(rows: list[list[str]], encoding: str = "utf-8") -> bytes:
    """CSV text with CRLF line ends, as Excel writes it."""
    return "\r\n".join(",".join(row) for row in rows).encode(encoding) + b"\r\n"


def raw(**values: object) -> RawRow:
    """A file row numbered 2 with these values."""
    return RawRow(row=2, values=dict(values))


def check(*rows: RawRow, session_hours: Decimal = SESSION) -> tuple[list[RosterRow], list[dict]]:
    """validate_rows with the default session hours."""
    return validate_rows(list(rows), session_hours=session_hours)


def codes(errors: list[dict]) -> list[str]:
    """The error codes in order."""
    return [e["code"] for e in errors]


def ok_row(row: int = 2, **overrides: object) -> RawRow:
    """A valid row, with some values replaced."""
    values: dict[str, object] = {
        "name": "张三",
        "id_number": ID_A,
        "employer": "湖南某某公司",
        "hours": "24",
        "result": "合格",
    }
    values.update(overrides)
    return RawRow(row=row, values=values)


# ---------------------------------------------------------------------------------- reading


def test_xlsx_with_chinese_headers_reads_rows_with_sheet_row_numbers():
    data = xlsx([ZH_HEADER, ["张三", ID_A, "湖南某某公司", 24, "合格"], ["李四", ID_X, None, None]])
    rows = read_roster_file(data, "名单.xlsx")
    assert [r.row for r in rows] == [2, 3]
    assert rows[0].values == {
        "name": "张三",
        "id_number": ID_A,
        "employer": "湖南某某公司",
        "hours": 24,
        "result": "合格",
    }
    assert rows[1].values["employer"] is None
    assert rows[1].values["hours"] is None


def test_xlsx_extension_is_case_insensitive_and_path_is_ignored():
    data = xlsx([ZH_HEADER, ["张三", ID_A]])
    assert len(read_roster_file(data, "C:\\fakepath\\名单.XLSX")) == 1


def test_xlsx_numeric_cells_keep_their_type():
    data = xlsx([ZH_HEADER, ["张三", 4301041990, None, 1.5], ["李四", 430104199003070015]])
    rows = read_roster_file(data, "a.xlsx")
    assert rows[0].values["id_number"] == 4301041990
    assert isinstance(rows[0].values["id_number"], int)
    assert rows[0].values["hours"] == 1.5
    # Like Excel, the writer keeps 15 significant digits: the cell comes back as a float.
    assert rows[1].values["id_number"] == 4.3010419900307e17
    assert isinstance(rows[1].values["id_number"], float)


def test_blank_rows_are_skipped_but_row_numbers_are_those_excel_shows():
    data = xlsx([ZH_HEADER, ["张三", ID_A], [None], ["  ", None], ["李四", ID_B]])
    rows = read_roster_file(data, "a.xlsx")
    assert [r.row for r in rows] == [2, 5]


def test_title_row_above_the_header_is_tolerated():
    data = xlsx([["2024年第一期培训学员名单"], ZH_HEADER, ["张三", ID_A]])
    rows = read_roster_file(data, "a.xlsx")
    assert [r.row for r in rows] == [3]
    assert rows[0].values["name"] == "张三"


def test_english_headers_in_any_case_and_order():
    data = xlsx([["ID_Number", "Result", "NAME"], [ID_A, "PASS", "张三"]])
    rows = read_roster_file(data, "a.xlsx")
    assert rows[0].values == {"id_number": ID_A, "result": "PASS", "name": "张三"}


def test_headers_are_matched_after_trimming_and_full_width_normalisation():
    data = csv_bytes([[" 姓名 ", "身份证号\u3000", "ｎａｍｅ２"], ["张三", ID_A, "x"]])
    rows = read_roster_file(data, "a.csv")
    assert rows[0].values == {"name": "张三", "id_number": ID_A}


def test_extra_columns_are_ignored():
    data = xlsx([["序号", "姓名", "性别", "身份证号", "备注"], [1, "张三", "男", ID_A, "无"]])
    rows = read_roster_file(data, "a.xlsx")
    assert rows[0].values == {"name": "张三", "id_number": ID_A}


def test_sheet_named_like_the_template_is_preferred():
    wb = Workbook()
    wb.active.title = "说明"
    wb.active["A1"] = "请在学员名单工作表填写"
    ws = wb.create_sheet("学员名单")
    ws.append(ZH_HEADER)
    ws.append(["张三", ID_A])
    buf = io.BytesIO()
    wb.save(buf)
    rows = read_roster_file(buf.getvalue(), "a.xlsx")
    assert rows[0].values["name"] == "张三"


EXCEL_ROWS: list[list[object]] = [
    ["2024年第一期培训学员名单"],
    ZH_HEADER + ["备注"],
    ["张三", ID_A, "湖南某某公司", 24, "合格", "a&b <c>"],
    [],
    [("李", "四"), 430104199003070023, "  ", 1.5, None, True],
    ["王五", "4.30104E+17", "湖南某某公司", 2.3, "不合格"],
]


@pytest.mark.parametrize("cell_refs", [True, False])
@pytest.mark.parametrize("ns_prefix", ["", "x"])
def test_excel_style_workbook_with_shared_strings_is_read(cell_refs, ns_prefix):
    data = excel_style_xlsx(EXCEL_ROWS, cell_refs=cell_refs, ns_prefix=ns_prefix)
    rows = read_roster_file(data, "a.xlsx")
    assert [r.row for r in rows] == [3, 5, 6]
    assert rows[0].values == {
        "name": "张三",
        "id_number": ID_A,
        "employer": "湖南某某公司",
        "hours": 24,
        "result": "合格",
    }
    assert rows[1].values["name"] == "李四"  # rich-text runs joined, phonetic run left out
    assert isinstance(rows[1].values["id_number"], float)  # 18 digits never fit in a number
    assert rows[2].values["hours"] == 2.3
    good, errors = validate_rows(rows, session_hours=SESSION)
    assert [g.row for g in good] == [3]
    assert [(e["code"], e["row"]) for e in errors] == [
        ("invalid_id_number", 5),
        ("invalid_id_number", 6),
    ]


def _same_ignoring_blank_rows(a: list, b: list) -> bool:
    """Two tables hold the same non-blank rows (trailing Nones ignored)."""

    def clean(table: list) -> list:
        out = []
        for r, cells in table:
            cells = list(cells)
            while cells and cells[-1] is None:
                cells.pop()
            if cells:
                out.append((r, cells))
        return out

    return clean(a) == clean(b)


def test_csv_utf8_with_chinese_headers_keeps_ids_as_text():
    data = csv_bytes([ZH_HEADER, ["张三", ID_A, "湖南某某公司", "24", "合格"], ["李四", ID_X]])
    rows = read_roster_file(data, "a.csv")
    assert rows[0].values["id_number"] == ID_A
    assert rows[1].values["id_number"] == ID_X
    assert rows[0].values["hours"] == "24"


def test_csv_keeps_leading_zeros():
    data = csv_bytes([ZH_HEADER, ["张三", "0123"]])
    assert read_roster_file(data, "a.csv")[0].values["id_number"] == "0123"


def test_csv_utf8_with_bom():
    data = b"\xef\xbb\xbf" + csv_bytes([ZH_HEADER, ["张三", ID_A]])
    rows = read_roster_file(data, "a.csv")
    assert rows[0].values["name"] == "张三"


def test_csv_gbk_as_chinese_excel_saves_it():
    data = csv_bytes([ZH_HEADER, ["张三", ID_A, "湖南某某公司", "", "合格"]], encoding="gbk")
    rows = read_roster_file(data, "a.csv")
    assert rows[0].values == {
        "name": "张三",
        "id_number": ID_A,
        "employer": "湖南某某公司",
        "hours": "",
        "result": "合格",
    }


def test_csv_blank_lines_are_skipped_with_row_numbers_kept():
    data = f"姓名,身份证号\r\n张三,{ID_A}\r\n\r\n,\r\n李四,{ID_B}\r\n".encode()
    rows = read_roster_file(data, "a.csv")
    assert [r.row for r in rows] == [2, 5]


def test_csv_short_and_long_rows_are_tolerated():
    data = f"姓名,身份证号,学时\r\n张三\r\n李四,{ID_B},8,extra\r\n".encode()
    rows = read_roster_file(data, "a.csv")
    assert rows[0].values == {"name": "张三", "id_number": None, "hours": None}
    assert rows[1].values == {"name": "李四", "id_number": ID_B, "hours": "8"}


@pytest.mark.parametrize("missing", ["name", "id_number"])
def test_missing_required_column_is_reported(missing):
    header = [COLUMNS[k] for k in COLUMNS if k != missing]
    with pytest.raises(ValidationFailed) as info:
        read_roster_file(xlsx([header, ["x"] * len(header)]), "a.xlsx")
    assert info.value.code == "missing_column"
    assert info.value.status == 422
    assert [(e["code"], e["field"]) for e in info.value.errors] == [("missing_column", missing)]
    assert COLUMNS[missing] in info.value.errors[0]["message"]


def test_both_required_columns_missing_gives_one_error_each():
    with pytest.raises(ValidationFailed) as info:
        read_roster_file(csv_bytes([["工作单位", "学时"], ["某公司", "8"]]), "a.csv")
    assert info.value.code == "missing_column"
    assert [e["field"] for e in info.value.errors] == ["name", "id_number"]


@pytest.mark.parametrize("filename", ["a.csv", "a.xlsx"])
def test_zero_byte_file_is_empty(filename):
    with pytest.raises(ValidationFailed) as info:
        read_roster_file(b"", filename)
    assert info.value.code == "empty_file"
    assert info.value.errors[0]["code"] == "empty_file"


def test_header_only_xlsx_is_empty():
    with pytest.raises(ValidationFailed) as info:
        read_roster_file(xlsx([ZH_HEADER, [None], ["", " "]]), "a.xlsx")
    assert info.value.code == "empty_file"


def test_header_only_csv_is_empty():
    with pytest.raises(ValidationFailed) as info:
        read_roster_file(csv_bytes([ZH_HEADER, [",,,,"]]), "a.csv")
    assert info.value.code == "empty_file"


def test_blank_csv_is_empty():
    with pytest.raises(ValidationFailed) as info:
        read_roster_file(b"\r\n,,\r\n", "a.csv")
    assert info.value.code == "empty_file"


@pytest.mark.parametrize("filename", ["名单.txt", "名单.xls", "名单", "名单.xlsx.exe"])
def test_other_extensions_are_unsupported(filename):
    with pytest.raises(UnsupportedMediaType) as info:
        read_roster_file(csv_bytes([ZH_HEADER, ["张三", ID_A]]), filename)
    assert info.value.code == "unsupported_file"
    assert info.value.status == 415


def test_xlsx_that_is_not_a_zip_is_unsupported():
    with pytest.raises(UnsupportedMediaType) as info:
        read_roster_file(csv_bytes([ZH_HEADER, ["张三", ID_A]]), "a.xlsx")
    assert info.value.code == "unsupported_file"
    assert ".xlsx" in info.value.detail


def test_zip_that_is_not_a_workbook_is_unsupported():
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        zf.writestr("readme.txt", "hello")
    with pytest.raises(UnsupportedMediaType):
        read_roster_file(buf.getvalue(), "a.xlsx")


def test_truncated_xlsx_is_unsupported():
    data = xlsx([ZH_HEADER, ["张三", ID_A]])
    with pytest.raises(UnsupportedMediaType):
        read_roster_file(data[: len(data) // 2], "a.xlsx")


def test_binary_csv_is_unsupported():
    junk = bytes(range(256)) * 4
    with pytest.raises(UnsupportedMediaType) as info:
        read_roster_file(junk, "a.csv")
    assert info.value.code == "unsupported_file"


def test_csv_with_nul_bytes_is_unsupported():
    with pytest.raises(UnsupportedMediaType):
        read_roster_file(b"\x00\x01\x02abc,def\x00", "a.csv")


def test_workbook_named_csv_is_unsupported_with_a_hint():
    with pytest.raises(UnsupportedMediaType) as info:
        read_roster_file(xlsx([ZH_HEADER, ["张三", ID_A]]), "a.csv")
    assert ".xlsx" in info.value.detail


def test_too_large_file_is_rejected_with_the_limit_in_mb():
    assert MAX_UPLOAD_BYTES == 5 * 1024 * 1024
    with pytest.raises(PayloadTooLarge) as info:
        read_roster_file(b"x" * (MAX_UPLOAD_BYTES + 1), "a.csv")
    assert info.value.status == 413
    assert info.value.code == "file_too_large"
    assert "5MB" in info.value.detail


def test_caller_may_pass_another_size_limit():
    data = csv_bytes([ZH_HEADER, ["张三", ID_A]])
    with pytest.raises(PayloadTooLarge) as info:
        read_roster_file(data, "a.csv", max_bytes=10)
    assert "MB" in info.value.detail
    assert len(read_roster_file(data, "a.csv", max_bytes=len(data))) == 1


# ---------------------------------------------------------------------------------- JSON


def test_rows_from_json_uses_english_keys_and_no_row_numbers():
    rows = rows_from_json([{"name": "张三", "id_number": ID_A, "hours": 8, "other": 1}])
    assert rows == [RawRow(row=None, values={"name": "张三", "id_number": ID_A, "hours": 8})]


@pytest.mark.parametrize(
    "body",
    [None, "rows", {"name": "张三"}, [], ["张三"], [{"name": ["张三"]}], [{"name": True}]],
)
def test_rows_from_json_rejects_bad_shapes(body):
    with pytest.raises(ValidationFailed) as info:
        rows_from_json(body)
    assert info.value.code == "bad_rows"
    assert info.value.errors[0]["code"] == "bad_rows"


def test_json_numeric_id_is_invalid():
    good, errors = check(*rows_from_json([{"name": "张三", "id_number": 430104199003070015}]))
    assert good == []
    assert codes(errors) == ["invalid_id_number"]
    assert errors[0]["row"] is None


def test_json_duplicates_name_the_earlier_record():
    rows = rows_from_json([{"name": "甲", "id_number": ID_A}, {"name": "乙", "id_number": ID_A}])
    _good, errors = check(*rows)
    assert codes(errors) == ["duplicate_row"]
    assert "第1条" in errors[0]["message"]


# ---------------------------------------------------------------------------------- validation


def test_valid_row_is_normalised_into_a_roster_row():
    good, errors = check(ok_row(employer="  湖南某某公司 ", hours="12.5", result="不合格"))
    assert errors == []
    assert good == [
        RosterRow(
            row=2,
            name="张三",
            id_number=ID_A,
            employer="湖南某某公司",
            hours=Decimal("12.5"),
            result="fail",
        )
    ]


def test_blank_hours_and_result_take_the_defaults():
    good, errors = check(raw(name="张三", id_number=ID_A, hours=None, result="  "))
    assert errors == []
    assert good[0].hours == SESSION
    assert good[0].result == "pass"
    assert good[0].employer is None


def test_missing_optional_columns_take_the_defaults():
    good, _errors = check(raw(name="张三", id_number=ID_A), session_hours=Decimal("16.5"))
    assert good[0].hours == Decimal("16.5")
    assert good[0].result == "pass"


@pytest.mark.parametrize(
    ("value", "expected"),
    [("合格", "pass"), ("不合格", "fail"), ("PASS", "pass"), ("Fail", "fail"), (" 合 格 ", "pass")],
)
def test_result_accepts_chinese_and_english_case_insensitive(value, expected):
    good, errors = check(ok_row(result=value))
    assert errors == []
    assert good[0].result == expected


@pytest.mark.parametrize(
    ("value", "expected"), [(8, "8"), (8.0, "8"), ("1.5", "1.5"), (1.5, "1.5")]
)
def test_hours_from_numbers_or_text(value, expected):
    good, errors = check(ok_row(hours=value))
    assert errors == []
    assert good[0].hours == Decimal(expected)


def test_full_width_digits_and_lowercase_x_are_normalised():
    good, errors = check(ok_row(id_number="１１０１０５１９４９１２３１００２ｘ", hours="１６"))
    assert errors == []
    assert good[0].id_number == ID_X
    assert good[0].hours == Decimal("16")


def test_lowercase_x_is_upper_cased():
    good, errors = check(ok_row(id_number="11010519491231002x"))
    assert errors == []
    assert good[0].id_number == ID_X


def test_inner_and_outer_spaces_in_id_are_removed():
    good, errors = check(ok_row(id_number=" 430104 19900307 0015\u3000", name=" 张三 "))
    assert errors == []
    assert good[0].id_number == ID_A
    assert good[0].name == "张三"


def test_missing_name_alone():
    good, errors = check(ok_row(name="   "))
    assert good == []
    assert errors == [
        {"code": "missing_name", "field": "name", "row": 2, "message": errors[0]["message"]}
    ]
    assert "姓名" in errors[0]["message"]


def test_invalid_id_number_check_digit_alone():
    good, errors = check(ok_row(id_number=ID_BAD_CHECK))
    assert good == []
    assert codes(errors) == ["invalid_id_number"]
    assert errors[0]["field"] == "id_number"
    assert "校验位" in errors[0]["message"]


@pytest.mark.parametrize(
    ("value", "fragment"),
    [
        ("43010419900307001", "18位"),
        ("", "不能为空"),
        (None, "不能为空"),
        ("990104199003070015", "省级"),
        ("430104199013070015", "出生日期"),
        ("43010419900307001A", "数字"),
    ],
)
def test_invalid_id_number_reasons(value, fragment):
    _good, errors = check(ok_row(id_number=value))
    assert codes(errors) == ["invalid_id_number"]
    assert fragment in errors[0]["message"]


@pytest.mark.parametrize("value", [430104199003070015, 4.30104199003070e17, 4.30104e17])
def test_numeric_id_value_is_invalid_with_text_format_hint(value):
    _good, errors = check(ok_row(id_number=value))
    assert codes(errors) == ["invalid_id_number"]
    assert "文本" in errors[0]["message"]


@pytest.mark.parametrize("value", [4301041990, 430104199003070015, 4.30104199003070e17])
def test_numeric_id_cell_is_invalid_with_text_format_hint(value):
    data = xlsx([ZH_HEADER, ["张三", value, None, 8, "合格"]])
    rows = read_roster_file(data, "a.xlsx")
    good, errors = validate_rows(rows, session_hours=SESSION)
    assert good == []
    assert [(e["code"], e["row"]) for e in errors] == [("invalid_id_number", 2)]
    assert "文本" in errors[0]["message"]
    assert "15位" in errors[0]["message"]


@pytest.mark.parametrize("value", ["4.30104E+17", "4.30104e+17", "4.30104199003E17"])
def test_scientific_notation_id_text_is_invalid_with_text_format_hint(value):
    data = csv_bytes([ZH_HEADER, ["张三", value]])
    _good, errors = validate_rows(read_roster_file(data, "a.csv"), session_hours=SESSION)
    assert codes(errors) == ["invalid_id_number"]
    assert "文本" in errors[0]["message"]


def test_id_ending_in_000_gets_the_excel_hint():
    _good, errors = check(ok_row(id_number="430104199003070000"))
    assert codes(errors) == ["invalid_id_number"]
    assert "文本" in errors[0]["message"]


def test_duplicate_id_later_row_is_the_error_naming_the_earlier_row():
    data = xlsx([ZH_HEADER, ["甲", ID_A], [None], ["乙", ID_B], ["丙", "430104 19900307 0015"]])
    good, errors = validate_rows(read_roster_file(data, "a.xlsx"), session_hours=SESSION)
    assert [g.row for g in good] == [2, 4]
    assert [(e["code"], e["row"], e["field"]) for e in errors] == [
        ("duplicate_row", 5, "id_number")
    ]
    assert "第2行" in errors[0]["message"]


def test_duplicate_of_normalised_id_with_lowercase_x():
    _good, errors = check(ok_row(2, id_number=ID_X), ok_row(3, id_number=ID_X.lower()))
    assert [(e["code"], e["row"]) for e in errors] == [("duplicate_row", 3)]


@pytest.mark.parametrize("value", ["abc", "0", "-2", "1.25", "NaN", "Infinity", True, 0, -1.5])
def test_invalid_hours_alone(value):
    good, errors = check(ok_row(hours=value))
    assert good == []
    assert codes(errors) == ["invalid_hours"]
    assert errors[0]["field"] == "hours"


def test_hours_with_trailing_zero_decimal_are_accepted():
    good, errors = check(ok_row(hours="12.50"))
    assert errors == []
    assert good[0].hours == Decimal("12.5")


def test_hours_exceeding_the_session_alone():
    good, errors = check(ok_row(hours="24.5"))
    assert good == []
    assert codes(errors) == ["hours_exceed_session"]
    assert "24" in errors[0]["message"]


def test_hours_equal_to_the_session_are_fine():
    good, errors = check(ok_row(hours=24))
    assert errors == []
    assert good[0].hours == Decimal("24")


@pytest.mark.parametrize("value", ["通过", "yes", "1", True])
def test_invalid_result_alone(value):
    good, errors = check(ok_row(result=value))
    assert good == []
    assert codes(errors) == ["invalid_result"]
    assert "合格" in errors[0]["message"]


def test_all_errors_of_one_row_are_reported():
    good, errors = check(ok_row(7, name="", id_number=ID_BAD_CHECK, hours="abc", result="优"))
    assert good == []
    assert codes(errors) == ["missing_name", "invalid_id_number", "invalid_hours", "invalid_result"]
    assert {e["row"] for e in errors} == {7}
    assert all(e["message"].startswith("第7行") for e in errors)


def test_duplicate_and_exceeding_hours_on_the_same_row():
    _good, errors = check(ok_row(2), ok_row(3, hours="30"))
    assert [(e["code"], e["row"]) for e in errors] == [
        ("duplicate_row", 3),
        ("hours_exceed_session", 3),
    ]


def test_good_rows_are_kept_and_errors_are_sorted_by_row():
    rows = [
        ok_row(2, id_number=ID_A),
        ok_row(3, id_number=ID_BAD_CHECK),
        ok_row(4, id_number=ID_C, name=""),
        ok_row(5, id_number=ID_D),
    ]
    good, errors = check(*rows)
    assert [g.row for g in good] == [2, 5]
    assert [e["row"] for e in errors] == [3, 4]


def test_csv_end_to_end_with_gbk_full_width_and_duplicates():
    data = csv_bytes(
        [
            ZH_HEADER + ["备注"],
            ["张三", "４３０１０４１９９００３０７００１５", "甲公司", "24", "合格", ""],
            ["", "", "", "", "", ""],
            ["李四", " 11010519491231002x ", "", "", "不合格", "补考"],
            ["王五", ID_A, "", "８", "", ""],
        ],
        encoding="gbk",
    )
    good, errors = validate_rows(read_roster_file(data, "名单.csv"), session_hours=SESSION)
    assert [(g.row, g.id_number, g.hours, g.result) for g in good] == [
        (2, ID_A, Decimal("24"), "pass"),
        (4, ID_X, SESSION, "fail"),
    ]
    assert [(e["code"], e["row"]) for e in errors] == [("duplicate_row", 5)]


def _valid_ids(count: int) -> list[str]:
    """`count` distinct valid ID numbers."""
    from jxjd.common.ids import id_check_char

    out = []
    for i in range(count):
        first17 = f"4301041990{1 + i // 28 % 12:02d}{1 + i % 28:02d}{i // 336:03d}"
        out.append(first17 + id_check_char(first17))
    return out


# ---------------------------------------------------------------------------------- workbooks


def test_template_has_headers_text_id_column_and_example_row():
    wb = load_workbook(io.BytesIO(build_template_xlsx()))
    assert wb.sheetnames == ["学员名单", "填写说明"]
    ws = wb["学员名单"]
    assert [c.value for c in ws[1]] == [*ZH_HEADER, "手机号"]  # the phone column is optional
    example = [c.value for c in ws[2]]
    assert example[0].startswith("示例") and example[1].startswith("示例")
    assert example[2:] == ["示例：湖南某某有限公司", 24, "合格", None]
    assert ws["B2"].data_type == "s"
    for row in (2, 3, 100, 5001):
        assert ws.cell(row=row, column=2).number_format == "@"
    assert ws.column_dimensions["B"].width >= 20
    lists = [dv for dv in ws.data_validations.dataValidation if dv.type == "list"]
    assert lists and "合格,不合格" in lists[0].formula1
    assert "E2" in str(lists[0].sqref)


def test_template_without_example_has_only_the_header():
    wb = load_workbook(io.BytesIO(build_template_xlsx(example=False)))
    ws = wb.active
    assert [c.value for c in ws[1]] == [*ZH_HEADER, "手机号"]
    assert ws["A2"].value is None and ws["B2"].value is None
    assert ws["B2"].number_format == "@"


def test_the_unchanged_template_uploads_as_an_empty_roster():
    with pytest.raises(ValidationFailed) as caught:
        read_roster_file(build_template_xlsx(), "模板.xlsx")
    assert caught.value.code == "empty_file"
    assert "示例行" in caught.value.detail


def test_the_example_row_is_skipped_and_rows_below_it_are_read():
    wb = load_workbook(io.BytesIO(build_template_xlsx()))
    ws = wb["学员名单"]
    for col, value in enumerate(["李四", ID_B, "乙公司", 24, "合格"], start=1):
        ws.cell(row=3, column=col, value=value)
    buffer = io.BytesIO()
    wb.save(buffer)
    rows = read_roster_file(buffer.getvalue(), "模板.xlsx")
    assert [(r.row, r.values["name"]) for r in rows] == [(3, "李四")]
    good, errors = validate_rows(rows, session_hours=SESSION)
    assert errors == [] and [g.id_number for g in good] == [ID_B]


def test_a_row_that_only_looks_like_the_example_is_checked_as_any_row():
    example = importing.EXAMPLE_ROW
    data = csv_bytes([ZH_HEADER, [str(example["name"]), ID_A], ["张三", str(example["id_number"])]])
    rows = read_roster_file(data, "a.csv")
    assert [r.row for r in rows] == [2, 3]
    _good, errors = validate_rows(rows, session_hours=SESSION)
    assert codes(errors) == ["invalid_id_number"]


def test_a_template_for_a_small_row_cap_is_within_its_own_extent():
    wb = load_workbook(io.BytesIO(build_template_xlsx(max_rows=30)))
    ws = wb["学员名单"]
    assert ws.max_row == 31 and ws["B31"].number_format == "@"
    for col, value in enumerate(["李四", ID_B], start=1):
        ws.cell(row=31, column=col, value=value)
    buffer = io.BytesIO()
    wb.save(buffer)
    rows = read_roster_file(buffer.getvalue(), "模板.xlsx", max_rows=30)
    assert [(r.row, r.values["name"]) for r in rows] == [(31, "李四")]


def test_template_example_holds_no_valid_id_number_and_instructions_explain_it():
    from jxjd.common.ids import id_number_problem, normalize_id_number

    wb = load_workbook(io.BytesIO(build_template_xlsx(max_rows=500)))
    example_id = wb["学员名单"]["B2"].value
    assert id_number_problem(normalize_id_number(example_id)) is not None
    assert not any(ch.isdigit() for ch in example_id.replace("18", ""))
    text = "\n".join(
        str(c.value) for row in wb["填写说明"].iter_rows() for c in row if c.value is not None
    )
    assert "示例行" in text and "自动忽略" in text and "500行" in text
    assert "另存为.xlsx" in text


def test_error_report_has_row_numbers_values_and_error_column():
    data = xlsx(
        [
            ZH_HEADER,
            ["张三", ID_A, "甲公司", 24, "合格"],
            [None],
            ["", 430104199003070023, "乙公司", "abc", "优"],
        ]
    )
    rows = read_roster_file(data, "a.xlsx")
    _good, errors = validate_rows(rows, session_hours=SESSION)
    wb = load_workbook(io.BytesIO(build_error_report_xlsx(rows, errors)))
    ws = wb.active
    assert [c.value for c in ws[1]] == ["原行号", *ZH_HEADER, "手机号", "错误说明"]
    first = [c.value for c in ws[2]]
    assert first[:6] == [2, "张三", ID_A, "甲公司", 24, "合格"]
    assert first[7] in (None, "")
    second = [c.value for c in ws[3]]
    assert second[0] == 4
    assert second[2] == "430104199003070000"  # as Excel showed the corrupted number
    assert ws["C3"].data_type == "s"
    assert ws["C3"].number_format == "@"
    message = second[7]
    assert "姓名不能为空" in message and "文本" in message and "；" in message
    assert not message.startswith("第4行")
    assert ws["A3"].fill.fgColor.rgb.endswith("FFC7CE")
    assert ws["A2"].fill.fgColor.rgb != ws["A3"].fill.fgColor.rgb


def test_error_report_writes_float_id_as_excel_shows_it():
    rows = [RawRow(row=2, values={"name": "张三", "id_number": 4.30104199003070e17})]
    _good, errors = validate_rows(rows, session_hours=SESSION)
    ws = load_workbook(io.BytesIO(build_error_report_xlsx(rows, errors))).active
    assert ws["C2"].value == "430104199003070000"


def test_error_report_never_turns_user_text_into_formulas():
    data = csv_bytes([ZH_HEADER, ["=1+1", ID_A, '=HYPERLINK("http://x")', "abc"]])
    rows = read_roster_file(data, "a.csv")
    _good, errors = validate_rows(rows, session_hours=SESSION)
    ws = load_workbook(io.BytesIO(build_error_report_xlsx(rows, errors))).active
    assert ws["B2"].value == "=1+1"
    assert ws["B2"].data_type == "s"
    assert ws["D2"].data_type == "s"


def test_error_report_drops_characters_xml_cannot_hold():
    rows = [RawRow(row=2, values={"name": "张\x01三", "id_number": ID_A})]
    ws = load_workbook(io.BytesIO(build_error_report_xlsx(rows, []))).active
    assert ws["B2"].value == "张三"


def test_id_with_digits_of_another_script_is_invalid():
    arabic_indic = ID_A.translate(str.maketrans("0123456789", "٠١٢٣٤٥٦٧٨٩"))
    _good, errors = check(ok_row(id_number=arabic_indic))
    assert codes(errors) == ["invalid_id_number"]


def test_a_roster_longer_than_the_row_limit_is_refused_before_any_work(monkeypatch):
    monkeypatch.setattr(importing, "MAX_ROWS", 3)
    data = xlsx([ZH_HEADER] + [["张三", ID_A]] * 4)
    with pytest.raises(PayloadTooLarge) as caught:
        read_roster_file(data, "a.xlsx")
    assert (caught.value.status, caught.value.code) == (413, "sheet_too_large")
    with pytest.raises(ValidationFailed) as json_caught:
        rows_from_json([{"name": "张三", "id_number": ID_A}] * 4)
    assert json_caught.value.code == "too_many_items"


@pytest.mark.parametrize("filename", ["a.xlsx", "a.csv"])
def test_the_row_cap_is_a_parameter_and_reading_stops_at_it(filename, monkeypatch):
    rows = [ZH_HEADER] + [["张三", ID_A]] * 6
    data = xlsx(rows) if filename.endswith("xlsx") else csv_bytes(rows)
    assert len(read_roster_file(data, filename, max_rows=6)) == 6
    consumed = []
    reader = importing._read_xlsx_table if filename.endswith("xlsx") else importing._read_csv_table

    def counting(data, *, max_rows):
        for item in reader(data, max_rows=max_rows):
            consumed.append(item[0])
            yield item

    monkeypatch.setattr(importing, reader.__name__, counting)
    with pytest.raises(PayloadTooLarge) as caught:
        read_roster_file(data, filename, max_rows=2)
    assert caught.value.code == "sheet_too_large"
    assert consumed == [1, 2, 3, 4]  # stopped at the first row past the cap
