"""The rules for a year: the stored override, or the defaults."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field, fields, replace
from decimal import Decimal
from typing import Any

import sqlalchemy as sa

from jxjd.access import authorize
from jxjd.audit.services import record_event
from jxjd.auth import Actor
from jxjd.common.time import utcnow
from jxjd.extensions import db
from jxjd.rules.models import YearRule


def _rule(default: Any, label: str, low: int, high: int) -> Any:
    """A rule's default with its Chinese label and allowed range (the API schema reads them)."""
    return field(default=default, metadata={"label": label, "range": (low, high)})


@dataclass(frozen=True)
class Rules:
    """What a year requires. Defaults: [Hunan] 90 / 公需 30 / 专业 60; 8 学时 a day [inferred];
    1000 trainees a year (第七条); review spans 高级 5, 中级 4, 初级 3 years [Hunan 2025].

    Each rule declares its label and range once: rules.schemas.RulesArgs is derived from them.
    """

    year: int
    required_total: Decimal = _rule(Decimal(90), "年度学时要求", 0, 1000)
    required_general: Decimal = _rule(Decimal(30), "公需科目学时要求", 0, 1000)
    required_professional: Decimal = _rule(Decimal(60), "专业科目学时要求", 0, 1000)
    daily_hour_cap: Decimal = _rule(Decimal(8), "每日学时上限", 1, 24)
    min_trainees: int = _rule(1000, "基地年培训最少人数", 0, 1_000_000)
    span_senior: int = _rule(5, "高级职称评审查验年限", 1, 10)
    span_intermediate: int = _rule(4, "中级职称评审查验年限", 1, 10)
    span_junior: int = _rule(3, "初级职称评审查验年限", 1, 10)
    overridden: bool = False

    def span(self, level: str) -> int:
        """How many years before the review year a title level's check reads."""
        return {"senior": self.span_senior, "intermediate": self.span_intermediate}.get(
            level, self.span_junior
        )


RULES = [f for f in fields(Rules) if "range" in f.metadata]  # the settable rules, in order
RULE_FIELDS = [f.name for f in RULES]
HOUR_RULES = [f.name for f in RULES if f.type in (Decimal, "Decimal")]


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
    for key in HOUR_RULES:
        out[key] = hours_json(out[key])
    return out
