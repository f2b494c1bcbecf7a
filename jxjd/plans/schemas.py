"""Plan shapes."""

from __future__ import annotations

from decimal import Decimal

from marshmallow import Schema, ValidationError, fields, validate

from jxjd.common.enums import AUDIENCES, CATEGORIES, FORMS, LEVELS
from jxjd.common.fields import HoursField, Timestamp
from jxjd.common.schema import Args, coded
from jxjd.common.text import BoundedList, Text

# The hours column is Numeric(5, 1): larger values would overflow it on PostgreSQL.
MAX_HOURS = Decimal("9999.9")
MAX_ITEMS = 500  # items in one plan (CONTRACT §11 too_many_items)


def _planned_hours(value: Decimal) -> None:
    if not Decimal(0) < value <= MAX_HOURS:
        raise ValidationError(coded("invalid_hours", f"每期学时须大于 0 且不超过 {MAX_HOURS}"))


class PlanItemArgs(Args):
    specialty = Text("specialty", required=True, validate=validate.Length(min=1))
    title = Text("title", label="项目名称", required=True, validate=validate.Length(min=1))
    category = fields.String(required=True, validate=validate.OneOf(list(CATEGORIES)))
    level = fields.String(required=True, validate=validate.OneOf(list(LEVELS)))
    audience = fields.String(required=True, validate=validate.OneOf(list(AUDIENCES)))
    form = fields.String(required=True, validate=validate.OneOf(list(FORMS)))
    sessions = fields.Integer(required=True, strict=True, validate=validate.Range(min=1, max=1000))
    trainees = fields.Integer(
        required=True, strict=True, validate=validate.Range(min=0, max=1_000_000)
    )
    hours = HoursField(required=True, validate=_planned_hours)


def _items() -> BoundedList:
    return BoundedList(
        fields.Nested(PlanItemArgs), max_items=MAX_ITEMS, label="计划项目", required=True
    )


class PlanArgs(Args):
    year = fields.Integer(required=True, strict=True, validate=validate.Range(min=2000, max=2100))
    items = _items()


class PlanItemsArgs(Args):
    items = _items()


class ReviewArgs(Args):
    approve = fields.Boolean(required=True)
    comment = Text("opinion", label="审核意见", load_default="")


class PlanItemSchema(Schema):
    id = fields.Integer()
    specialty = fields.String()
    title = fields.String()
    category = fields.String()
    level = fields.String()
    audience = fields.String()
    form = fields.String()
    sessions = fields.Integer()
    trainees = fields.Integer()
    hours = HoursField()


class PlanSchema(Schema):
    id = fields.Integer()
    base_id = fields.Integer()
    year = fields.Integer()
    version = fields.Integer()
    status = fields.String()
    late = fields.Boolean()
    current = fields.Boolean(attribute="is_current_filed")
    submitted_at = Timestamp()
    reviewed_at = Timestamp()
    reviewed_by = fields.String(allow_none=True)
    review_comment = fields.String(allow_none=True)
    filed_at = Timestamp()
    superseded_at = Timestamp()
    created_at = Timestamp()
    items = fields.List(fields.Nested(PlanItemSchema))
