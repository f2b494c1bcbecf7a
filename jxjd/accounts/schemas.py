"""Token and account shapes."""

from __future__ import annotations

from marshmallow import Schema, fields, validate

from jxjd.accounts.models import ROLES
from jxjd.common.schema import Args
from jxjd.common.text import Id, Text
from jxjd.common.time import isoformat


class TokenArgs(Args):
    role = fields.String(required=True, validate=validate.OneOf(ROLES))
    name = Text("title", required=True, validate=validate.Length(min=1))
    base_id = Id(load_default=None)
    department = Text("unit", label="主管部门", load_default=None)
    id_number = Text("code", label="身份证号", load_default=None)
    credit_code = Text("code", label="统一社会信用代码", load_default=None)


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
