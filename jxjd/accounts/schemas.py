"""Token and account shapes."""

from __future__ import annotations

from marshmallow import Schema, fields, validate

from jxjd.accounts.models import ROLES
from jxjd.common.schema import Args
from jxjd.common.time import isoformat


class TokenArgs(Args):
    role = fields.String(required=True, validate=validate.OneOf(ROLES))
    name = fields.String(required=True, validate=validate.Length(min=1, max=200))
    base_id = fields.Integer(load_default=None)
    department = fields.String(load_default=None)
    id_number = fields.String(load_default=None)
    credit_code = fields.String(load_default=None)


class TokenSchema(Schema):
    id = fields.Integer()
    token = fields.String()
    role = fields.String()
    name = fields.String()
    base_id = fields.Integer(allow_none=True)
    department = fields.String(allow_none=True)
    credit_code = fields.String(allow_none=True)
    id_masked = fields.String(allow_none=True)
    created_at = fields.Function(lambda t: isoformat(t["created_at"]))
