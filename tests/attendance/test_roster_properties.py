"""Property tests of the roster reader: whatever bytes come in, the answer is a 4xx Problem or
rows of the documented shape, never another exception.

Hypothesis runs derandomized with no example database, so every run (and CI) tries the same
examples; counts are kept small enough for a few seconds in all.
"""

from __future__ import annotations

import functools
from datetime import date, datetime, time
from decimal import Decimal

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from jxjd.attendance.importing import COLUMNS, read_roster_file, validate_rows
from jxjd.errors import Problem
from tests.attendance import hostile
from tests.fixtures.attendance import roster_csv, roster_xlsx, trainees

PROPERTY = settings(
    max_examples=120,
    derandomize=True,
    database=None,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
CELL_TYPES = (str, int, float, bool, date, datetime, time)
NAMES = st.sampled_from(["名单.xlsx", "名单.csv", "名单.XLSX", "名单.xls", "名单.txt"])
# Text that moves an XML parser or a CSV reader between states.
TOKENS = st.sampled_from(
    [
        *"<>/&;\"'=!?[],\n\r\t ",
        "&amp;",
        "&#0;",
        "&#x10FFFF;",
        "&lt;",
        "<!DOCTYPE a [<!ENTITY e 'x'>]>",
        "<![CDATA[x]]>",
        "<!-- c -->",
        "<?pi x?>",
        '<row r="0">',
        '<row r="99999999">',
        '<c r="A1">',
        '<c r="XFD1">',
        '<c t="s"><v>7</v></c>',
        '<c t="b"><v>2</v></c>',
        '<c t="d"><v>x</v></c>',
        '<c s="0"><v>1e308</v></c>',
        '<c s="1"><v>-1</v></c>',
        "<v>NaN</v>",
        "<is><t>x</t></is>",
        "<rPh><t>y</t></rPh>",
        '<dimension ref="A1:B2"/>',
        "</row>",
        "</c>",
        "\ufeff",
        '<c t="s"><v>' + "9" * 5000 + "</v></c>",
        "<v>" + "9" * 400 + "</v>",
        "<v>1e999</v>",
        "张三",
    ]
)


@pytest.fixture(autouse=True)
def _clean_tables():
    """Pure tests: no database to clean."""
    yield


@functools.cache
def valid_files() -> dict[str, bytes]:
    """A valid roster as .xlsx (openpyxl and Excel-style) and as CSV in three encodings."""
    from tests.attendance.test_importing import EXCEL_ROWS, excel_style_xlsx

    people = trainees(4)
    return {
        "名单.xlsx": roster_xlsx(people),
        "excel.xlsx": excel_style_xlsx(EXCEL_ROWS),
        "名单.csv": roster_csv(people),
        "gbk.csv": roster_csv(people, encoding="gbk"),
        "utf16.csv": roster_csv(people, encoding="utf-16"),
    }


def check(data: bytes, filename: str) -> None:
    """The reader's answer is a 4xx Problem, or rows that validate_rows takes without error."""
    try:
        rows = read_roster_file(data, filename, max_rows=50)
    except Problem as exc:
        assert 400 <= exc.status < 500, exc
        assert exc.code and exc.detail
        return
    assert rows
    for row in rows:
        assert isinstance(row.row, int) and row.row >= 1
        assert set(row.values) <= set(COLUMNS)
        for value in row.values.values():
            assert value is None or isinstance(value, CELL_TYPES), value
    good, errors = validate_rows(rows, session_hours=Decimal(24))
    assert len(good) <= len(rows)
    numbers = {row.row for row in rows}
    for error in errors:
        assert error["row"] in numbers and error["code"] and error["message"]


@PROPERTY
@given(data=st.binary(max_size=2048), filename=NAMES)
def test_random_bytes_are_a_problem_or_rows(data, filename):
    check(data, filename)


@PROPERTY
@given(
    magic=st.sampled_from(
        [
            b"PK\x03\x04",
            b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1",
            b"\xff\xfe",
            b"\xfe\xff",
            b"\xef\xbb\xbf",
        ]
    ),
    rest=st.binary(max_size=1024),
    filename=NAMES,
)
def test_random_bytes_behind_a_known_signature_are_a_problem_or_rows(magic, rest, filename):
    check(magic + rest, filename)


@PROPERTY
@given(
    which=st.sampled_from(["名单.xlsx", "excel.xlsx", "名单.csv", "gbk.csv", "utf16.csv"]),
    edits=st.lists(st.tuples(st.floats(0, 1, exclude_max=True), st.integers(0, 255)), max_size=8),
    cut=st.none() | st.floats(0, 1),
)
def test_byte_mutations_of_valid_files_are_a_problem_or_rows(which, edits, cut):
    data = bytearray(valid_files()[which])
    for where, byte in edits:
        data[int(where * len(data))] = byte
    if cut is not None:
        data = data[: int(cut * len(data))]
    check(bytes(data), which)


@PROPERTY
@given(
    edits=st.lists(st.tuples(st.floats(0, 1), st.integers(0, 12), TOKENS), min_size=1, max_size=6),
    part=st.sampled_from(["sheet", "strings"]),
)
def test_xml_mutations_of_a_valid_workbook_are_a_problem_or_rows(edits, part):
    sheet = hostile.sheet_xml(
        '<row r="1"><c r="A1" t="s"><v>0</v></c><c r="B1" t="s"><v>1</v></c></row>'
        + hostile.DATA_ROW
        + '<row r="3"><c r="A3" t="s"><v>2</v></c><c r="B3" s="1"><v>45000.5</v></c></row>',
        before='<dimension ref="A1:B3"/>',
    )
    strings = (
        f'<sst xmlns="{hostile.MAIN}"><si><t>姓名</t></si><si><t>身份证号</t></si>'
        "<si><r><t>李</t></r><r><t>四</t></r><rPh><t>リ</t></rPh></si></sst>"
    )
    text = sheet if part == "sheet" else strings
    for where, remove, token in edits:
        at = int(where * len(text))
        text = text[:at] + token + text[at + remove :]
    if part == "sheet":
        sheet = text
    else:
        strings = text
    styles = (
        f'<styleSheet xmlns="{hostile.MAIN}"><cellXfs count="2"><xf numFmtId="0"/>'
        '<xf numFmtId="22"/></cellXfs></styleSheet>'
    )
    data = hostile.workbook(sheet, strings=strings, styles=styles)
    check(data, "名单.xlsx")


@PROPERTY
@given(
    rows=st.lists(st.lists(st.text(max_size=12), max_size=7), min_size=1, max_size=12),
    encoding=st.sampled_from(["utf-8", "utf-8-sig", "gb18030", "utf-16"]),
    delimiter=st.sampled_from([",", "\t"]),
)
def test_any_csv_text_is_a_problem_or_rows(rows, encoding, delimiter):
    text = "\r\n".join(delimiter.join(cells) for cells in [["姓名", "身份证号"], *rows])
    try:
        data = text.encode(encoding)
    except UnicodeEncodeError:
        return
    check(data, "名单.csv")
