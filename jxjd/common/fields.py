"""Marshmallow fields shared by features."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation

from marshmallow import ValidationError, fields

from jxjd.common.schema import coded
from jxjd.common.time import isoformat
from jxjd.common.types import hours_json


class HoursField(fields.Field):
    """学时: a positive number with at most one decimal; dumped as a JSON number."""

    def _serialize(self, value, attr, obj, **kwargs):
        return hours_json(value)

    def _deserialize(self, value, attr, data, **kwargs):
        if isinstance(value, bool):
            raise ValidationError(coded("invalid_hours", "学时应为数字"))
        try:
            number = Decimal(str(value))
        except (InvalidOperation, ValueError):
            raise ValidationError(coded("invalid_hours", "学时应为数字")) from None
        if (
            not number.is_finite()
            or number.as_tuple().exponent < -1
            and number != number.quantize(Decimal("0.1"))
        ):
            raise ValidationError(coded("invalid_hours", "学时最多保留一位小数"))
        return number.quantize(Decimal("0.1"))


class Timestamp(fields.Field):
    """An aware datetime as ISO 8601 with the +08:00 offset."""

    def _serialize(self, value, attr, obj, **kwargs):
        return isoformat(value)
