"""The streaming xlsx reader gives what openpyxl (the reference) gives, cell types included."""

from __future__ import annotations

import io
from datetime import date

import pytest
from openpyxl import Workbook, load_workbook

from jxjd.attendance import importing
from jxjd.attendance.importing import build_template_xlsx, read_roster_file
from tests.attendance.test_importing import EXCEL_ROWS, ID_A, ZH_HEADER, excel_style_xlsx, xlsx
from tests.fixtures.attendance import roster_xlsx, trainees


@pytest.fixture(autouse=True)
def _clean_tables():
    """Pure tests: no database to clean."""
    yield


def _openpyxl_reference(data: bytes) -> list[tuple[int, list]]:
    wb = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    try:
        ws = (
            wb[importing.TEMPLATE_SHEET] if importing.TEMPLATE_SHEET in wb.sheetnames else wb.active
        )
        return [(n, list(cells)) for n, cells in enumerate(ws.iter_rows(values_only=True), start=1)]
    finally:
        wb.close()


def _cell(c):
    if c == "":
        return None
    if isinstance(c, int | float) and not isinstance(c, bool) and abs(c) >= 2**53:
        return float(c)  # an 18-digit ID typed as a number: inexact in any reader
    if isinstance(c, float) and c.is_integer():
        return int(c)
    return c


def _normalised(table):
    """Blank rows dropped, trailing blanks trimmed, "" as None, whole floats as ints."""
    out = []
    for number, cells in table:
        cells = [_cell(c) for c in cells]
        while cells and cells[-1] is None:
            cells.pop()
        if cells:
            out.append((number, cells))
    return out


WORKBOOKS = {
    "openpyxl": lambda: xlsx(
        [
            ZH_HEADER,
            ["张三", ID_A, "公司", 24, "合格"],
            [None],
            ["李四", 4.30104199003e17, None, 1.5],
        ]
    ),
    "excel_shared_strings": lambda: excel_style_xlsx(EXCEL_ROWS),
    "no_cell_refs_prefixed_namespace": lambda: excel_style_xlsx(
        EXCEL_ROWS, cell_refs=False, ns_prefix="x"
    ),
    "template": build_template_xlsx,
    "roster": lambda: roster_xlsx(trainees(50), extra={"备注": True}),
}


@pytest.mark.parametrize("make", WORKBOOKS.values(), ids=WORKBOOKS.keys())
def test_streaming_reader_matches_openpyxl(make):
    data = make()
    ours = _normalised(importing._read_xlsx_table(data))
    assert ours == _normalised(_openpyxl_reference(data))


def test_a_numeric_id_cell_stays_a_number():
    rows = read_roster_file(xlsx([ZH_HEADER, ["张三", 430104199003070015]]), "a.xlsx")
    assert isinstance(rows[0].values["id_number"], int | float)


def test_date_cells_are_read_as_dates():
    wb = Workbook()
    ws = wb.active
    ws.append(ZH_HEADER)
    ws.append(["张三", ID_A, "公司", date(2026, 3, 1), "合格"])
    buffer = io.BytesIO()
    wb.save(buffer)
    rows = read_roster_file(buffer.getvalue(), "a.xlsx")
    assert rows[0].values["hours"].year == 2026


def test_the_roster_sheet_is_preferred_over_the_first_sheet():
    wb = Workbook()
    wb.active.title = "说明"
    wb.active.append(["请在“学员名单”工作表中填写"])
    roster = wb.create_sheet(importing.TEMPLATE_SHEET)
    roster.append(ZH_HEADER)
    roster.append(["张三", ID_A])
    buffer = io.BytesIO()
    wb.save(buffer)
    rows = read_roster_file(buffer.getvalue(), "a.xlsx")
    assert (rows[0].row, rows[0].values["name"]) == (2, "张三")


def test_a_zip_that_is_not_a_workbook_is_unsupported():
    import zipfile

    from jxjd.errors import UnsupportedMediaType

    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as zf:
        zf.writestr("hello.txt", "not a workbook")
    with pytest.raises(UnsupportedMediaType):
        read_roster_file(buffer.getvalue(), "a.xlsx")
