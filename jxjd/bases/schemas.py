"""Input and output shapes of the base registry."""

from __future__ import annotations

from marshmallow import Schema, fields, validate

from jxjd.common.enums import AUDIENCES, BASE_STATUSES, LEVELS
from jxjd.common.schema import Args, coded
from jxjd.common.time import isoformat


class SpecialtyArgs(Args):
    name = fields.String(required=True, validate=validate.Length(min=1, max=100))
    levels = fields.List(
        fields.String(validate=validate.OneOf(list(LEVELS))),
        required=True,
        validate=validate.Length(min=1, error=coded("missing_levels", "至少选择一个培训层次")),
    )
    audiences = fields.List(
        fields.String(validate=validate.OneOf(list(AUDIENCES))),
        required=True,
        validate=validate.Length(min=1, error=coded("missing_audiences", "至少选择一个培训对象")),
    )


class ContactArgs(Args):
    name = fields.String(load_default="", validate=validate.Length(max=100))
    phone = fields.String(load_default="", validate=validate.Length(max=50))
    email = fields.String(load_default="", validate=validate.Length(max=200))


class BaseArgs(Args):
    name = fields.String(required=True, validate=validate.Length(min=1, max=200))
    credit_code = fields.String(required=True)
    department = fields.String(required=True, validate=validate.Length(min=1, max=200))
    address = fields.String(load_default="", validate=validate.Length(max=300))
    status = fields.String(
        load_default="recognized", validate=validate.OneOf(["applying", "recognized"])
    )
    contact = fields.Nested(
        ContactArgs, load_default=lambda: {"name": "", "phone": "", "email": ""}
    )
    specialties = fields.List(fields.Nested(SpecialtyArgs), load_default=list)
    recognized_on = fields.Date(load_default=None)
    plaque_number = fields.String(load_default=None, validate=validate.Length(max=32))


class StatusArgs(Args):
    status = fields.String(required=True, validate=validate.OneOf(list(BASE_STATUSES)))
    reason = fields.String(
        required=True,
        validate=validate.Length(min=1, max=2000, error=coded("missing_reason", "须说明变更原因")),
    )


class SpecialtiesArgs(Args):
    specialties = fields.List(fields.Nested(SpecialtyArgs), required=True)


class SpecialtySchema(Schema):
    name = fields.String()
    levels = fields.List(fields.String())
    audiences = fields.List(fields.String())


class StatusChangeSchema(Schema):
    from_status = fields.String(allow_none=True)
    to_status = fields.String()
    reason = fields.String()
    actor_role = fields.String()
    actor_name = fields.String()
    at = fields.Function(lambda c: isoformat(c.at))


class BaseSchema(Schema):
    id = fields.Integer()
    name = fields.String()
    credit_code = fields.String()
    department = fields.String()
    address = fields.String()
    status = fields.String()
    contact = fields.Function(
        lambda b: {"name": b.contact_name, "phone": b.contact_phone, "email": b.contact_email}
    )
    specialties = fields.List(fields.Nested(SpecialtySchema))
    recognized_on = fields.Date(allow_none=True)
    plaque_number = fields.String(allow_none=True)
    created_at = fields.Function(lambda b: isoformat(b.created_at))


class BaseDetailSchema(BaseSchema):
    status_history = fields.Function(lambda b: StatusChangeSchema(many=True).dump(b.status_changes))
