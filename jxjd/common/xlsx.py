"""Writing user text into workbooks safely."""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any

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
