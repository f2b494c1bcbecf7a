"""GET/PUT /api/v1/rules/{year}: the yearly numbers as data."""

from __future__ import annotations

from marshmallow import fields, validate

from jxjd.auth import current_actor, require
from jxjd.common.params import checked_year
from jxjd.common.schema import Args, json_body, load
from jxjd.errors import ValidationFailed, field_error
from jxjd.extensions import db
from jxjd.openapi import doc
from jxjd.rules import bp
from jxjd.rules.services import rules_dict, rules_for, set_rules


class RulesArgs(Args):
    required_total = fields.Decimal(validate=validate.Range(min=0, max=1000), places=1)
    required_general = fields.Decimal(validate=validate.Range(min=0, max=1000), places=1)
    required_professional = fields.Decimal(validate=validate.Range(min=0, max=1000), places=1)
    daily_hour_cap = fields.Decimal(validate=validate.Range(min=1, max=24), places=1)
    min_trainees = fields.Integer(validate=validate.Range(min=0, max=1_000_000))
    span_senior = fields.Integer(validate=validate.Range(min=1, max=10))
    span_intermediate = fields.Integer(validate=validate.Range(min=1, max=10))
    span_junior = fields.Integer(validate=validate.Range(min=1, max=10))


@bp.get("/api/v1/rules/<int:year>")
@require(roles={"admin", "dept", "base", "employer", "person", "applicant"})
@doc("某年度的规则（学时要求、每日学时上限、最少培训人数、职称评审年限）", tags=["rules"])
def get_rules(year: int):
    """The rules in force for a year."""
    return rules_dict(rules_for(checked_year(year)))


@bp.put("/api/v1/rules/<int:year>")
@require(roles={"admin"})
@doc("设置某年度的规则", body=RulesArgs, tags=["rules"], errors=(422,))
def put_rules(year: int):
    """Override the rules for a year."""
    checked_year(year)
    args = load(RulesArgs(), json_body())
    if not args:
        raise ValidationFailed(
            [field_error("empty_rules", "请至少提供一项要修改的规则", field=None)]
        )
    rules = set_rules(current_actor(), year, args)
    db.session.commit()
    return rules_dict(rules)
