"""No double counting (CONTRACT §11, amends §6): a person's credited hours on a calendar day,
across all of their sessions, never exceed the daily cap.

A session's credited hours are spread evenly over its days. A roster row whose hours, added to
what the person's other sessions already credit on one of those days, pass the year's
`daily_hour_cap` is the row error `overlapping_attendance`, naming the other session.

Concurrent uploads: before the check reads anything, an upload takes a transaction-scoped
advisory lock per calendar day of its session (PostgreSQL; in day order, so two uploads never
wait on each other in opposite orders). Two uploads of sessions sharing a day run one after the
other, and the second sees the first's records. SQLite serialises writers already (the upload
begins IMMEDIATE).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

import sqlalchemy as sa

from jxjd.attendance.counting import counted_hours
from jxjd.attendance.importing import RosterRow, row_prefix
from jxjd.attendance.models import AttendanceRecord
from jxjd.common.db import chunked
from jxjd.errors import field_error
from jxjd.extensions import db
from jxjd.rules.services import rules_for
from jxjd.sessions.models import TrainingSession

LOCK_SPACE = 0x4A58_4444  # "JXDD": the advisory-lock space of attendance days


def days_of(start: date, end: date) -> list[date]:
    """Every calendar day from start to end."""
    return [start + timedelta(days=n) for n in range((end - start).days + 1)]


def lock_session_days(session: TrainingSession) -> None:
    """Hold each day of the session until commit (PostgreSQL), in day order."""
    if db.session.get_bind().dialect.name != "postgresql":
        return
    for day in days_of(session.start_date, session.end_date):
        db.session.execute(
            sa.text("SELECT pg_advisory_xact_lock(:space, :day)"),
            {"space": LOCK_SPACE, "day": day.toordinal()},
        )


@dataclass(frozen=True)
class Credited:
    """Another session's credited hours per day for a person."""

    session_id: int
    title: str
    per_day: Decimal
    days: frozenset[date]


def _credited_elsewhere(
    session: TrainingSession, person_ids: Iterable[int]
) -> dict[int, list[Credited]]:
    """person id → the other sessions overlapping this one's days that credit them hours."""
    found: dict[int, list[Credited]] = defaultdict(list)
    for batch in chunked(sorted(set(person_ids))):
        query = (
            sa.select(
                AttendanceRecord.person_id,
                TrainingSession.id,
                TrainingSession.title,
                TrainingSession.start_date,
                TrainingSession.end_date,
                counted_hours().label("counted"),
            )
            .join(TrainingSession, TrainingSession.id == AttendanceRecord.session_id)
            .where(
                AttendanceRecord.person_id.in_(batch),
                AttendanceRecord.session_id != session.id,
                TrainingSession.start_date <= session.end_date,
                TrainingSession.end_date >= session.start_date,
            )
        )
        for row in db.session.execute(query):
            if not row.counted:
                continue
            days = days_of(row.start_date, row.end_date)
            found[row.person_id].append(
                Credited(row.id, row.title, Decimal(row.counted) / len(days), frozenset(days))
            )
    return found


def overlap_errors(session: TrainingSession, rows: list[tuple[RosterRow, int]]) -> dict[int, dict]:
    """Rows (with their stored person ids) that would pass the daily cap: index → row error."""
    cap = rules_for(session.start_date.year).daily_hour_cap
    days = days_of(session.start_date, session.end_date)
    elsewhere = _credited_elsewhere(session, (person_id for _, person_id in rows))
    errors = {}
    for index, (row, person_id) in enumerate(rows):
        others = elsewhere.get(person_id)
        if not others or row.result != "pass":
            continue
        mine = Decimal(row.hours) / len(days)
        for day in days:
            covering = [o for o in others if day in o.days]
            if covering and mine + sum(o.per_day for o in covering) > cap:
                errors[index] = _error(row, covering[0], day, cap)
                break
    return errors


def _error(row: RosterRow, other: Credited, day: date, cap: Decimal) -> dict:
    where = row_prefix(row.row, row.name) if row.row else ""
    return field_error(
        "overlapping_attendance",
        f"{where}该学员 {day} 已在培训班次“{other.title}”（编号 {other.session_id}）计入学时，"
        f"同一天合计将超过每日 {cap.normalize():f} 学时上限",
        field="hours",
        row=row.row,
    )
