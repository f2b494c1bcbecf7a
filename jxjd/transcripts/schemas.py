"""Transcript shapes: the issue request and answer, the statement as read, the list."""

from __future__ import annotations

from marshmallow import Schema, fields, validate

from jxjd.common.fields import HoursField, Timestamp
from jxjd.common.schema import Args, coded


class TranscriptArgs(Args):
    """POST /api/v1/me/transcripts: the span (omitted ends: the last five years)."""

    from_ = fields.Raw(data_key="from", attribute="from", load_default=None)
    to = fields.Raw(load_default=None)


class SharedTranscriptArgs(Args):
    """POST /api/v1/shared/transcript.pdf: the code travels in the body, never in the URL."""

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


class TranscriptIssuedSchema(Schema):
    """201: the serial, the signed token and the QR text (verify URL)."""

    serial = fields.String()
    token = fields.String()
    url = fields.String()


class TranscriptYearSchema(Schema):
    """One year as the transcript states it."""

    year = fields.Integer()
    general_hours = HoursField()
    professional_hours = HoursField()
    total_hours = HoursField()
    compliant = fields.Boolean()


class TranscriptSchema(Schema):
    """A transcript as signed, with what changed in the archive since it was issued."""

    serial = fields.String()
    name = fields.String()
    id_masked = fields.String()
    from_ = fields.Integer(data_key="from", attribute="from")
    to = fields.Integer()
    years = fields.List(fields.Nested(TranscriptYearSchema))
    all_years_compliant = fields.Boolean()
    issued_at = Timestamp()
    kid = fields.String()
    alg = fields.String()
    url = fields.String()
    record_changed = fields.Boolean()
    changed_years = fields.List(fields.Integer())
    hours_reduced_years = fields.List(fields.Integer())
    notice = fields.String(allow_none=True)


class TranscriptListSchema(Schema):
    """GET /api/v1/me/transcripts."""

    transcripts = fields.List(fields.Nested(TranscriptSchema))
