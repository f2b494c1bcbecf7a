"""The credits' input and output shapes (CONTRACT §14)."""

from __future__ import annotations

from marshmallow import Schema, fields, validate

from jxjd.common.schema import Args
from jxjd.common.text import Text
from jxjd.common.types import hours_json
from jxjd.credits.models import CREDIT_STATUSES

HOURS = validate.Range(min=0, max=1000, min_inclusive=False)


class CreditArgs(Args):
    """POST /api/v1/credits: one activity of one person; `quantity` or `hours`."""

    id_number = Text("code", required=True)
    name = Text("person_name", required=True, validate=validate.Length(min=1))
    year = fields.Integer(required=True, validate=validate.Range(2000, 2100))
    form = Text("code", required=True, validate=validate.Length(min=1))
    quantity = fields.Decimal(places=1, load_default=None, allow_none=True, validate=HOURS)
    hours = fields.Decimal(places=1, load_default=None, allow_none=True, validate=HOURS)
    title = Text("title", required=True, validate=validate.Length(min=1))
    provider = Text("unit", required=True, validate=validate.Length(min=1), label="主办单位")
    start_date = fields.Date(required=True)
    end_date = fields.Date(required=True)


class DecisionArgs(Args):
    """POST /api/v1/credits/{id}/approve|reject|revoke."""

    opinion = Text("opinion", load_default="")


class CreditOut(Schema):
    """A credit as its readers see it."""

    id = fields.Integer()
    status = fields.String(metadata={"enum": list(CREDIT_STATUSES)})
    name = fields.String()
    id_masked = fields.Function(lambda c: c.person.id_masked)
    year = fields.Integer()
    form = fields.String()
    category = fields.String()
    quantity = fields.Function(lambda c: hours_json(c.quantity))
    hours = fields.Function(lambda c: hours_json(c.hours))
    title = fields.String()
    provider = fields.String()
    start_date = fields.Date()
    end_date = fields.Date()
    source = fields.String()
    rule_version = fields.Integer()
    hours_per_unit = fields.Function(lambda c: hours_json(c.hours_per_unit))
    yearly_cap = fields.Function(lambda c: hours_json(c.yearly_cap))
    entered_by = fields.String(attribute="entered_by_name")
    created_at = fields.DateTime()
    decided_at = fields.DateTime(allow_none=True)
    decided_by = fields.String(allow_none=True)
    opinion = fields.String(allow_none=True)
    has_evidence = fields.Function(lambda c: c.evidence_sha256 is not None)
