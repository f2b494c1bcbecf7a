"""Input shapes of evaluation rounds, scores and outcomes."""

from __future__ import annotations

from marshmallow import fields, validate

from jxjd.common.schema import Args
from jxjd.common.text import Text
from jxjd.evaluations.models import OUTCOMES


def _item() -> fields.Integer:
    return fields.Integer(required=True, strict=True, validate=validate.Range(0, 100))


class EvaluationRoundArgs(Args):
    """Open the round of a year."""

    year = fields.Integer(required=True, strict=True, validate=validate.Range(2000, 2100))
    name = Text("title", label="评估轮次名称", load_default=None, allow_none=True)


class EvaluationScoreArgs(Args):
    """One evaluator's scores (0–100) on the six items of 第二十一条."""

    evaluator = Text("unit", label="评估人", load_default=None, allow_none=True)
    teachers = _item()
    funds = _item()
    facilities = _item()
    rules = _item()
    tasks = _item()
    effect = _item()
    comment = Text("opinion", label="评估意见", load_default="", allow_none=True)


class EvaluationOutcomeArgs(Args):
    """The outcome of an evaluation; rectify needs a deadline."""

    outcome = fields.String(required=True, validate=validate.OneOf(list(OUTCOMES)))
    reason = Text("reason", label="评估结论说明", load_default="", allow_none=True)
    deadline = fields.Date(load_default=None, allow_none=True)
