"""Report figures, computed set-based: one grouped query per figure for any number of bases.

The tables are assembled with pandas in reports.tabular; this module hands out plain rows.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from jxjd.bases.models import Base
from jxjd.common.types import hours_json
from jxjd.plans.services import current_filed_plan
from jxjd.reports.tabular import delivered_rows, figures_rows, plan_rows, province_rows
from jxjd.rules.services import rules_for


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
    minimum = rules_for(year).min_trainees
    rows, totals = province_rows(bases, year, minimum)
    return {"year": year, "min_trainees": minimum, "bases": rows, "totals": totals}
