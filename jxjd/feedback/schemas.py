"""Input and output shapes of session feedback."""

from __future__ import annotations

from marshmallow import Schema, fields, validate

from jxjd.common.schema import Args
from jxjd.common.text import Text


class FeedbackArgs(Args):
    """A trainee's rating of the session a certificate belongs to."""

    rating = fields.Integer(required=True, strict=True, validate=validate.Range(1, 5))
    comment = Text("opinion", label="评价意见", load_default="", allow_none=True)


class FeedbackSchema(Schema):
    """The caller's own rating."""

    serial = fields.String()
    session_id = fields.Integer()
    rating = fields.Integer()
    comment = fields.String()
    created_at = fields.String()


class FeedbackCommentSchema(Schema):
    """One comment as a base sees it: no name, no ID number."""

    rating = fields.Integer()
    comment = fields.String()


class FeedbackSummarySchema(Schema):
    """A session's ratings in aggregate."""

    session_id = fields.Integer()
    count = fields.Integer()
    average = fields.Float(allow_none=True)
    distribution = fields.Dict(keys=fields.String(), values=fields.Integer())
    comments = fields.List(fields.Nested(FeedbackCommentSchema))
