"""The fast XML reader of .xlsx rosters gives exactly what openpyxl gives, or hands over to it."""

from __future__ import annotations

import io
from datetime import date

import pytest
from openpyxl import Workbook

from jxjd.attendance import importing
from jxjd.attendance.importing import build_template_xlsx, read_roster_file
from tests.attendance.test_importing import EXCEL_ROWS, ID_A, ZH_HEADER, excel_style_xlsx, xlsx
from tests.fixtures.attendance import roster_xlsx, trainees


@pytest.fixture(autouse=True)
def _clean_tables():
    """Pure tests: no database to clean."""
    yield


def _non_blank(table):
    out = []
    for number, cells in table:
        cells = list(cells)
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
def test_xml_reader_matches_openpyxl(make):
    data = make()
    assert _non_blank(importing._xml_table(data)) == _non_blank(importing._openpyxl_table(data))


def test_date_cells_are_left_to_openpyxl():
    wb = Workbook()
    ws = wb.active
    ws.append(ZH_HEADER)
    ws.append(["张三", ID_A, "公司", date(2026, 3, 1), "合格"])
    buffer = io.BytesIO()
    wb.save(buffer)
    data = buffer.getvalue()
    with pytest.raises(importing._NeedsOpenpyxl):
        importing._xml_table(data)
    rows = read_roster_file(data, "a.xlsx")  # still read, by openpyxl
    assert rows[0].values["hours"].year == 2026


def test_workbook_the_xml_reader_cannot_open_falls_back_to_openpyxl(monkeypatch):
    def broken(_data):
        raise KeyError("xl/workbook.xml")

    monkeypatch.setattr(importing, "_xml_table", broken)
    rows = read_roster_file(xlsx([ZH_HEADER, ["张三", ID_A]]), "a.xlsx")
    assert (rows[0].values["name"], rows[0].values["id_number"]) == ("张三", ID_A)
