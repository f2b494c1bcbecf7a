"""The public directory's shapes: no person's ID number, nothing private."""

from __future__ import annotations

from marshmallow import Schema, fields


class DirectorySpecialtySchema(Schema):
    name = fields.String()
    levels = fields.List(fields.String())
    audiences = fields.List(fields.String())


class DirectoryBaseSchema(Schema):
    id = fields.Integer()
    name = fields.String()
    credit_code = fields.String()
    department = fields.String()
    specialties = fields.List(fields.Nested(DirectorySpecialtySchema))
    status = fields.String()
    contact = fields.Function(
        lambda b: {"name": b.contact_name, "phone": b.contact_phone, "email": b.contact_email}
    )
    address = fields.String()
    recognized_on = fields.Date(allow_none=True)
    plaque_number = fields.String(allow_none=True)
    # The three-yearly evaluation (第二十二条) will set this; until then no base is marked.
    excellent = fields.Function(lambda b: False)


class NoticeEntrySchema(Schema):
    application_id = fields.Integer(attribute="id")
    unit_name = fields.String()
    department = fields.String()
    notice_start = fields.Date()
    notice_until = fields.Date()
    specialties = fields.List(fields.Nested(DirectorySpecialtySchema))


class DirectorySchema(Schema):
    bases = fields.List(fields.Nested(DirectoryBaseSchema))
    on_notice = fields.List(fields.Nested(NoticeEntrySchema))
