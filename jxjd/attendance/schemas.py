"""Attendance input shapes: correcting one record (its certificate is reissued)."""

from __future__ import annotations

from marshmallow import fields, pre_load

from jxjd.common.fields import HoursField
from jxjd.common.schema import Args
from jxjd.common.text import Text


class CorrectArgs(Args):
    """What a correction changes (any of name, employer, hours, category) and why."""

    reason = Text("reason", label="更正原因", required=True)
    name = Text("person_name", label="姓名", load_default=None, allow_none=True)
    employer = Text("unit", label="工作单位", load_default=None, allow_none=True)
    hours = HoursField(load_default=None, allow_none=True)
    category = fields.String(load_default=None, allow_none=True)

    @pre_load
    def _blank_is_absent(self, data, **kwargs):
        # A page form sends every field; an empty one means "unchanged", as an absent one does.
        # An absent reason is the same mistake as a blank one: answered by the service.
        if not isinstance(data, dict):
            return data
        cleaned = {k: v for k, v in data.items() if not (k != "reason" and v == "")}
        if cleaned.get("reason") is None:
            cleaned["reason"] = ""
        return cleaned
