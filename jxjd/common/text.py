"""The one text rule (CONTRACT §11): a length per kind of field and no control characters.

Every entry point uses it: the marshmallow field `Text` for JSON bodies and page forms, `check_text`
for services and CLI commands, `text_problem` for roster rows, and the character classes for the
request guard (jxjd/common/guards.py) that screens query strings and JSON bodies before a view runs.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from marshmallow import ValidationError, fields, validate

from jxjd.common.schema import coded
from jxjd.errors import ValidationFailed, field_error


@dataclass(frozen=True)
class TextKind:
    """How long a kind of field may be, whether it may hold line breaks, and what it is called."""

    max_length: int
    multiline: bool
    label: str


# Limits in characters (code points, as Python's len() counts them). Database columns are at least
# as wide as these limits.
KINDS: dict[str, TextKind] = {
    "person_name": TextKind(50, False, "姓名"),
    "unit": TextKind(100, False, "单位名称"),  # employer, work unit, department, share-code unit
    "position": TextKind(100, False, "职务"),
    "specialty": TextKind(100, False, "专业名称"),
    "title": TextKind(200, False, "名称"),  # titles, base names, session titles and locations
    "address": TextKind(300, False, "地址"),
    "line": TextKind(300, False, "内容"),  # other one-line text: duties, subjects
    "username": TextKind(64, False, "用户名"),
    "phone": TextKind(50, False, "电话"),
    "email": TextKind(200, False, "电子邮箱"),
    "postcode": TextKind(20, False, "邮编"),
    "code": TextKind(40, False, "编码"),  # ID numbers, credit codes, serials as typed
    "reason": TextKind(1000, True, "原因"),
    "opinion": TextKind(1000, True, "意见"),
    "text": TextKind(4000, True, "内容"),
}

# C0 controls except tab, line feed and carriage return (browsers send textarea lines as CRLF),
# DEL, C1 controls, the bidirectional embeddings/overrides/isolates, and lone surrogates (which no
# database can encode). NUL is among the C0 controls.
_NEVER = "\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069\ud800-\udfff"
MULTILINE_BAD = re.compile(f"[{_NEVER}]")
SINGLE_LINE_BAD = re.compile(f"[\t\n\r{_NEVER}]")


def bad_character(value: str, *, multiline: bool = True) -> int | None:
    """The 0-based position of the first character the text rule forbids, or None."""
    match = (MULTILINE_BAD if multiline else SINGLE_LINE_BAD).search(value)
    return None if match is None else match.start()


def characters_message(label: str, value: str, position: int) -> str:
    """A Chinese sentence naming the field and the offending character."""
    char = value[position]
    what = "换行符或制表符" if char in "\t\n\r" else "控制字符或文字方向控制符"
    return f"{label}含有不允许的{what}（第 {position + 1} 个字符 U+{ord(char):04X}），请删除后重试"


def too_long_message(label: str, limit: int, length: int) -> str:
    """A Chinese sentence naming the field, the limit and the length given."""
    return f"{label}不能超过 {limit} 个字符（当前 {length} 个）"


def text_problem(value: str, kind: str, label: str | None = None) -> tuple[str, str] | None:
    """(code, Chinese message) when `value` breaks the rule for `kind`; None when it is fine."""
    spec = KINDS[kind]
    label = label or spec.label
    if len(value) > spec.max_length:
        return "too_long", too_long_message(label, spec.max_length, len(value))
    position = bad_character(value, multiline=spec.multiline)
    if position is not None:
        return "invalid_characters", characters_message(label, value, position)
    return None


def check_text(
    value: str | None,
    kind: str,
    *,
    field: str | None,
    label: str | None = None,
    row: int | None = None,
) -> str | None:
    """Return `value` unchanged, or raise a 422 (too_long / invalid_characters) naming `field`."""
    if value is None:
        return None
    problem = text_problem(value, kind, label)
    if problem is not None:
        code, message = problem
        raise ValidationFailed([field_error(code, message, field=field, row=row)], code=code)
    return value


class Text(fields.String):
    """A string field under the text rule of its `kind` (see KINDS); the limit is in the schema."""

    def __init__(self, kind: str = "text", *, label: str | None = None, **kwargs: Any) -> None:
        spec = KINDS[kind]
        metadata = {"maxLength": spec.max_length, **kwargs.pop("metadata", {})}
        super().__init__(metadata=metadata, **kwargs)
        self.kind = kind
        self.label = label

    def _deserialize(self, value, attr, data, **kwargs):
        text = super()._deserialize(value, attr, data, **kwargs)
        problem = text_problem(text, self.kind, self.label)
        if problem is not None:
            raise ValidationError(coded(*problem))
        return text


class BoundedList(fields.List):
    """A list with at most `max_items` entries, counted before any entry is read."""

    def __init__(self, inner: Any, *, max_items: int, label: str = "列表", **kwargs: Any) -> None:
        metadata = {"maxItems": max_items, **kwargs.pop("metadata", {})}
        super().__init__(inner, metadata=metadata, **kwargs)
        self.max_items = max_items
        self.label = label

    def _deserialize(self, value, attr, data, **kwargs):
        if isinstance(value, list | tuple) and len(value) > self.max_items:
            raise ValidationError(
                coded(
                    "too_many_items",
                    f"{self.label}最多 {self.max_items} 项（当前 {len(value)} 项）",
                )
            )
        return super()._deserialize(value, attr, data, **kwargs)


# Row ids are INTEGER columns (32 bits on PostgreSQL): a larger id cannot exist, and PostgreSQL
# refuses to compare one with them. No number in a body may exceed 64 bits.
MAX_ID = 2**31 - 1
MAX_INT64 = 2**63 - 1


def Id(**kwargs: Any) -> fields.Integer:  # noqa: N802 - reads like a field class in schemas
    """A row id in a body: a positive integer an INTEGER column can hold."""
    return fields.Integer(validate=validate.Range(1, MAX_ID), **kwargs)
