"""Writing workbooks: user text never becomes a formula; tables come in as pandas frames."""

from __future__ import annotations

import io
import math
import re
from collections.abc import Iterable, Sequence
from typing import Any
from urllib.parse import quote

import pandas as pd
from flask import Response
from openpyxl import Workbook
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter

XLSX_MIMETYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
_XML_ILLEGAL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


def append_row(ws: Any, values: Iterable[Any]) -> None:
    """Append a row; every string stays a plain text cell, never a formula (=, +, -, @ …).

    Titles, names and reasons come from users: a cell such as '=HYPERLINK(…)' must reach the
    reader as text, not run in their spreadsheet program.
    """
    ws.append([_XML_ILLEGAL.sub("", v) if isinstance(v, str) else v for v in values])
    for cell in ws[ws.max_row]:
        if isinstance(cell.value, str):
            cell.data_type = "s"


def xlsx_response(data: bytes, filename: str) -> Response:
    """A workbook download; the (Chinese) file name survives in every browser (RFC 6266)."""
    return Response(
        data,
        mimetype=XLSX_MIMETYPE,
        headers={"Content-Disposition": f"attachment; filename*=UTF-8''{quote(filename)}"},
    )


def _cell_value(value: Any) -> Any:
    """A frame value as a cell value: NaN and None as an empty cell, numpy scalars as Python."""
    if value is None or value is pd.NA or (isinstance(value, float) and math.isnan(value)):
        return None
    # numpy scalars (what int and bool columns hold) know their Python value.
    return value.item() if hasattr(value, "dtype") and hasattr(value, "item") else value


def write_frame(ws: Any, frame: pd.DataFrame) -> None:
    """Append a frame's header row and data rows through append_row (text stays text)."""
    append_row(ws, [str(column) for column in frame.columns])
    for row in frame.itertuples(index=False, name=None):
        append_row(ws, [_cell_value(value) for value in row])


def table_xlsx(
    frame: pd.DataFrame,
    *,
    sheet: str,
    title: str,
    widths: Sequence[int],
    freeze: str,
    bold_last_row: bool = False,
) -> bytes:
    """A one-sheet workbook: a title row, the frame under a styled header, fixed column widths.

    pandas assembles the table (columns, labels, totals); openpyxl writes it with the formatting
    a reader expects, and every string through append_row, so no user text becomes a formula.
    """
    wb = Workbook()
    ws = wb.active
    ws.title = sheet
    append_row(ws, [title])
    ws["A1"].font = Font(bold=True, size=14)
    write_frame(ws, frame)
    for cell in ws[2]:
        cell.font = Font(bold=True)
        cell.fill = PatternFill("solid", fgColor="EEF2F6")
        cell.alignment = Alignment(horizontal="center", vertical="center", wrap_text=True)
    if bold_last_row and len(frame):
        for cell in ws[ws.max_row]:
            cell.font = Font(bold=True)
    for i, width in enumerate(widths, start=1):
        ws.column_dimensions[get_column_letter(i)].width = width
    ws.freeze_panes = freeze
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()
