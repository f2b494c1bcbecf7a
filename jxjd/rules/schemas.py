"""The rules' input shape, derived from the `Rules` fields (their types, labels and ranges)."""

from __future__ import annotations

from marshmallow import fields, validate

from jxjd.common.schema import Args
from jxjd.common.text import BoundedList, Text
from jxjd.rules.conversions import CATEGORY_CODES, UNITS
from jxjd.rules.services import HOUR_RULES, RULES


def _rule_field(name: str, label: str, low: int, high: int) -> fields.Field:
    """Hours as a decimal with one place, counts and years as integers."""
    in_range = validate.Range(min=low, max=high)
    described = {"description": label}
    if name in HOUR_RULES:
        return fields.Decimal(places=1, validate=in_range, metadata=described)
    return fields.Integer(validate=in_range, metadata=described)


RulesArgs = Args.from_dict(
    {f.name: _rule_field(f.name, f.metadata["label"], *f.metadata["range"]) for f in RULES},
    name="RulesArgs",
)
RulesArgs.__doc__ = "PUT /api/v1/rules/{year}: any of the rules (the others keep their values)."


class ConversionArgs(Args):
    """One form of the conversion table."""

    form = fields.String(
        required=True,
        validate=validate.Regexp(r"^[a-z][a-z0-9_]{1,39}$"),
        metadata={"maxLength": 40},
    )
    label = Text("title", required=True, validate=validate.Length(min=1))
    category = fields.String(required=True, validate=validate.OneOf(CATEGORY_CODES))
    unit = fields.String(required=True, validate=validate.OneOf(tuple(UNITS)))
    hours_per_unit = fields.Decimal(
        required=True, places=1, validate=validate.Range(min=0, max=1000, min_inclusive=False)
    )
    yearly_cap = fields.Decimal(
        load_default=None,
        allow_none=True,
        places=1,
        validate=validate.Range(min=0, max=1000, min_inclusive=False),
    )


class ConversionTableArgs(Args):
    """PUT /api/v1/rules/{year}/conversions: the whole table of the year."""

    forms = BoundedList(
        fields.Nested(ConversionArgs), required=True, max_items=50, label="认定形式"
    )
