"""The report tables, assembled with pandas from grouped queries; callers get plain rows.

One grouped query per figure covers every base and year asked for; pandas joins the figures to
the bases (or plan items), fills what did not happen with zeros, and sums the totals. What
leaves this module is plain Python (ints, bools, Decimals, dicts), ready for JSON and storage.
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


def _frame(rows: list[Any], columns: list[str], index: list[str]) -> pd.DataFrame:
    """Query rows as a frame indexed by `index` (object columns keep Decimals exact)."""
    return pd.DataFrame([tuple(r) for r in rows], columns=columns, dtype=object).set_index(index)


def figures_frame(base_ids: list[int], years: list[int]) -> pd.DataFrame:
    """Sessions, distinct trainees, person-times and trainee-hours per (base_id, year).

    Two queries for any number of bases and years, neither reading a record: sessions are
    counted per (base, year) on their index, the rest read from the tallies kept in step with
    the records (attendance.tallies). Every pair is present (zeros where nothing happened).
    Trainee-hours are exact Decimals (revoked certificates count 0).
    """
    index = pd.MultiIndex.from_product([base_ids, years], names=_KEYS)
    frame = pd.DataFrame(index=index)
    if len(index):
        session = TrainingSession
        where = (session.base_id.in_(base_ids), session.year.in_(years))
        sessions = db.session.execute(
            sa.select(session.base_id, session.year, sa.func.count())
            .where(*where)
            .group_by(session.base_id, session.year)
        ).all()
        tally = BaseYearTally
        attendance = db.session.execute(
            sa.select(
                tally.base_id, tally.year, tally.trainees, tally.person_times, tally.trainee_hours
            ).where(tally.base_id.in_(base_ids), tally.year.in_(years))
        ).all()
        frame = frame.join(_frame(sessions, [*_KEYS, "sessions"], _KEYS)).join(
            _frame(attendance, [*_KEYS, "trainees", "person_times", "trainee_hours"], _KEYS)
        )
    frame = frame.reindex(columns=FIGURES)
    frame[COUNTS] = frame[COUNTS].fillna(0).astype("int64")
    hours = [Decimal(0) if pd.isna(h) else Decimal(h) for h in frame["trainee_hours"]]
    frame["trainee_hours"] = _objects(frame, hours)
    return frame


def province_rows(
    bases: list[Any], year: int, minimum: int
) -> tuple[list[dict[str, Any]], dict[str, Any]]:
    """One row per base (in the given order) and the totals, for a year's report."""
    info = pd.DataFrame(
        [(b.id, b.name, b.department, b.status) for b in bases],
        columns=["base_id", "name", "department", "status"],
    )
    figures = figures_frame([b.id for b in bases], [year]).droplevel("year")
    table = info.join(figures, on="base_id")
    table["meets_minimum_trainees"] = table["trainees"] >= minimum
    totals = {
        "sessions": int(table["sessions"].sum()),
        "person_times": int(table["person_times"].sum()),
        "trainee_hours": hours_json(sum(table["trainee_hours"], Decimal(0))),
        "bases_meeting_minimum": int(table["meets_minimum_trainees"].sum()),
    }
    table["trainee_hours"] = _objects(table, [hours_json(h) for h in table["trainee_hours"]])
    return _records(table), totals


def _objects(frame: pd.DataFrame, values: list[Any]) -> pd.Series:
    """A column holding exactly these Python objects (no upcast of 12 to 12.0, nor None to NaN)."""
    return pd.Series(values, index=frame.index, dtype=object)


def _records(frame: pd.DataFrame) -> list[dict[str, Any]]:
    """Plain dicts with Python values (pandas boxes numpy ints and bools as int and bool)."""
    return frame.to_dict("records")


def delivered_by_item(base_ids: list[int], years: list[int]) -> pd.DataFrame:
    """Sessions and distinct trainees per (base, year, item key), from one grouped query.

    The key is the item's (specialty, title, category, level, audience): sessions run under an
    earlier filed version of a plan count towards the current version's matching item.
    """
    columns = [*_KEYS, *ITEM_KEY, "actual_sessions", "actual_trainees"]
    if not base_ids or not years:
        return pd.DataFrame(columns=columns)
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
    return pd.DataFrame([tuple(r) for r in rows], columns=columns)


def plan_rows(items: list[Any], delivered: pd.DataFrame) -> list[dict[str, Any]]:
    """Each plan item with what was delivered, then delivered sessions matching no item.

    `delivered` is one base's and year's part of delivered_by_item.
    """
    planned = pd.DataFrame(
        [(i.id, *(getattr(i, k) for k in ITEM_KEY), i.sessions, i.trainees) for i in items],
        columns=["plan_item_id", *ITEM_KEY, "planned_sessions", "planned_trainees"],
    )
    figures = ["actual_sessions", "actual_trainees"]
    actual = delivered[[*ITEM_KEY, *figures]]
    matched = planned.merge(actual, on=ITEM_KEY, how="left", validate="many_to_one")
    matched[figures] = matched[figures].fillna(0).astype("int64")
    # An item listed twice in a plan: the first one takes what was delivered.
    matched.loc[planned.duplicated(ITEM_KEY).to_numpy(), figures] = 0
    extra = actual.merge(
        planned[ITEM_KEY].drop_duplicates(), on=ITEM_KEY, how="left", indicator=True
    )
    extra = extra[extra["_merge"] == "left_only"].drop(columns="_merge")
    extra = extra.assign(plan_item_id=None, planned_sessions=0, planned_trainees=0)
    table = pd.concat([matched, extra], ignore_index=True) if len(extra) else matched
    order = ["plan_item_id", "title", "specialty"]
    order += ["planned_sessions", "actual_sessions", "planned_trainees", "actual_trainees"]
    table = table[order].astype(object)
    ids = [None if pd.isna(v) else int(v) for v in table["plan_item_id"]]
    table["plan_item_id"] = _objects(table, ids)
    return _records(table)
