"""The rules for a year: the stored override, or the defaults."""

from __future__ import annotations

from dataclasses import asdict, dataclass, fields, replace
from decimal import Decimal
from typing import Any

import sqlalchemy as sa

from jxjd.access import authorize
from jxjd.audit.services import record_event
from jxjd.auth import Actor
from jxjd.common.time import utcnow
from jxjd.extensions import db
from jxjd.rules.models import YearRule


@dataclass(frozen=True)
class Rules:
    """What a year requires. Defaults: [Hunan] 90 / 公需 30 / 专业 60; 8 学时 a day [inferred];
    1000 trainees a year (第七条); review spans 高级 5, 中级 4, 初级 3 years [Hunan 2025]."""

    year: int
    required_total: Decimal = Decimal(90)
    required_general: Decimal = Decimal(30)
    required_professional: Decimal = Decimal(60)
    daily_hour_cap: Decimal = Decimal(8)
    min_trainees: int = 1000
    span_senior: int = 5
    span_intermediate: int = 4
    span_junior: int = 3
    overridden: bool = False

    def span(self, level: str) -> int:
        """How many years before the review year a title level's check reads."""
        return {"senior": self.span_senior, "intermediate": self.span_intermediate}.get(
            level, self.span_junior
        )


RULE_FIELDS = [f.name for f in fields(Rules) if f.name not in ("year", "overridden")]


def rules_for(year: int) -> Rules:
    """The rules in force for `year`."""
    return rules_for_years([year])[year]


def rules_for_years(years: list[int]) -> dict[int, Rules]:
    """The rules for several years in one query."""
    rows = db.session.scalars(sa.select(YearRule).where(YearRule.year.in_(years))).all()
    by_year = {r.year: r for r in rows}
    return {
        y: (
            Rules(year=y, overridden=True, **{n: getattr(by_year[y], n) for n in RULE_FIELDS})
            if y in by_year
            else Rules(year=y)
        )
        for y in years
    }


def set_rules(actor: Actor, year: int, values: dict[str, Any]) -> Rules:
    """Store the rules for `year` (missing values keep the current ones)."""
    authorize(actor, "rules.write")
    current = replace(rules_for(year), **values)
    row = db.session.scalar(sa.select(YearRule).where(YearRule.year == year))
    if row is None:
        row = YearRule(year=year)
        db.session.add(row)
    for name in RULE_FIELDS:
        setattr(row, name, getattr(current, name))
    row.updated_at, row.updated_by = utcnow(), actor.name
    record_event(actor, "rules.set", "year_rules", year, **{k: str(v) for k, v in values.items()})
    db.session.flush()
    return rules_for(year)


def rules_dict(rules: Rules) -> dict[str, Any]:
    """The rules as JSON-ready values."""
    from jxjd.common.types import hours_json

    out = asdict(rules)
    for key in ("required_total", "required_general", "required_professional", "daily_hour_cap"):
        out[key] = hours_json(out[key])
    return out
