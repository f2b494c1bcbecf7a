"""The conversion table for credits from other sources (学时认定), per year, as data.

Each form of activity converts to hours by a rate per unit, counts in one category and has a
yearly cap per person. A year without a stored table uses the defaults below; every save of a
year's table is a new version, and each credit keeps the version (and rate and cap) it used.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from decimal import Decimal
from typing import Any

import sqlalchemy as sa

from jxjd.access import authorize
from jxjd.audit.services import record_event
from jxjd.auth import Actor
from jxjd.common.db import insert_ignoring_conflicts
from jxjd.common.time import utcnow
from jxjd.common.types import hours_json
from jxjd.errors import ValidationFailed, field_error
from jxjd.extensions import db
from jxjd.rules.models import ConversionTable

UNITS = {"hour": "学时", "day": "天", "item": "项（篇、部）", "month": "月"}
CATEGORY_CODES = ("general", "professional")


@dataclass(frozen=True)
class Conversion:
    """One form of activity: how a unit of it converts to hours, where they count, the cap."""

    form: str
    label: str
    category: str
    unit: str
    hours_per_unit: Decimal
    yearly_cap: Decimal | None

    def hours_for(self, quantity: Decimal) -> Decimal:
        """quantity × rate, capped at the form's yearly cap (one decimal)."""
        hours = (quantity * self.hours_per_unit).quantize(Decimal("0.1"))
        return hours if self.yearly_cap is None else min(hours, self.yearly_cap)

    def to_dict(self) -> dict[str, Any]:
        out = asdict(self)
        out["hours_per_unit"] = hours_json(self.hours_per_unit)
        out["yearly_cap"] = hours_json(self.yearly_cap)
        return out


def _d(value: Any) -> Decimal | None:
    return None if value is None else Decimal(str(value))


# The defaults. Sources: the forms are those of 人社部令第25号 第八条 (training organised by the
# employer, academic conferences, further study and visiting posts, research projects, papers and
# books) and CONTRACT §14; 公需科目 online and employer training count their own hours (DOMAIN
# C2: 公需 ≥ 30 of 90 a year). The per-unit rates and caps below follow our reading of
# 湘人社函〔2020〕11号 [inferred: the notice's table is not in the repository — check it and set
# the year's table with PUT /api/v1/rules/{year}/conversions].
DEFAULT_CONVERSIONS: tuple[Conversion, ...] = (
    # 单位或省直主管部门组织的培训: counts the hours it certifies (1 学时 per 学时), no cap.
    Conversion("employer_training", "单位组织培训", "professional", "hour", Decimal(1), None),
    # 网络公需科目: the platform's 学时 count directly (DOMAIN C2), up to the 公需 part (30).
    Conversion("online_general", "网络公需科目", "general", "hour", Decimal(1), Decimal(30)),
    # 学术会议: 8 学时 per day, the daily cap of DOMAIN S2; [inferred] at most 24 a year.
    Conversion("conference", "学术会议", "professional", "day", Decimal(8), Decimal(24)),
    # 发表论文: [inferred] 20 学时 per paper, at most 40 a year.
    Conversion("paper", "发表论文", "professional", "item", Decimal(20), Decimal(40)),
    # 出版著作: [inferred] 30 学时 per book, at most 60 (the whole 专业 part, DOMAIN C2).
    Conversion("book", "出版著作", "professional", "item", Decimal(30), Decimal(60)),
    # 科研项目: [inferred] 30 学时 per project, at most 60 (the whole 专业 part).
    Conversion("research", "科研项目", "professional", "item", Decimal(30), Decimal(60)),
    # 进修访学: [inferred] 30 学时 per month, at most 60 (the whole 专业 part).
    Conversion("visiting", "进修访学", "professional", "month", Decimal(30), Decimal(60)),
)
DEFAULT_FORMS = tuple(c.form for c in DEFAULT_CONVERSIONS)


@dataclass(frozen=True)
class ConversionRules:
    """A year's table: its version (0 for the defaults) and its forms in order."""

    year: int
    version: int
    forms: tuple[Conversion, ...]

    def get(self, form: str) -> Conversion | None:
        """The form by its code or its Chinese label."""
        for conversion in self.forms:
            if form in (conversion.form, conversion.label):
                return conversion
        return None

    def to_dict(self) -> dict[str, Any]:
        return {
            "year": self.year,
            "version": self.version,
            "overridden": self.version > 0,
            "forms": [c.to_dict() for c in self.forms],
        }


def _from_json(item: dict[str, Any]) -> Conversion:
    return Conversion(
        form=item["form"],
        label=item["label"],
        category=item["category"],
        unit=item["unit"],
        hours_per_unit=Decimal(str(item["hours_per_unit"])),
        yearly_cap=_d(item.get("yearly_cap")),
    )


def conversions_for(year: int) -> ConversionRules:
    """The table in force for `year`: the stored one, or the defaults (version 0)."""
    row = db.session.scalar(sa.select(ConversionTable).where(ConversionTable.year == year))
    if row is None:
        return ConversionRules(year, 0, DEFAULT_CONVERSIONS)
    return ConversionRules(year, row.version, tuple(_from_json(i) for i in row.forms))


def _check_forms(forms: list[dict[str, Any]]) -> None:
    """Each form once, and every required form present."""
    errors = []
    seen: set[str] = set()
    for index, item in enumerate(forms):
        if item["form"] in seen:
            errors.append(
                field_error(
                    "duplicate_form", f"形式 {item['form']} 重复", field=f"forms[{index}].form"
                )
            )
        seen.add(item["form"])
    missing = [f for f in DEFAULT_FORMS if f not in seen]
    if missing:
        errors.append(
            field_error("missing_form", "缺少必备的认定形式：" + "、".join(missing), field="forms")
        )
    if errors:
        raise ValidationFailed(errors)


def set_conversions(actor: Actor, year: int, forms: list[dict[str, Any]]) -> ConversionRules:
    """Replace the year's table (a new version); audited."""
    authorize(actor, "rules.write")
    _check_forms(forms)
    now = utcnow()
    # The year's row exists first (a concurrent first save waits here, then takes version 2).
    db.session.execute(
        insert_ignoring_conflicts(ConversionTable.__table__, conflict_target=["year"]),
        {"year": year, "version": 0, "forms": [], "updated_at": now, "updated_by": actor.name},
    )
    row = db.session.scalars(
        sa.select(ConversionTable).where(ConversionTable.year == year).with_for_update()
    ).one()
    stored = [
        {
            "form": f["form"],
            "label": f["label"],
            "category": f["category"],
            "unit": f["unit"],
            "hours_per_unit": str(f["hours_per_unit"]),
            "yearly_cap": None if f.get("yearly_cap") is None else str(f["yearly_cap"]),
        }
        for f in forms
    ]
    row.version, row.forms = row.version + 1, stored
    row.updated_at, row.updated_by = now, actor.name
    db.session.flush()
    record_event(
        actor, "rules.conversions", "conversion_tables", year, version=row.version, forms=stored
    )
    return conversions_for(year)
