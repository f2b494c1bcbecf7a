"""How many hours an attendance record counts for, as a column expression for reports."""

from __future__ import annotations

import sqlalchemy as sa

from jxjd.attendance.models import AttendanceRecord
from jxjd.certificates.models import Certificate
from jxjd.common.types import Hours


def counted_hours() -> sa.ColumnElement:
    """The hours a record counts for: credited hours (0 on a fail), 0 once its certificate is
    revoked. Queries using it outer-join Certificate on record_id. Typed as Hours so SQLite's
    float sums come back as exact tenths."""
    return sa.type_coerce(
        sa.case(
            (Certificate.revoked_at.is_not(None), sa.literal(0)),
            else_=AttendanceRecord.credited_hours,
        ),
        Hours,
    )
