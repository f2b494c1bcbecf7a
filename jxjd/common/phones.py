"""Mainland mobile numbers: normalisation, the validity check and the masked form."""

from __future__ import annotations

import re

from jxjd.common.ids import to_halfwidth

_MOBILE = re.compile(r"^1[3-9]\d{9}$")
_SEPARATORS = str.maketrans("", "", " -()\u00a0\u3000")


def normalize_phone(raw: str) -> str:
    """Half-width, no spaces, hyphens or brackets, without a leading +86 / 0086 / 86."""
    text = to_halfwidth(raw or "").strip().translate(_SEPARATORS)
    for prefix in ("+86", "0086", "86"):
        if text.startswith(prefix) and len(text) == len(prefix) + 11:
            return text[len(prefix) :]
    return text


def is_mobile(value: str) -> bool:
    """Whether a normalised value is a mainland mobile number (1[3-9] and nine more digits)."""
    return value.isascii() and _MOBILE.match(value) is not None


def mask_phone(value: str) -> str:
    """First 3 and last 4 digits: 138****1234."""
    if len(value) < 8:
        return "*" * len(value)
    return value[:3] + "****" + value[-4:]
