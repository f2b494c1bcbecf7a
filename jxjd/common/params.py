"""Query-string and path numbers checked against their range: 422 `invalid_parameter` otherwise."""

from __future__ import annotations

import re
from typing import overload

from flask import request

from jxjd.common.text import MAX_ID
from jxjd.errors import ValidationFailed, field_error

MIN_YEAR, MAX_YEAR = 2000, 2100
_INTEGER = re.compile(r"[+-]?[0-9]{1,20}")


def form_integer(raw: str) -> int | str:
    """A page-form value as an int when it is a plain integer; otherwise unchanged, for the schema
    to refuse (str.isdigit() would pass "²" and 5,000-digit strings, on which int() raises)."""
    text = raw.strip()
    return int(text) if _INTEGER.fullmatch(text) else raw


def invalid_parameter(name: str, message: str) -> ValidationFailed:
    """422 invalid_parameter naming the parameter."""
    return ValidationFailed(
        [field_error("invalid_parameter", message, field=name)], code="invalid_parameter"
    )


def checked_int(value: int, name: str, *, minimum: int, maximum: int) -> int:
    """`value` when minimum ≤ value ≤ maximum; 422 invalid_parameter otherwise."""
    if not minimum <= value <= maximum:
        raise invalid_parameter(name, f"参数 {name} 应为 {minimum} 到 {maximum} 之间的整数")
    return value


@overload
def query_int(name: str, *, minimum: int = ..., maximum: int = ..., default: int) -> int: ...
@overload
def query_int(
    name: str, *, minimum: int = ..., maximum: int = ..., default: None = None
) -> int | None: ...


def query_int(
    name: str, *, minimum: int = 1, maximum: int = MAX_ID, default: int | None = None
) -> int | None:
    """The integer query parameter `name` (absent or blank → `default`), within its range."""
    raw = request.args.get(name, "").strip()
    if not raw:
        return default
    if not _INTEGER.fullmatch(raw):
        raise invalid_parameter(name, f"参数 {name} 应为 {minimum} 到 {maximum} 之间的整数")
    return checked_int(int(raw), name, minimum=minimum, maximum=maximum)


def query_mode() -> str:
    """?mode= of an upload or import: strict (the default) or partial; 422 invalid_mode."""
    mode = request.args.get("mode", "strict")
    if mode not in ("strict", "partial"):
        raise ValidationFailed(
            [field_error("invalid_mode", "mode 须为 strict 或 partial", field="mode")]
        )
    return mode


@overload
def query_year(name: str = ..., *, default: int) -> int: ...
@overload
def query_year(name: str = ..., default: None = None) -> int | None: ...


def query_year(name: str = "year", default: int | None = None) -> int | None:
    """A year in the query string (2000–2100), or `default` when absent."""
    return query_int(name, minimum=MIN_YEAR, maximum=MAX_YEAR, default=default)


def checked_year(year: int, name: str = "year") -> int:
    """A year taken from the path, within 2000–2100."""
    return checked_int(year, name, minimum=MIN_YEAR, maximum=MAX_YEAR)
