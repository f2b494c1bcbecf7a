"""No double counting (CONTRACT §11, amends §6): a person's credited hours on a calendar day,
across all of their sessions and approved credits, never exceed the daily cap.

A session's credited hours are spread evenly over its days. A roster row whose hours, added to
what the person's other sessions and approved credits already credit on one of those days, pass
the year's `daily_hour_cap` is the row error `overlapping_attendance`, naming the other session
(or credit). Credits live in a feature that imports this one, so they join the check through a
provider they register at app start (`register_credited`); the credits package also uses
`first_excess` and `lock_days` when it approves a credit.

Concurrent uploads: before the check reads anything, an upload takes a transaction-scoped
advisory lock per calendar day of its session (PostgreSQL; in day order, so two uploads never
wait on each other in opposite orders). Two uploads of sessions sharing a day run one after the
other, and the second sees the first's records. SQLite serialises writers already (the upload
begins IMMEDIATE).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
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


def lock_days(start: date, end: date) -> None:
    """Hold each calendar day from start to end until commit (PostgreSQL), in day order."""
    if db.session.get_bind().dialect.name != "postgresql":
        return
    for day in days_of(start, end):
        db.session.execute(
            sa.text("SELECT pg_advisory_xact_lock(:space, :day)"),
            {"space": LOCK_SPACE, "day": day.toordinal()},
        )


def lock_session_days(session: TrainingSession) -> None:
    """Hold each day of the session until commit (PostgreSQL), in day order."""
    lock_days(session.start_date, session.end_date)


@dataclass(frozen=True)
class Credited:
    """Hours another session (or an approved credit) credits a person on each of its days."""

    label: str  # how the row error names it: 培训班次“…”（编号 …）
    per_day: Decimal
    days: frozenset[date]


# person ids, first day, last day → (person id, what credits them on some of those days)
CreditedProvider = Callable[[Sequence[int], date, date], Iterable[tuple[int, Credited]]]
_PROVIDERS: dict[str, CreditedProvider] = {}


def register_credited(name: str, provider: CreditedProvider) -> None:
    """Add (or replace) a source of credited hours beyond sessions, e.g. approved credits."""
    _PROVIDERS[name] = provider


def spread(label: str, hours: Decimal, start: date, end: date) -> Credited:
    """Hours spread evenly over the calendar days from start to end."""
    days = days_of(start, end)
    return Credited(label, Decimal(hours) / len(days), frozenset(days))


def credited_between(
    person_ids: Iterable[int], start: date, end: date, *, except_session: int | None = None
) -> dict[int, list[Credited]]:
    """person id → the sessions (but `except_session`) and registered sources that credit them
    hours on some day from start to end."""
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
                TrainingSession.start_date <= end,
                TrainingSession.end_date >= start,
            )
        )
        if except_session is not None:
            query = query.where(AttendanceRecord.session_id != except_session)
        for row in db.session.execute(query):
            if row.counted:
                label = f"培训班次“{row.title}”（编号 {row.id}）"
                found[row.person_id].append(
                    spread(label, row.counted, row.start_date, row.end_date)
                )
        for provider in _PROVIDERS.values():
            for person_id, credited in provider(batch, start, end):
                found[person_id].append(credited)
    return found


def first_excess(
    others: list[Credited], days: list[date], per_day: Decimal, cap: Decimal
) -> tuple[date, Credited] | None:
    """The first day on which `per_day` more hours would pass the cap, and what is there."""
    for day in days:
        covering = [o for o in others if day in o.days]
        if covering and per_day + sum(o.per_day for o in covering) > cap:
            return day, covering[0]
    return None


def overlap_errors(session: TrainingSession, rows: list[tuple[RosterRow, int]]) -> dict[int, dict]:
    """Rows (with their stored person ids) that would pass the daily cap: index → row error."""
    cap = rules_for(session.start_date.year).daily_hour_cap
    days = days_of(session.start_date, session.end_date)
    elsewhere = credited_between(
        (person_id for _, person_id in rows),
        session.start_date,
        session.end_date,
        except_session=session.id,
    )
    errors = {}
    for index, (row, person_id) in enumerate(rows):
        others = elsewhere.get(person_id)
        if not others or row.result != "pass":
            continue
        excess = first_excess(others, days, Decimal(row.hours) / len(days), cap)
        if excess is not None:
            errors[index] = _error(row, *excess, cap)
    return errors


def excess_message(day: date, other: Credited, cap: Decimal) -> str:
    """How an overlap is explained: the day, what already credits it, the cap."""
    return (
        f"该学员 {day} 已在{other.label}计入学时，同一天合计将超过每日 {cap.normalize():f} 学时上限"
    )


def _error(row: RosterRow, day: date, other: Credited, cap: Decimal) -> dict:
    where = row_prefix(row.row, row.name) if row.row else ""
    return field_error(
        "overlapping_attendance",
        where + excess_message(day, other, cap),
        field="hours",
        row=row.row,
    )
