"""Spot-check shapes: the draw's input, an inspection's outcome, the stored draw."""

from __future__ import annotations

from marshmallow import Schema, fields, validate

from jxjd.common.fields import Timestamp
from jxjd.common.schema import Args
from jxjd.common.text import Text
from jxjd.spotchecks.services import OUTCOMES


class SpotCheckArgs(Args):
    year = fields.Integer(required=True, strict=True, validate=validate.Range(min=2000, max=2100))
    size = fields.Integer(required=True, strict=True, validate=validate.Range(min=1, max=1000))


class OutcomeArgs(Args):
    outcome = fields.String(required=True, validate=validate.OneOf(list(OUTCOMES)))
    findings = Text("text", label="抽查情况", load_default="")


class SpotCheckItemSchema(Schema):
    session_id = fields.Integer()
    base_id = fields.Function(lambda i: i.session.base_id)
    base_name = fields.Function(lambda i: i.session.base.name)
    title = fields.Function(lambda i: i.session.title)
    outcome = fields.String()
    findings = fields.String()
    inspected_at = Timestamp()
    inspected_by = fields.String(allow_none=True)


class SpotCheckSchema(Schema):
    id = fields.Integer()
    year = fields.Integer()
    size = fields.Integer()
    seed = fields.String()
    population_size = fields.Integer()
    population_digest = fields.String()
    created_at = Timestamp()
    created_by = fields.String()
    items = fields.List(fields.Nested(SpotCheckItemSchema))
