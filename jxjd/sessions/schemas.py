"""Session shapes."""

from __future__ import annotations

from marshmallow import Schema, fields, validate

from jxjd.common.enums import AUDIENCES, CATEGORIES, FORMS, LEVELS
from jxjd.common.fields import HoursField, Timestamp
from jxjd.common.schema import Args
from jxjd.common.text import Id, Text


class SessionArgs(Args):
    plan_item_id = Id(load_default=None, strict=True)
    title = Text("title", label="班次名称", required=True, validate=validate.Length(min=1))
    specialty = Text("specialty", required=True, validate=validate.Length(min=1))
    category = fields.String(required=True, validate=validate.OneOf(list(CATEGORIES)))
    level = fields.String(required=True, validate=validate.OneOf(list(LEVELS)))
    audience = fields.String(required=True, validate=validate.OneOf(list(AUDIENCES)))
    form = fields.String(required=True, validate=validate.OneOf(list(FORMS)))
    start_date = fields.Date(required=True)
    end_date = fields.Date(required=True)
    hours = HoursField(required=True)
    location = Text("title", label="培训地点", load_default="")


class SessionSchema(Schema):
    id = fields.Integer()
    base_id = fields.Integer()
    base_name = fields.Function(lambda s: s.base.name)
    plan_item_id = fields.Integer()
    title = fields.String()
    specialty = fields.String()
    category = fields.String()
    level = fields.String()
    audience = fields.String()
    form = fields.String()
    start_date = fields.Date()
    end_date = fields.Date()
    hours = HoursField()
    location = fields.String()
    checks = fields.List(fields.Dict())
    warnings = fields.List(fields.Dict())
    created_at = Timestamp()
