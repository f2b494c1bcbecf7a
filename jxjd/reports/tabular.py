"""The report tables from grouped queries; callers get plain rows.

One grouped query per figure covers every base and year asked for. The reports themselves are
assembled in plain Python (a base's report is a handful of rows: a DataFrame's fixed cost was
most of its time); the evaluation tables get the same figures as frames (figures_frame,
delivered_by_item). What leaves this module is plain Python (ints, bools, Decimals, dicts).
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pandas as pd
import sqlalchemy as sa

from jxjd.attendance.models import AttendanceRecord, BaseYearTally
from jxjd.common.types import hours_json
from jxjd.extensions import db
from jxjd.plans.models import Plan, PlanItem
from jxjd.sessions.models import TrainingSession

COUNTS = ["sessions", "trainees", "person_times"]
FIGURES = [*COUNTS, "trainee_hours"]
ITEM_KEY = ["specialty", "title", "category", "level", "audience"]
_KEYS = ["base_id", "year"]
_DELIVERED = [*_KEYS, *ITEM_KEY, "actual_sessions", "actual_trainees"]
_TENTH = Decimal("0.1")


def figures_rows(base_ids: list[int], years: list[int]) -> dict[tuple[int, int], dict[str, Any]]:
    """Sessions, distinct trainees, person-times and trainee-hours per (base_id, year).

    Two queries for any number of bases and years, neither reading a record: sessions are
    counted per (base, year) on their index, the rest read from the tallies kept in step with
    the records (attendance.tallies). Every pair is present (zeros where nothing happened).
    Trainee-hours are exact Decimals (revoked certificates count 0). Plain Python: a single
    base's report pays no DataFrame overhead.
    """
    out = {
        (b, y): {"sessions": 0, "trainees": 0, "person_times": 0, "trainee_hours": Decimal(0)}
        for b in base_ids
        for y in years
    }
    if not out:
        return out
    session = TrainingSession
    sessions = db.session.execute(
        sa.select(session.base_id, session.year, sa.func.count())
        .where(session.base_id.in_(base_ids), session.year.in_(years))
        .group_by(session.base_id, session.year)
    )
    for base_id, year, count in sessions:
        out[(base_id, year)]["sessions"] = count
    tally = BaseYearTally
    tallies = db.session.execute(
        sa.select(
            tally.base_id, tally.year, tally.trainees, tally.person_times, tally.trainee_hours
        ).where(tally.base_id.in_(base_ids), tally.year.in_(years))
    )
    for base_id, year, trainees, person_times, hours in tallies:
        figures = out[(base_id, year)]
        figures.update(trainees=trainees, person_times=person_times)
        figures["trainee_hours"] = Decimal(hours).quantize(_TENTH)
    return out


def figures_frame(base_ids: list[int], years: list[int]) -> pd.DataFrame:
    """figures_rows as a frame indexed by (base_id, year), for the evaluation tables."""
    rows = figures_rows(base_ids, years)
    index = pd.MultiIndex.from_tuples(list(rows), names=_KEYS)
    frame = pd.DataFrame(list(rows.values()), index=index, columns=FIGURES)
    frame[COUNTS] = frame[COUNTS].astype("int64")
    frame["trainee_hours"] = _objects(frame, [r["trainee_hours"] for r in rows.values()])
    return frame


def province_rows(
    bases: list[Any], year: int, minimum: int
) -> tuple[list[dict[str, Any]], dict[str, Any]]:
    """One row per base (in the given order) and the totals, for a year's report."""
    figures = figures_rows([b.id for b in bases], [year])
    rows = []
    for b in bases:
        f = figures[(b.id, year)]
        rows.append(
            {
                "base_id": b.id,
                "name": b.name,
                "department": b.department,
                "status": b.status,
                **f,
                "meets_minimum_trainees": f["trainees"] >= minimum,
            }
        )
    totals = {
        "sessions": sum(r["sessions"] for r in rows),
        "person_times": sum(r["person_times"] for r in rows),
        "trainee_hours": hours_json(sum((r["trainee_hours"] for r in rows), Decimal(0))),
        "bases_meeting_minimum": sum(r["meets_minimum_trainees"] for r in rows),
    }
    for row in rows:
        row["trainee_hours"] = hours_json(row["trainee_hours"])
    return rows, totals


def _objects(frame: pd.DataFrame, values: list[Any]) -> pd.Series:
    """A column holding exactly these Python objects (no upcast of 12 to 12.0, nor None to NaN)."""
    return pd.Series(values, index=frame.index, dtype=object)


def delivered_rows(base_ids: list[int], years: list[int]) -> list[dict[str, Any]]:
    """Sessions and distinct trainees per (base, year, item key), from one grouped query.

    The key is the item's (specialty, title, category, level, audience): sessions run under an
    earlier filed version of a plan count towards the current version's matching item.
    """
    if not base_ids or not years:
        return []
    key_columns = [getattr(PlanItem, name) for name in ITEM_KEY]
    rows = db.session.execute(
        sa.select(
            Plan.base_id,
            Plan.year,
            *key_columns,
            sa.func.count(sa.distinct(TrainingSession.id)),
            sa.func.count(sa.distinct(AttendanceRecord.person_id)),
        )
        .select_from(TrainingSession)
        .join(PlanItem, PlanItem.id == TrainingSession.plan_item_id)
        .join(Plan, Plan.id == PlanItem.plan_id)
        .outerjoin(AttendanceRecord, AttendanceRecord.session_id == TrainingSession.id)
        .where(Plan.base_id.in_(base_ids), Plan.year.in_(years))
        .group_by(Plan.base_id, Plan.year, *key_columns)
    ).all()
    return [dict(zip(_DELIVERED, row, strict=True)) for row in rows]


def delivered_by_item(base_ids: list[int], years: list[int]) -> pd.DataFrame:
    """delivered_rows as a frame, for the evaluation tables."""
    return pd.DataFrame(delivered_rows(base_ids, years), columns=_DELIVERED)


def plan_rows(items: list[Any], delivered: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Each plan item with what was delivered, then delivered sessions matching no item.

    `delivered` is one base's and year's part of delivered_rows. An item listed twice in a
    plan: the first one takes what was delivered.
    """
    actual = {tuple(d[k] for k in ITEM_KEY): d for d in delivered}
    taken: set[tuple] = set()
    rows = []
    for item in items:
        key = tuple(getattr(item, k) for k in ITEM_KEY)
        done = actual.get(key) if key not in taken else None
        taken.add(key)
        rows.append(_plan_row(item.id, item, item.sessions, item.trainees, done))
    for key, done in actual.items():
        if key not in taken:
            rows.append(_plan_row(None, done, 0, 0, done))
    return rows


def _plan_row(item_id, source, sessions, trainees, done) -> dict[str, Any]:
    get = source.get if isinstance(source, dict) else lambda k: getattr(source, k)
    return {
        "plan_item_id": item_id,
        "title": get("title"),
        "specialty": get("specialty"),
        "planned_sessions": int(sessions),
        "actual_sessions": int(done["actual_sessions"]) if done else 0,
        "planned_trainees": int(trainees),
        "actual_trainees": int(done["actual_trainees"]) if done else 0,
    }
