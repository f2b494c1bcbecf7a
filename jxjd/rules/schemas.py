"""Input shape of the yearly rules."""

from __future__ import annotations

from marshmallow import fields, validate

from jxjd.common.schema import Args


class RulesArgs(Args):
    required_total = fields.Decimal(validate=validate.Range(min=0, max=1000), places=1)
    required_general = fields.Decimal(validate=validate.Range(min=0, max=1000), places=1)
    required_professional = fields.Decimal(validate=validate.Range(min=0, max=1000), places=1)
    daily_hour_cap = fields.Decimal(validate=validate.Range(min=1, max=24), places=1)
    min_trainees = fields.Integer(validate=validate.Range(min=0, max=1_000_000))
    span_senior = fields.Integer(validate=validate.Range(min=1, max=10))
    span_intermediate = fields.Integer(validate=validate.Range(min=1, max=10))
    span_junior = fields.Integer(validate=validate.Range(min=1, max=10))
