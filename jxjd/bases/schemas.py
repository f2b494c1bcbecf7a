"""Input and output shapes of the base registry and of change filings (第三十一条)."""

from __future__ import annotations

from marshmallow import Schema, fields, validate

from jxjd.bases.models import CHANGE_FIELDS
from jxjd.common.enums import AUDIENCES, BASE_STATUSES, LEVELS
from jxjd.common.schema import Args, coded
from jxjd.common.text import BoundedList, Text
from jxjd.common.time import isoformat

MAX_SPECIALTIES = 100  # recognized specialties of one base (CONTRACT §11 too_many_items)


class SpecialtyArgs(Args):
    name = Text("specialty", required=True, validate=validate.Length(min=1))
    levels = BoundedList(
        fields.String(validate=validate.OneOf(list(LEVELS))),
        max_items=len(LEVELS),
        label="培训层次",
        required=True,
        validate=validate.Length(min=1, error=coded("missing_levels", "至少选择一个培训层次")),
    )
    audiences = BoundedList(
        fields.String(validate=validate.OneOf(list(AUDIENCES))),
        max_items=len(AUDIENCES),
        label="培训对象",
        required=True,
        validate=validate.Length(min=1, error=coded("missing_audiences", "至少选择一个培训对象")),
    )


class ContactArgs(Args):
    name = Text("person_name", label="联系人姓名", load_default="")
    phone = Text("phone", label="联系电话", load_default="")
    email = Text("email", load_default="")


class BaseArgs(Args):
    name = Text("title", label="基地名称", required=True, validate=validate.Length(min=1))
    credit_code = Text("code", label="统一社会信用代码", required=True)
    department = Text("unit", label="主管部门", required=True, validate=validate.Length(min=1))
    address = Text("address", load_default="")
    status = fields.String(
        load_default="recognized", validate=validate.OneOf(["applying", "recognized"])
    )
    contact = fields.Nested(
        ContactArgs, load_default=lambda: {"name": "", "phone": "", "email": ""}
    )
    specialties = BoundedList(
        fields.Nested(SpecialtyArgs),
        max_items=MAX_SPECIALTIES,
        label="认定专业",
        load_default=list,
    )
    recognized_on = fields.Date(load_default=None)
    plaque_number = Text(
        "code", label="牌匾编号", load_default=None, validate=validate.Length(max=32)
    )


class StatusArgs(Args):
    status = fields.String(required=True, validate=validate.OneOf(list(BASE_STATUSES)))
    reason = Text(
        "reason",
        label="变更原因",
        required=True,
        validate=validate.Length(min=1, error=coded("missing_reason", "须说明变更原因")),
    )


class SpecialtiesArgs(Args):
    specialties = BoundedList(
        fields.Nested(SpecialtyArgs), max_items=MAX_SPECIALTIES, label="认定专业", required=True
    )


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
    department_code = fields.Function(lambda b: b.dept.code if b.dept is not None else None)
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


# ---- change filings ------------------------------------------------------------------------


class BaseChangeContactArgs(Args):
    name = Text("person_name", label="联系人姓名")
    phone = Text("phone", label="联系电话")
    email = Text("email")


class BaseChangeArgs(Args):
    """Only the fields that change; anything left out stays as it is."""

    name = Text(
        "title",
        label="机构名称",
        validate=validate.Length(min=1, error=coded("invalid_name", "机构名称不能为空")),
    )
    address = Text("address")
    contact = fields.Nested(BaseChangeContactArgs)
    note = Text("text", label="变更说明", load_default="", allow_none=True)


class BaseChangeAcceptArgs(Args):
    reason = Text("reason", load_default="", allow_none=True)


class BaseChangeRejectArgs(Args):
    reason = Text(
        "reason",
        required=True,
        validate=validate.Length(min=1, error=coded("missing_reason", "须说明不予备案的原因")),
    )


def _by(role: str | None, name: str | None) -> dict[str, str | None] | None:
    return None if role is None else {"role": role, "name": name}


class BaseChangeFieldSchema(Schema):
    field = fields.String()
    label = fields.Function(lambda f: CHANGE_FIELDS.get(f.field, f.field))
    old = fields.String(attribute="old_value")
    new = fields.String(attribute="new_value")


class BaseChangeSchema(Schema):
    id = fields.Integer()
    base_id = fields.Integer()
    status = fields.String()
    changes = fields.List(fields.Nested(BaseChangeFieldSchema), attribute="fields")
    note = fields.String()
    filed_by = fields.Function(lambda c: _by(c.filed_by_role, c.filed_by_name))
    filed_at = fields.Function(lambda c: isoformat(c.filed_at))
    decided_by = fields.Function(lambda c: _by(c.decided_by_role, c.decided_by_name))
    decided_at = fields.Function(lambda c: isoformat(c.decided_at))
    decision_reason = fields.String()
