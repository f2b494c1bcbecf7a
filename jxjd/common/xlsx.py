"""Writing user text into workbooks safely."""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any
from urllib.parse import quote

from flask import Response

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
