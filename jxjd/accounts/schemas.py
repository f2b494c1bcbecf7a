"""Token, account and registration shapes."""

from __future__ import annotations

from marshmallow import Schema, fields, validate

from jxjd.accounts.models import ROLES
from jxjd.common.fields import Timestamp
from jxjd.common.schema import Args, coded
from jxjd.common.text import Id, Text
from jxjd.common.time import isoformat


class TokenArgs(Args):
    role = fields.String(required=True, validate=validate.OneOf(ROLES))
    name = Text("title", required=True, validate=validate.Length(min=1))
    base_id = Id(load_default=None)
    department = Text("unit", label="主管部门", load_default=None)
    id_number = Text("code", label="身份证号", load_default=None)
    credit_code = Text(
        "code",
        label="统一社会信用代码",
        load_default=None,
        metadata={"description": "applicant、employer"},
    )
    days = fields.Raw(load_default=None, metadata={"description": "有效天数，默认 365"})


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
    expires_at = fields.Function(lambda t: isoformat(t["expires_at"]))


class TokenInfoSchema(Schema):
    """A token as the list shows it: never the token, only its first characters."""

    id = fields.Integer()
    prefix = fields.String()
    name = fields.String()
    role = fields.String()
    base_id = fields.Integer(allow_none=True)
    department = fields.String(allow_none=True)
    credit_code = fields.String(allow_none=True)
    created_at = Timestamp()
    expires_at = Timestamp()
    last_used_at = Timestamp(allow_none=True)
    revoked_at = Timestamp(allow_none=True)


class TokenListSchema(Schema):
    tokens = fields.List(fields.Nested(TokenInfoSchema))


class AccountSchema(Schema):
    """A web account as admins see it (never the password hash or session token)."""

    id = fields.Integer()
    username = fields.String()
    role = fields.String()
    name = fields.String()
    base_id = fields.Integer(allow_none=True)
    department = fields.String(allow_none=True)
    person_id = fields.Integer(allow_none=True)
    credit_code = fields.String(allow_none=True)
    created_at = Timestamp()
    disabled_at = Timestamp(allow_none=True)
    reset_at = Timestamp(allow_none=True)


class AccountListSchema(Schema):
    accounts = fields.List(fields.Nested(AccountSchema))


class ActivationArgs(Args):
    """POST /api/v1/people/activation-codes: the ID number travels only in the body."""

    id_number = fields.String(
        required=True,
        validate=validate.Length(max=32, error=coded("too_long", "身份证号不能超过32个字符")),
    )
    name = fields.String(
        required=True,
        validate=validate.Length(max=50, error=coded("too_long", "姓名不能超过50个字符")),
    )


class ActivationSchema(Schema):
    """A new activation code, shown only this once (also as a printable letter)."""

    code = fields.String()
    expires_at = Timestamp()
    person_id = fields.Integer()
    name = fields.String()
    id_masked = fields.String()


class OtpArgs(Args):
    """POST /api/v1/register/otp."""

    id_number = fields.String(
        required=True,
        validate=validate.Length(max=32, error=coded("too_long", "身份证号不能超过32个字符")),
    )
    name = fields.String(
        required=True,
        validate=validate.Length(max=50, error=coded("too_long", "姓名不能超过50个字符")),
    )


class OtpAcceptedSchema(Schema):
    """The one answer every code request gets."""

    status = fields.String()
    message = fields.String()
    expires_in = fields.Integer()


class RegisterArgs(Args):
    """POST /api/v1/register: `code` is an activation code or a 6-digit SMS code."""

    id_number = fields.String(
        required=True,
        validate=validate.Length(max=32, error=coded("too_long", "身份证号不能超过32个字符")),
    )
    name = fields.String(
        required=True,
        validate=validate.Length(max=50, error=coded("too_long", "姓名不能超过50个字符")),
    )
    code = fields.String(
        required=True,
        validate=validate.Length(max=64, error=coded("too_long", "验证码不能超过64个字符")),
    )
    username = fields.String(
        required=True,
        validate=validate.Length(max=64, error=coded("too_long", "用户名不能超过64个字符")),
    )
    password = fields.String(
        required=True,
        validate=validate.Length(max=256, error=coded("too_long", "密码不能超过256个字符")),
    )


class RegisteredSchema(Schema):
    id = fields.Integer()
    username = fields.String()
    role = fields.String()
    name = fields.String()
    id_masked = fields.String()
