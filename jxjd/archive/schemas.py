"""Archive shapes: the archive of CONTRACT §8, review checks, grants and registration entries."""

from __future__ import annotations

from marshmallow import Schema, fields, validate

from jxjd.common.fields import HoursField, Timestamp
from jxjd.common.schema import Args, coded
from jxjd.common.text import Text


class ArchiveQueryArgs(Args):
    """POST /api/v1/archive/query: the ID number travels only in the body."""

    id_number = Text("code", label="身份证号", required=True)
    from_ = fields.Raw(data_key="from", attribute="from", load_default=None)
    to = fields.Raw(load_default=None)


class GrantArgs(Args):
    """POST /api/v1/me/grants."""

    employer_name = Text(
        "unit", label="用人单位名称", required=True, validate=validate.Length(min=1)
    )
    from_ = fields.Raw(data_key="from", attribute="from", load_default=None)
    to = fields.Raw(load_default=None)
    days = fields.Integer(load_default=30, validate=validate.Range(min=1, max=365))
    # Optional: only the employer account or token bound to this credit code may open the grant.
    employer_credit_code = fields.String(load_default=None, allow_none=True)


class SharedLookupArgs(Args):
    """POST /api/v1/shared: the code travels in the body, never in the URL."""

    code = fields.String(
        required=True,
        validate=[
            validate.Length(min=1, error=coded("required", "请填写授权码")),
            validate.Length(max=64, error=coded("too_long", "授权码不能超过64个字符")),
        ],
    )
    viewer = fields.Dict(
        load_default=None,
        allow_none=True,
        metadata={"example": {"unit": "湖南某某科技有限公司", "name": "王五"}},
    )
    level = fields.String(load_default=None, allow_none=True)
    year = fields.Raw(load_default=None, allow_none=True)


class PersonSchema(Schema):
    name = fields.String()
    id_masked = fields.String()


class PartsSchema(Schema):
    total = HoursField()
    general = HoursField()
    professional = HoursField()


class YearSchema(Schema):
    """One year against that year's rule."""

    year = fields.Integer()
    total_hours = HoursField()
    general_hours = HoursField()
    professional_hours = HoursField()
    required = fields.Nested(PartsSchema)
    compliant = fields.Boolean()
    shortfall = fields.Nested(PartsSchema)


class RecordSchema(Schema):
    """One attendance record; `hours` is what it counts (0 for a fail or a revoked certificate)."""

    serial = fields.String(allow_none=True)
    year = fields.Integer()
    title = fields.String()
    base = fields.String()
    category = fields.String()
    form = fields.String()
    hours = HoursField()
    recorded_hours = HoursField()
    start_date = fields.Date()
    end_date = fields.Date()
    result = fields.String(allow_none=True)
    status = fields.String(allow_none=True)
    # "base" (a provincial base's session) or "external" (an approved credit, CONTRACT §14).
    source = fields.String()
    provider = fields.String()
    credit_id = fields.Integer(allow_none=True)


class SummarySchema(Schema):
    from_ = fields.Integer(data_key="from", attribute="from")
    to = fields.Integer()
    all_years_compliant = fields.Boolean()
    total_hours = HoursField()


class ArchiveSchema(Schema):
    """CONTRACT §8."""

    person = fields.Nested(PersonSchema)
    years = fields.List(fields.Nested(YearSchema))
    records = fields.List(fields.Nested(RecordSchema))
    summary = fields.Nested(SummarySchema)


class SpanSchema(Schema):
    from_ = fields.Integer(data_key="from", attribute="from")
    to = fields.Integer()
    years = fields.Integer()


class ReviewCheckSchema(Schema):
    """A 职称 review check over the configured span of years before the review year."""

    person = fields.Nested(PersonSchema)
    level = fields.String()
    review_year = fields.Integer()
    span = fields.Nested(SpanSchema)
    years = fields.List(fields.Nested(YearSchema))
    missing_years = fields.List(fields.Integer())
    all_years_compliant = fields.Boolean()
    total_hours = HoursField()


class GrantInfoSchema(Schema):
    employer_name = fields.String()
    from_ = fields.Integer(data_key="from", attribute="from")
    to = fields.Integer()
    expires_at = Timestamp()


class SharedArchiveSchema(ArchiveSchema):
    """The archive for the granted years, the grant, and a review check when asked."""

    grant = fields.Nested(GrantInfoSchema)
    review_check = fields.Nested(ReviewCheckSchema)


class GrantCreatedSchema(Schema):
    """The code, shown only this once."""

    id = fields.Integer()
    code = fields.String()
    from_ = fields.Integer(data_key="from", attribute="from")
    to = fields.Integer()
    expires_at = Timestamp()
    employer_credit_code = fields.String(allow_none=True)


class ViewerSchema(Schema):
    unit = fields.String()
    name = fields.String()


class AccessSchema(Schema):
    who = fields.String()
    role = fields.String()
    at = Timestamp()
    what = fields.String()
    what_text = fields.String(metadata={"description": "查询内容（中文说明）"})
    named_unit = fields.Boolean(
        metadata={"description": "查询方是否为授权时指定的用人单位（否则页面提示本人）"}
    )
    viewer = fields.Nested(ViewerSchema, allow_none=True)


class GrantSchema(Schema):
    """A grant as its person sees it, with every access."""

    id = fields.Integer()
    code_prefix = fields.String()
    employer_name = fields.String()
    employer_credit_code = fields.String(allow_none=True)
    from_ = fields.Integer(data_key="from", attribute="from")
    to = fields.Integer()
    created_at = Timestamp()
    expires_at = Timestamp()
    withdrawn_at = Timestamp(allow_none=True)
    status = fields.String()
    accesses = fields.List(fields.Nested(AccessSchema))


class GrantListSchema(Schema):
    grants = fields.List(fields.Nested(GrantSchema))


class EntrySchema(Schema):
    """One line of the 《湖南省专业技术人员继续教育登记证书》."""

    date = fields.Date()
    start_date = fields.Date()
    end_date = fields.Date()
    content = fields.String()
    form = fields.String()
    category = fields.String()
    hours = HoursField()
    recorded_hours = HoursField()
    organiser = fields.String()
    result = fields.String()
    certificate_serial = fields.String(allow_none=True)
    certificate_status = fields.String(allow_none=True)
    source = fields.String()
    provider = fields.String()


class RegistrationSchema(Schema):
    person = fields.Nested(PersonSchema)
    year = fields.Integer()
    entries = fields.List(fields.Nested(EntrySchema))
    summary = fields.Nested(YearSchema)
