"""Bounds every request before a view reads it (CONTRACT §11).

- Path segments: integers beyond the INTEGER id columns, and strings with control characters or
  over 200 characters, are 404 before any view, so no view ever hands them to the database.
- A request line longer than MAX_URL_LENGTH → 414, header fields over their limits → 431, a JSON
  body over JXJD_MAX_JSON_MB → 413: all problem+json (the WSGI server refuses still larger ones
  itself; see the README's gunicorn settings).
- Query strings and JSON bodies: a character the text rule never allows (NUL and other controls,
  bidirectional overrides, lone surrogates) → 422 `invalid_characters`; a JSON list or object with
  more entries than the roster cap → 422 `too_many_items`; a JSON integer outside 64 bits → 422
  `out_of_range`. Page forms: NUL, which PostgreSQL cannot store or compare, → 422 here; every
  other rule is checked per field by the form's schema, so the page shows it beside the field.
  Per-field lengths and the single-line rule are the schemas' job.
"""

from __future__ import annotations

import re
from typing import Any

from flask import Flask, current_app, request
from werkzeug.exceptions import NotFound
from werkzeug.routing import IntegerConverter, UnicodeConverter, ValidationError

from jxjd.common.text import MAX_ID, MAX_INT64, MULTILINE_BAD, characters_message
from jxjd.errors import BadRequest, Problem, ValidationFailed, field_error

# Gunicorn refuses a request line over 4094 bytes (at most 8190 when configured) and a header
# field over 8190 bytes, with a small HTML 414/431 page of its own. The README's deployment settings
# (--limit-request-line 8190 --limit-request-field_size 16384) let requests that break only these
# limits reach the app, which then answers with problem+json.
MAX_URL_LENGTH = 8000
MAX_HEADER_FIELD = 8192
MAX_HEADERS_TOTAL = 32 * 1024
MAX_PATH_SEGMENT = 200
DEFAULT_MAX_JSON_MB = 6
DEFAULT_MAX_ITEMS = 20_000  # the roster row cap (JXJD_MAX_ROSTER_ROWS) bounds every JSON list

_NUL = re.compile("\x00")
_FORM_MIMETYPES = ("multipart/form-data", "application/x-www-form-urlencoded")
_PATH_TEXT = "[^/\\x00-\\x1f\\x7f-\\x9f\\u202a-\\u202e\\u2066-\\u2069]"


class IdConverter(IntegerConverter):
    """`<int:...>`: ASCII digits whose value fits the databases' INTEGER id columns."""

    regex = "[0-9]+"  # werkzeug's \d+ also matches other scripts' digits

    def __init__(self, map, fixed_digits=0, min=None, max=MAX_ID, signed=False):  # noqa: A002
        super().__init__(map, fixed_digits=fixed_digits, min=min, max=max, signed=signed)

    def to_python(self, value: str) -> int:
        try:
            return super().to_python(value)
        except ValidationError:
            # Werkzeug would try the path's other methods and answer 405; no row has this id.
            raise NotFound() from None


class SegmentConverter(UnicodeConverter):
    """`<name>`: one path segment of at most 200 characters, none of them a control character."""

    def __init__(self, map, minlength=1, maxlength=MAX_PATH_SEGMENT, length=None):
        super().__init__(map, minlength=minlength, maxlength=maxlength, length=length)
        self.regex = self.regex.replace("[^/]", _PATH_TEXT)


class UriTooLong(Problem):
    status, code, title = 414, "uri_too_long", "请求地址过长"


class HeadersTooLarge(Problem):
    status, code, title = 431, "headers_too_large", "请求头过大"


class BodyTooLarge(Problem):
    status, code, title = 413, "body_too_large", "请求体过大"


def invalid_characters(
    field: str | None, value: str, position: int, *, label: str | None = None
) -> ValidationFailed:
    """422 invalid_characters for one query parameter, form field or JSON field."""
    label = label or (f"参数 {field} " if field else "请求内容")
    message = characters_message(label, value, position)
    return ValidationFailed(
        [field_error("invalid_characters", message, field=field)], code="invalid_characters"
    )


def install_guards(app: Flask) -> None:
    """Register the converters (before any route) and the request guard (before other hooks)."""
    app.url_map.converters["int"] = IdConverter
    app.url_map.converters["default"] = SegmentConverter
    app.url_map.converters["string"] = SegmentConverter
    app.before_request(guard_request)


def guard_request() -> None:
    """Refuse what no view should ever see; see the module docstring."""
    environ = request.environ
    if len(environ.get("PATH_INFO", "")) + len(environ.get("QUERY_STRING", "")) > MAX_URL_LENGTH:
        raise UriTooLong(f"请求地址不能超过 {MAX_URL_LENGTH} 个字符")
    total = 0
    for key, value in environ.items():
        if key.startswith("HTTP_") and isinstance(value, str):
            size = len(key) + len(value)
            if size > MAX_HEADER_FIELD:
                name = key[5:].replace("_", "-").title()[:40]
                raise HeadersTooLarge(f"请求头 {name} 超过 {MAX_HEADER_FIELD} 字节")
            total += size
    if total > MAX_HEADERS_TOTAL:
        raise HeadersTooLarge(f"请求头合计不能超过 {MAX_HEADERS_TOTAL // 1024} KB")
    if request.args:
        _screen_pairs(request.args, MULTILINE_BAD)
    if request.method in ("POST", "PUT", "PATCH", "DELETE"):
        if request.mimetype in _FORM_MIMETYPES:
            _screen_pairs(request.form, _NUL)
        else:
            _screen_json()


def _screen_pairs(multidict, pattern: re.Pattern[str]) -> None:
    for key, value in multidict.items(multi=True):
        for text in (key, value):
            match = pattern.search(text)
            if match is not None:
                raise invalid_characters(key if text is value else None, text, match.start())


def _screen_json() -> None:
    limit = int(current_app.config.get("JXJD_MAX_JSON_MB", DEFAULT_MAX_JSON_MB) * 1024 * 1024)
    length = request.content_length
    if length is not None and length > limit:
        raise BodyTooLarge(f"JSON 请求体不能超过 {limit // (1024 * 1024)} MB")
    request.max_content_length = limit  # a body without Content-Length stops there too (413)
    if not length and "chunked" not in request.headers.get("Transfer-Encoding", "").lower():
        return
    try:
        body = request.get_json(force=True, silent=True)
    except RecursionError:
        raise BadRequest("请求体嵌套层数过多") from None
    if isinstance(body, dict | list):
        _walk(body, int(current_app.config.get("JXJD_MAX_ROSTER_ROWS", DEFAULT_MAX_ITEMS)))


def _walk(body: dict | list, max_items: int) -> None:
    """Check every string, container size and integer in a parsed JSON body, without recursion."""
    stack: list[tuple[str, Any]] = [("", body)]
    while stack:
        path, value = stack.pop()
        if isinstance(value, str):
            match = MULTILINE_BAD.search(value)
            if match is not None:
                raise invalid_characters(
                    path or None, value, match.start(), label=f"字段 {path} " if path else None
                )
        elif isinstance(value, dict):
            _check_size(path, len(value), max_items)
            for key, item in value.items():
                match = MULTILINE_BAD.search(key)
                if match is not None:
                    raise invalid_characters(path or None, key, match.start(), label="字段名")
                stack.append((f"{path}.{key}" if path else key, item))
        elif isinstance(value, list):
            _check_size(path, len(value), max_items)
            stack.extend((f"{path}[{i}]", item) for i, item in enumerate(value))
        elif isinstance(value, int) and not isinstance(value, bool) and abs(value) > MAX_INT64:
            raise ValidationFailed(
                [field_error("out_of_range", f"{path}：数值超出允许范围", field=path or None)],
                code="out_of_range",
            )


def _check_size(path: str, size: int, max_items: int) -> None:
    if size > max_items:
        where = f"字段 {path} " if path else "请求体"
        raise ValidationFailed(
            [
                field_error(
                    "too_many_items",
                    f"{where}最多 {max_items} 项（当前 {size} 项）",
                    field=path or None,
                )
            ],
            code="too_many_items",
        )
