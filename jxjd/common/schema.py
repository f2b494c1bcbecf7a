"""Marshmallow glue: load input or raise a 422 whose errors carry stable codes and Chinese text."""

from __future__ import annotations

import re
from typing import Any

from marshmallow import EXCLUDE, Schema, ValidationError

from jxjd.errors import BadRequest, ValidationFailed, field_error

# Marshmallow's English messages → (stable code, Chinese sentence).
_MESSAGES: list[tuple[re.Pattern[str], str, str]] = [
    (re.compile(r"^Missing data for required field"), "required", "此字段为必填项"),
    (re.compile(r"^Field may not be null"), "required", "此字段不能为空"),
    (re.compile(r"^Not a valid (integer|number|decimal)"), "invalid_number", "应为数字"),
    (re.compile(r"^Not a valid boolean"), "invalid_boolean", "应为 true 或 false"),
    (re.compile(r"^Not a valid date"), "invalid_date", "应为 YYYY-MM-DD 格式的日期"),
    (
        re.compile(r"^Not a valid (string|list|mapping)|^Invalid input type|^Invalid type"),
        "invalid_type",
        "数据类型不正确",
    ),
    (re.compile(r"^Not a valid email"), "invalid_email", "电子邮箱格式不正确"),
    (re.compile(r"^Must be one of"), "invalid_choice", "取值不在允许的范围内"),
    (re.compile(r"^(Length|Shorter|Longer)"), "invalid_length", "长度不符合要求"),
    (re.compile(r"^Must be (greater|less)"), "out_of_range", "数值超出允许范围"),
    (re.compile(r"^Unknown field"), "unknown_field", "不支持的字段"),
]
LIMIT_CODES = frozenset({"too_long", "invalid_characters", "too_many_items"})
_CODED = re.compile(r"^([a-z][a-z0-9_]*): (.+)$")


def coded(code: str, message: str) -> str:
    """A validator message that carries its own stable code: 'code: 中文说明'."""
    return f"{code}: {message}"


def _translate(message: str) -> tuple[str, str]:
    match = _CODED.match(message)
    if match:
        return match.group(1), match.group(2)
    for pattern, code, chinese in _MESSAGES:
        if pattern.search(message):
            return code, chinese
    return "invalid_value", "取值无效"


def _flatten(messages: Any, path: str, out: list[dict]) -> None:
    if isinstance(messages, dict):
        for key, value in messages.items():
            if key == "_schema":
                _flatten(value, path, out)
                continue
            sub = (
                f"{path}[{key}]"
                if isinstance(key, int)
                else (f"{path}.{key}" if path else str(key))
            )
            _flatten(value, sub, out)
    elif isinstance(messages, list):
        for item in messages:
            if isinstance(item, (dict, list)):
                _flatten(item, path, out)
            else:
                code, chinese = _translate(str(item))
                label = f"{path}：" if path else ""
                out.append(field_error(code, f"{label}{chinese}", field=path or None))
    else:
        code, chinese = _translate(str(messages))
        out.append(field_error(code, chinese, field=path or None))


def validation_errors(err: ValidationError) -> list[dict]:
    """Marshmallow's error tree as CONTRACT §1 errors."""
    out: list[dict] = []
    _flatten(err.messages, "", out)
    return out


class Args(Schema):
    """Base class for input schemas: unknown keys are ignored."""

    class Meta:
        unknown = EXCLUDE


def load(schema: Schema, data: Any, *, partial: bool = False) -> Any:
    """Validate input with `schema`; 400 for a non-object body, 422 with codes otherwise."""
    if data is None:
        raise BadRequest("请求体须为 JSON 对象")
    if not isinstance(data, dict) and not schema.many:
        raise BadRequest("请求体须为 JSON 对象")
    try:
        return schema.load(data, partial=partial)
    except ValidationError as err:
        errors = validation_errors(err)
        codes = {e["code"] for e in errors}
        # One limit broken (CONTRACT §11): its code is the problem's code too.
        code = codes.pop() if len(codes) == 1 and codes <= LIMIT_CODES else None
        raise ValidationFailed(errors, code=code) from None


def json_body() -> Any:
    """The request's JSON body; 400 for malformed JSON."""
    from flask import request

    if not request.data:
        return {}
    try:
        return request.get_json(force=True)
    except Exception:  # noqa: BLE001 - werkzeug raises BadRequest subclasses with English text
        raise BadRequest("请求体不是有效的 JSON") from None
