"""A session's trainee list as an .xlsx workbook (ID numbers masked, as on the page)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import pandas as pd

from jxjd.common.enums import CERTIFICATE_STATUSES, RESULTS
from jxjd.common.types import hours_json
from jxjd.common.xlsx import table_xlsx

COLUMNS = [
    ("name", "姓名"),
    ("id_masked", "身份证号（脱敏）"),
    ("employer", "工作单位"),
    ("hours", "学时"),
    ("result", "考核结果"),
    ("credited_hours", "计入学时"),
    ("serial", "证书编号"),
    ("status", "证书状态"),
    ("revoked_reason", "撤销原因"),
]
WIDTHS = [12, 22, 30, 8, 10, 10, 30, 10, 30]


def _row(record: Any) -> dict[str, Any]:
    cert = record.certificate
    return {
        "name": record.name,
        "id_masked": record.person.id_masked,
        "employer": record.employer or "",
        "hours": hours_json(record.hours),
        "result": RESULTS.get(record.result, record.result),
        # A revoked certificate's hours no longer count, whatever the record says.
        "credited_hours": 0
        if cert is not None and cert.revoked_at
        else hours_json(record.credited_hours),
        "serial": cert.serial if cert is not None else "",
        "status": CERTIFICATE_STATUSES[cert.status] if cert is not None else "",
        "revoked_reason": (cert.revoked_reason or "") if cert is not None else "",
    }


def trainees_xlsx(session: Any, records: Sequence[Any]) -> bytes:
    """The trainee list of a session: one row per record, Chinese headers and labels."""
    frame = pd.DataFrame([_row(r) for r in records], columns=[k for k, _ in COLUMNS], dtype=object)
    frame.columns = [header for _, header in COLUMNS]
    return table_xlsx(
        frame,
        sheet="学员名单",
        title=f"{session.title}（{session.start_date} 至 {session.end_date}）学员与证书",
        widths=WIDTHS,
        freeze="A3",
    )
