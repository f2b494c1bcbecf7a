"""Yearly tallies per base and per (base, person), kept in step with the records they sum.

The §9 figures of a base's year (distinct trainees, person-times, counted trainee-hours) are
sums over its records; at province scale summing them per report means scanning every record.
So the transactions that change what they sum change the tallies too: storing records
(`tally_new_records`) and revoking certificates (`uncount_records`, which also clears the
records' `counted` flag). Both first lock the base-year row, so changes to one base's year queue
there (lock order: certificate rows, then tallies, then the audit head) and the distinct-trainee
count stays exact under concurrent uploads. `rebuild_tallies` recomputes everything set-based
(the migration's backfill does the same in SQL); tests hold the maintained tallies to it.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from decimal import Decimal

import sqlalchemy as sa

from jxjd.attendance.counting import counted_hours
from jxjd.attendance.models import (
    AttendanceRecord,
    BasePersonYearTally,
    BaseYearTally,
    PersonYearTally,
)
from jxjd.certificates.services import on_revocation
from jxjd.common.db import bulk_insert, chunked, insert_ignoring_conflicts
from jxjd.extensions import db
from jxjd.sessions.models import TrainingSession

_BASE_YEAR = BaseYearTally.__table__
_PERSON = BasePersonYearTally.__table__
_PERSON_YEAR = PersonYearTally.__table__


def _lock_base_year(base_id: int, year: int) -> None:
    """Create the base-year row if missing and hold it (PostgreSQL) until commit."""
    db.session.execute(
        insert_ignoring_conflicts(_BASE_YEAR, conflict_target=["base_id", "year"]).values(
            base_id=base_id, year=year, trainees=0, person_times=0, trainee_hours=Decimal(0)
        )
    )
    db.session.execute(
        sa.select(_BASE_YEAR.c.base_id)
        .where(_BASE_YEAR.c.base_id == base_id, _BASE_YEAR.c.year == year)
        .with_for_update()
    )


def tally_new_records(base_id: int, year: int, records: Iterable[tuple[int, Decimal]]) -> None:
    """Add freshly stored records, as (person_id, credited hours), to the base's year."""
    per_person: dict[int, list] = defaultdict(lambda: [0, Decimal(0)])
    for person_id, hours in records:
        per_person[person_id][0] += 1
        per_person[person_id][1] += hours
    if not per_person:
        return
    _lock_base_year(base_id, year)
    rows = [
        {"base_id": base_id, "year": year, "person_id": p, "person_times": n, "counted_hours": h}
        for p, (n, h) in sorted(per_person.items())
    ]
    # COPY (PostgreSQL) or executemany: a person's tally grows by the new records; the count is
    # of the people new to the base's year (exact: the base-year row is held).
    new_people = bulk_insert(
        _PERSON,
        rows,
        conflict_target=["base_id", "year", "person_id"],
        add_on_conflict=["person_times", "counted_hours"],
    )
    # And each person's year over every base (the province's distinct trained people).
    bulk_insert(
        _PERSON_YEAR,
        [
            {"person_id": p, "year": year, "counted_hours": h}
            for p, (_, h) in sorted(per_person.items())
        ],
        conflict_target=["person_id", "year"],
        add_on_conflict=["counted_hours"],
    )
    _add_to_base_year(
        base_id,
        year,
        trainees=new_people,
        person_times=sum(n for n, _ in per_person.values()),
        hours=sum((h for _, h in per_person.values()), Decimal(0)),
    )


def _add_to_base_year(base_id: int, year: int, *, trainees: int, person_times: int, hours) -> None:
    c = _BASE_YEAR.c
    db.session.execute(
        sa.update(_BASE_YEAR)
        .where(c.base_id == base_id, c.year == year)
        .values(
            trainees=c.trainees + trainees,
            person_times=c.person_times + person_times,
            trainee_hours=c.trainee_hours + hours,
        )
    )


@on_revocation
def uncount_records(record_ids: list[int]) -> None:
    """Records whose certificates were just revoked stop counting: flag and tallies, together."""
    record = AttendanceRecord.__table__.c
    stopped: list[tuple[int, int, Decimal]] = []  # (session_id, person_id, hours)
    for batch in chunked(sorted(record_ids)):
        stopped += db.session.execute(
            sa.update(AttendanceRecord.__table__)
            .where(record.id.in_(batch), record.counted.is_(True))
            .values(counted=False)
            .returning(record.session_id, record.person_id, record.credited_hours)
        ).all()
    if not stopped:
        return
    sessions = {
        session_id: (base_id, year)
        for session_id, base_id, year in db.session.execute(
            sa.select(TrainingSession.id, TrainingSession.base_id, TrainingSession.year).where(
                TrainingSession.id.in_({session_id for session_id, _, _ in stopped})
            )
        )
    }
    lost: dict[tuple[int, int], dict[int, Decimal]] = defaultdict(lambda: defaultdict(Decimal))
    for session_id, person_id, hours in stopped:
        lost[sessions[session_id]][person_id] += Decimal(hours)
    for (base_id, year), people in sorted(lost.items()):
        _subtract(base_id, year, people)


def _subtract(base_id: int, year: int, people: dict[int, Decimal]) -> None:
    """Take hours that stopped counting off the people's and the base's tallies for a year."""
    _lock_base_year(base_id, year)
    c = _PERSON.c
    rows = [{"p": p, "h": h} for p, h in sorted(people.items()) if h]
    if rows:
        db.session.execute(
            sa.update(_PERSON)
            .where(c.base_id == base_id, c.year == year, c.person_id == sa.bindparam("p"))
            .values(counted_hours=c.counted_hours - sa.bindparam("h", type_=c.counted_hours.type)),
            rows,
            execution_options={"synchronize_session": False},
        )
        y = _PERSON_YEAR.c
        db.session.execute(
            sa.update(_PERSON_YEAR)
            .where(y.year == year, y.person_id == sa.bindparam("p"))
            .values(counted_hours=y.counted_hours - sa.bindparam("h", type_=y.counted_hours.type)),
            rows,
            execution_options={"synchronize_session": False},
        )
    total = sum(people.values(), Decimal(0))
    _add_to_base_year(base_id, year, trainees=0, person_times=0, hours=-total)


def tallies_query() -> sa.Select:
    """(base_id, year, person_id, person_times, counted_hours) computed from the records."""
    return (
        sa.select(
            TrainingSession.base_id,
            TrainingSession.year,
            AttendanceRecord.person_id,
            sa.func.count(AttendanceRecord.id),
            sa.func.coalesce(sa.func.sum(counted_hours()), 0),
        )
        .select_from(AttendanceRecord)
        .join(TrainingSession, TrainingSession.id == AttendanceRecord.session_id)
        .group_by(TrainingSession.base_id, TrainingSession.year, AttendanceRecord.person_id)
    )


def rebuild_tallies() -> None:
    """Recompute every tally from the records, set-based (after a bulk load or a restore)."""
    db.session.execute(sa.delete(_PERSON_YEAR))
    db.session.execute(sa.delete(_PERSON))
    db.session.execute(sa.delete(_BASE_YEAR))
    columns = ["base_id", "year", "person_id", "person_times", "counted_hours"]
    db.session.execute(sa.insert(_PERSON).from_select(columns, tallies_query()))
    c = _PERSON.c
    db.session.execute(
        sa.insert(_PERSON_YEAR).from_select(
            ["person_id", "year", "counted_hours"],
            sa.select(c.person_id, c.year, sa.func.sum(c.counted_hours)).group_by(
                c.person_id, c.year
            ),
        )
    )
    db.session.execute(
        sa.insert(_BASE_YEAR).from_select(
            ["base_id", "year", "trainees", "person_times", "trainee_hours"],
            sa.select(
                c.base_id,
                c.year,
                sa.func.count(),
                sa.func.sum(c.person_times),
                sa.func.sum(c.counted_hours),
            ).group_by(c.base_id, c.year),
        )
    )


def recount_record(base_id: int, year: int, person_id: int, hours: Decimal) -> None:
    """A corrected record counts again with `hours` (it was uncounted when its old certificate
    was revoked): the same person-time, the new hours on the person's and the base's year."""
    _lock_base_year(base_id, year)
    c = _PERSON.c
    db.session.execute(
        sa.update(_PERSON)
        .where(c.base_id == base_id, c.year == year, c.person_id == person_id)
        .values(counted_hours=c.counted_hours + hours)
    )
    y = _PERSON_YEAR.c
    db.session.execute(
        sa.update(_PERSON_YEAR)
        .where(y.person_id == person_id, y.year == year)
        .values(counted_hours=y.counted_hours + hours)
    )
    _add_to_base_year(base_id, year, trainees=0, person_times=0, hours=hours)


def trained_people(year: int) -> int:
    """Distinct people credited hours at any base in the year (one partial-index count)."""
    y = _PERSON_YEAR.c
    return db.session.execute(
        sa.select(sa.func.count())
        .select_from(_PERSON_YEAR)
        .where(y.year == year, y.counted_hours > 0)
    ).scalar_one()
