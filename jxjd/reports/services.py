"""Report figures, computed set-based: one grouped query per figure for any number of bases."""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

import sqlalchemy as sa

from jxjd.attendance.counting import counted_hours
from jxjd.attendance.models import AttendanceRecord
from jxjd.bases.models import Base
from jxjd.certificates.models import Certificate
from jxjd.common.types import Hours, hours_json
from jxjd.extensions import db
from jxjd.plans.models import Plan, PlanItem
from jxjd.plans.services import current_filed_plan
from jxjd.rules.services import rules_for
from jxjd.sessions.models import TrainingSession


@dataclass
class Figures:
    """A base's delivered training in one year."""

    sessions: int = 0
    trainees: int = 0
    person_times: int = 0
    trainee_hours: Decimal = Decimal(0)
    extra: dict[str, Any] = field(default_factory=dict)


def year_figures(base_ids: list[int], year: int) -> dict[int, Figures]:
    """Sessions, distinct trainees, person-times and trainee-hours per base for a year."""
    out = {base_id: Figures() for base_id in base_ids}
    if not base_ids:
        return out
    session_counts = db.session.execute(
        sa.select(TrainingSession.base_id, sa.func.count())
        .where(TrainingSession.base_id.in_(base_ids), TrainingSession.year == year)
        .group_by(TrainingSession.base_id)
    )
    for base_id, count in session_counts:
        out[base_id].sessions = count
    attendance = db.session.execute(
        sa.select(
            TrainingSession.base_id,
            sa.func.count(sa.distinct(AttendanceRecord.person_id)),
            sa.func.count(AttendanceRecord.id),
            # Read the sum back as Hours: SQLite sums floats (24 + 1.1 + 6 + 2.2 ≠ 33.3).
            sa.type_coerce(sa.func.coalesce(sa.func.sum(counted_hours()), 0), Hours),
        )
        .select_from(AttendanceRecord)
        .join(TrainingSession, TrainingSession.id == AttendanceRecord.session_id)
        .outerjoin(Certificate, Certificate.record_id == AttendanceRecord.id)
        .where(TrainingSession.base_id.in_(base_ids), TrainingSession.year == year)
        .group_by(TrainingSession.base_id)
    )
    for base_id, trainees, person_times, hours in attendance:
        figures = out[base_id]
        figures.trainees, figures.person_times = trainees, person_times
        figures.trainee_hours = Decimal(hours)
    return out


ITEM_KEY = ("specialty", "title", "category", "level", "audience")


def delivered_by_item(
    base_ids: list[int], years: list[int]
) -> dict[tuple[int, int, tuple], tuple[int, int]]:
    """Sessions and distinct trainees per (base, year, item key), in one grouped query.

    The key is the item's (specialty, title, category, level, audience): sessions run under an
    earlier filed version of a plan count towards the current version's matching item.
    """
    if not base_ids or not years:
        return {}
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
    )
    return {(r[0], r[1], tuple(r[2:-2])): (r[-2], r[-1]) for r in rows}


def plan_vs_actual(base: Base, year: int) -> list[dict[str, Any]]:
    """Each item of the year's filed plan with the sessions and trainees actually delivered.

    Sessions that match no item of the current version are listed after the plan's items with
    plan_item_id null.
    """
    plan = current_filed_plan(base.id, year)
    if plan is None:
        return []
    actual = {key[2]: figures for key, figures in delivered_by_item([base.id], [year]).items()}
    rows = []
    for item in plan.items:
        sessions, trainees = actual.pop(tuple(getattr(item, k) for k in ITEM_KEY), (0, 0))
        rows.append(
            {
                "plan_item_id": item.id,
                "title": item.title,
                "specialty": item.specialty,
                "planned_sessions": item.sessions,
                "actual_sessions": sessions,
                "planned_trainees": item.trainees,
                "actual_trainees": trainees,
            }
        )
    for key, (sessions, trainees) in actual.items():
        info = dict(zip(ITEM_KEY, key, strict=True))
        rows.append(
            {
                "plan_item_id": None,
                "title": info["title"],
                "specialty": info["specialty"],
                "planned_sessions": 0,
                "actual_sessions": sessions,
                "planned_trainees": 0,
                "actual_trainees": trainees,
            }
        )
    return rows


def base_report(base: Base, year: int) -> dict[str, Any]:
    """CONTRACT §9 for one base and year."""
    figures = year_figures([base.id], year)[base.id]
    minimum = rules_for(year).min_trainees
    return {
        "base_id": base.id,
        "base_name": base.name,
        "year": year,
        "sessions": figures.sessions,
        "trainees": figures.trainees,
        "person_times": figures.person_times,
        "trainee_hours": hours_json(figures.trainee_hours),
        "min_trainees": minimum,
        "meets_minimum_trainees": figures.trainees >= minimum,
        "plan": plan_vs_actual(base, year),
    }


def province_report(year: int, bases: list[Base]) -> dict[str, Any]:
    """Every given base's figures for a year, in one grouped query per figure."""
    figures = year_figures([b.id for b in bases], year)
    minimum = rules_for(year).min_trainees
    rows = []
    for base in bases:
        f = figures[base.id]
        rows.append(
            {
                "base_id": base.id,
                "name": base.name,
                "department": base.department,
                "status": base.status,
                "sessions": f.sessions,
                "trainees": f.trainees,
                "person_times": f.person_times,
                "trainee_hours": hours_json(f.trainee_hours),
                "meets_minimum_trainees": f.trainees >= minimum,
            }
        )
    return {
        "year": year,
        "min_trainees": minimum,
        "bases": rows,
        "totals": {
            "sessions": sum(r["sessions"] for r in rows),
            "person_times": sum(r["person_times"] for r in rows),
            "trainee_hours": hours_json(
                sum((figures[b.id].trainee_hours for b in bases), Decimal(0))
            ),
            "bases_meeting_minimum": sum(1 for r in rows if r["meets_minimum_trainees"]),
        },
    }
