"""GET/PUT /api/v1/rules/{year}: the yearly numbers as data."""

from __future__ import annotations

from jxjd.auth import current_actor
from jxjd.common.params import checked_year
from jxjd.errors import ValidationFailed, field_error
from jxjd.openapi import Body, doc
from jxjd.rules import bp
from jxjd.rules.conversions import conversions_for, set_conversions
from jxjd.rules.schemas import ConversionTableArgs, RulesArgs
from jxjd.rules.services import rules_dict, rules_for, set_rules


@bp.get("/api/v1/rules/<int:year>")
@doc("某年度的规则（学时要求、每日学时上限、最少培训人数、职称评审年限）", action="rules.read")
def get_rules(year: int):
    """The rules in force for a year."""
    return rules_dict(rules_for(checked_year(year)))


@bp.put("/api/v1/rules/<int:year>")
@doc("设置某年度的规则", action="rules.write", body=RulesArgs, errors=(422,))
def put_rules(year: int, args: Body):
    """Override the rules for a year."""
    checked_year(year)
    if not args:
        raise ValidationFailed(
            [field_error("empty_rules", "请至少提供一项要修改的规则", field=None)]
        )
    return rules_dict(set_rules(current_actor(), year, dict(args)))


@bp.get("/api/v1/rules/<int:year>/conversions")
@doc("某年度的学时认定折算表（形式、类别、单位、每单位学时、年度上限）", action="rules.read")
def get_conversions(year: int):
    """The conversion table in force for a year (the defaults unless set)."""
    return conversions_for(checked_year(year)).to_dict()


@bp.put("/api/v1/rules/<int:year>/conversions")
@doc("设置某年度的学时认定折算表", action="rules.write", body=ConversionTableArgs, errors=(422,))
def put_conversions(year: int, args: Body):
    """Replace a year's conversion table (a new version)."""
    checked_year(year)
    return set_conversions(current_actor(), year, list(args["forms"])).to_dict()
