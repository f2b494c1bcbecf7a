"""Report figures, computed set-based: one grouped query per figure for any number of bases.

The tables are assembled with pandas in reports.tabular; this module hands out plain rows.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, TypeVar

import sqlalchemy as sa
from flask import current_app

from jxjd.attendance.models import BasePersonYearTally, BaseYearTally
from jxjd.attendance.tallies import trained_people
from jxjd.audit.models import AuditHead
from jxjd.auth import Actor
from jxjd.bases.models import Base
from jxjd.common.types import hours_json
from jxjd.credits.models import SOURCES
from jxjd.credits.services import FormFigures, counted_by_form
from jxjd.extensions import db
from jxjd.plans.services import current_filed_plan
from jxjd.reports.tabular import delivered_rows, figures_rows, plan_rows, province_rows
from jxjd.rules.conversions import conversions_for
from jxjd.rules.services import rules_for

T = TypeVar("T")


@dataclass
class Figures:
    """A base's delivered training in one year."""

    sessions: int = 0
    trainees: int = 0
    person_times: int = 0
    trainee_hours: Decimal = Decimal(0)


def year_figures(base_ids: list[int], year: int) -> dict[int, Figures]:
    """Sessions, distinct trainees, person-times and trainee-hours per base for a year."""
    return {base_id: Figures(**row) for (base_id, _), row in figures_rows(base_ids, [year]).items()}


def plan_vs_actual(base: Base, year: int) -> list[dict[str, Any]]:
    """Each item of the year's filed plan with the sessions and trainees actually delivered.

    Sessions that match no item of the current version are listed after the plan's items with
    plan_item_id null.
    """
    plan = current_filed_plan(base.id, year)
    if plan is None:
        return []
    return plan_rows(plan.items, delivered_rows([base.id], [year]))


def base_report(base: Base, year: int) -> dict[str, Any]:
    """CONTRACT §9 for one base and year (from the cache while nothing it shows has changed)."""
    version = _report_version(base.id, year)
    return _by_version(("base", base.id, year, version), lambda: _compute_base_report(base, year))


# Base reports (and the province's trained people) by version, per app (a process's copy; any
# instance recomputes on a miss). The version is the audit chain's head, (count, last hash), with
# the base-year's tally row: every write that changes what a report shows (an upload, a
# revocation, a session, a plan, a rule, a base's name) appends to the chain in its own
# transaction, and a tally rebuilt from the records (flask tallies rebuild, after a bulk load or a
# restore) changes the tally row. The version is read in the request's transaction before the
# figures, so a report cached under a version holds everything written up to it: never a stale
# answer after a write.
_CACHE = "jxjd_report_cache"
REPORT_CACHE_SIZE = 1024
_lock = threading.Lock()
_TALLY = BaseYearTally.__table__
_HEAD = AuditHead.__table__
_VERSION = (
    sa.select(
        _HEAD.c.count,
        _HEAD.c.last_hash,
        _TALLY.c.trainees,
        _TALLY.c.person_times,
        _TALLY.c.trainee_hours,
    )
    .select_from(
        _HEAD.outerjoin(
            _TALLY,
            sa.and_(
                _TALLY.c.base_id == sa.bindparam("base_id"), _TALLY.c.year == sa.bindparam("year")
            ),
        )
    )
    .where(_HEAD.c.id == 1)
)


def _by_version(key: tuple, compute: Callable[[], T]) -> T:
    """compute(), kept in this process under `key` (which holds the version it depends on);
    the least recently used entries go past REPORT_CACHE_SIZE."""
    cache = current_app.extensions.setdefault(_CACHE, OrderedDict())
    with _lock:
        cached = cache.get(key)
        if cached is not None:
            cache.move_to_end(key)
            return cached
    value = compute()
    with _lock:
        cache[key] = value
        while len(cache) > REPORT_CACHE_SIZE:
            cache.popitem(last=False)
    return value


def _report_version(base_id: int, year: int) -> tuple:
    """What a cached report of this base and year must have been computed at."""
    row = db.session.execute(_VERSION, {"base_id": base_id, "year": year}).first()
    return tuple(row) if row is not None else (None,)


def _compute_base_report(base: Base, year: int) -> dict[str, Any]:
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
    minimum = rules_for(year).min_trainees
    rows, totals = province_rows(bases, year, minimum)
    return {"year": year, "min_trainees": minimum, "bases": rows, "totals": totals}


def _trained_people(base_ids: list[int], year: int) -> int:
    """Distinct people credited hours at these bases in the year (from the kept tallies)."""
    if not base_ids:
        return 0
    if len(set(base_ids)) == db.session.scalar(sa.select(sa.func.count()).select_from(Base)):
        return _province_trained_people(year)  # every base: from the person-year tallies
    tally = BasePersonYearTally
    return db.session.execute(
        sa.select(sa.func.count(sa.distinct(tally.person_id))).where(
            tally.base_id.in_(base_ids), tally.year == year, tally.counted_hours > 0
        )
    ).scalar_one()


# The province's trained people of a year count about a million index entries at province
# scale (about 55 ms); kept per process like the base reports, by the audit chain's head and the
# year's base tallies (a write through the app moves the head, a rebuild the tallies).
_YEAR_VERSION = sa.select(
    *(
        sa.select(column).where(_HEAD.c.id == 1).scalar_subquery()
        for column in (_HEAD.c.count, _HEAD.c.last_hash)
    ),
    *(
        sa.select(sa.func.sum(column))
        .where(_TALLY.c.year == sa.bindparam("year"))
        .scalar_subquery()
        for column in (_TALLY.c.trainees, _TALLY.c.person_times, _TALLY.c.trainee_hours)
    ),
)


def _province_trained_people(year: int) -> int:
    version = tuple(db.session.execute(_YEAR_VERSION, {"year": year}).one())
    return _by_version(("trained", year, version), lambda: trained_people(year))


def _source_row(figures: FormFigures | None, **labels: Any) -> dict[str, Any]:
    figures = figures or FormFigures()
    return {
        **labels,
        "credits": figures.credits,
        "people": len(figures.people),
        "hours": hours_json(figures.hours),
    }


def hours_by_source(
    actor: Actor, year: int, bases: list[Base], base_hours: Decimal
) -> dict[str, Any]:
    """The year's counted hours by where they came from: base sessions (the report's
    trainee-hours), then approved credits per form and per who entered them, counted as the
    archive counts them (credits.services.capped). A department sees credits of the people
    trained at its bases."""
    forms, entered = counted_by_form(actor, year)
    table = conversions_for(year)
    known = [c.form for c in table.forms]
    rows = [
        {
            "source": "base",
            "form": None,
            "label": "基地培训",
            "category": None,
            "credits": None,
            "people": _trained_people([b.id for b in bases], year),
            "hours": hours_json(base_hours),
        }
    ]
    for form in known + sorted(set(forms) - set(known)):
        conversion = table.get(form)
        rows.append(
            _source_row(
                forms.get(form),
                source="external",
                form=form,
                label=conversion.label if conversion else form,
                category=conversion.category if conversion else None,
            )
        )
    credit_hours = sum((f.hours for f in forms.values()), Decimal(0))
    return {
        "sources": rows,
        "entered_by": [
            _source_row(entered.get(code), source=code, label=label)
            for code, label in SOURCES.items()
        ],
        "base_hours": hours_json(base_hours),
        "credit_hours": hours_json(credit_hours),
        "total_hours": hours_json(base_hours + credit_hours),
    }


def province_report_for(actor: Actor, year: int, bases: list[Base]) -> dict[str, Any]:
    """The province report with the year's hours by source (JSON, page and workbook)."""
    report = province_report(year, bases)
    base_hours = Decimal(str(report["totals"]["trainee_hours"]))
    report["hours_by_source"] = hours_by_source(actor, year, bases, base_hours)
    return report
