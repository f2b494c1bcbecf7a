"""How many hours an attendance record counts for: the one place the counted-hours rule lives."""

from __future__ import annotations

import sqlalchemy as sa

from jxjd.attendance.models import AttendanceRecord
from jxjd.common.types import Hours
from jxjd.sessions.models import TrainingSession


def counted_hours() -> sa.ColumnElement:
    """The hours a record counts for: credited hours (0 on a fail), 0 once its certificate is
    revoked (the record's `counted` flag, cleared in the revoking transaction). Reads the record
    alone. Typed as Hours so SQLite's float sums come back as exact tenths."""
    return sa.type_coerce(
        sa.case((AttendanceRecord.counted, AttendanceRecord.credited_hours), else_=sa.literal(0)),
        Hours,
    )


def counted_category() -> sa.ColumnElement:
    """The category (科目类别) a record counts in: its corrected one, else its session's (the
    query joins TrainingSession)."""
    return sa.func.coalesce(AttendanceRecord.category, TrainingSession.category)
