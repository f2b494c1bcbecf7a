"""Crockford base32 codes that people type: no I, L, O or U; case, hyphens and spaces ignored."""

from __future__ import annotations

import secrets

from jxjd.common.ids import to_halfwidth

ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
# What people type for what they see: the letters Crockford leaves out read as digits.
_CONFUSABLE = str.maketrans({"I": "1", "L": "1", "O": "0"})
_SEPARATORS = str.maketrans("", "", " -_\u00a0\u3000")


# Each random byte becomes the character of its low five bits: 256 is a multiple of 32, so
# every character is equally likely (5 random bits per character, as base32 would give).
_FROM_BYTE = bytes(ord(ALPHABET[b % 32]) for b in range(256))


def random_code(length: int) -> str:
    """`length` random Crockford characters (5 bits each), ungrouped: one random byte per
    character, mapped in C (base64.b32encode is a Python loop before 3.13)."""
    return secrets.token_bytes(length).translate(_FROM_BYTE).decode("ascii")


def normalize(raw: str) -> str:
    """The canonical form of a typed code: half-width, upper case, no separators, I/L→1, O→0.

    Characters outside the alphabet (U, punctuation) are kept, so such input matches nothing.
    """
    text = to_halfwidth(raw or "").translate(_SEPARATORS).upper()
    return text.translate(_CONFUSABLE)


def group(code: str, size: int = 4) -> str:
    """A code as printed for typing: XXXX-XXXX-XXXX-XXXX."""
    return "-".join(code[i : i + size] for i in range(0, len(code), size))


def is_canonical(code: str, length: int) -> bool:
    """Whether a normalised code has the length and only alphabet characters."""
    return len(code) == length and all(c in ALPHABET for c in code)
