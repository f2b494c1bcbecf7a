"""The rules' input shape, derived from the `Rules` fields (their types, labels and ranges)."""

from __future__ import annotations

from marshmallow import fields, validate

from jxjd.common.schema import Args
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
