"""Identity numbers: GB 11643 citizen ID numbers and GB 32100 unified social credit codes."""

from __future__ import annotations

import unicodedata
from datetime import date
from operator import mul

from jxjd.common.time import local_today

ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
ID_CHECK_CHARS = "10X98765432"
PROVINCE_CODES = frozenset(
    [11, 12, 13, 14, 15, 21, 22, 23, 31, 32, 33, 34, 35, 36, 37]
    + [41, 42, 43, 44, 45, 46, 50, 51, 52, 53, 54, 61, 62, 63, 64, 65, 71, 81, 82]
)

CREDIT_ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
CREDIT_WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)


def to_halfwidth(text: str) -> str:
    """Full-width digits, letters and spaces to their half-width forms (NFKC does exactly that)."""
    return unicodedata.normalize("NFKC", text)


def comparable_name(text: str | None) -> str:
    """A person's or unit's name as compared: half-width, no spaces, case folded."""
    return "".join(to_halfwidth(text or "").split()).casefold()


def normalize_id_number(raw: str) -> str:
    """Trim, remove inner spaces, full-width to half-width, lowercase x to X."""
    text = to_halfwidth(raw).strip().replace(" ", "")
    return text.upper()


def id_check_char(first17: str) -> str:
    """The GB 11643 check character for the first 17 digits."""
    if len(first17) != len(ID_WEIGHTS):
        raise ValueError("the check character needs exactly 17 digits")
    return ID_CHECK_CHARS[sum(map(mul, map(int, first17), ID_WEIGHTS)) % 11]


def id_number_problem(value: str, *, today: date | None = None) -> str | None:
    """Why `value` (already normalised) is not a valid ID number, in Chinese; None when it is."""
    if len(value) != 18:
        return f"身份证号应为18位，实际为{len(value)}位"
    # isascii(): str.isdigit() also accepts other scripts' digits (e.g. "४"), which int() reads.
    if (
        not value.isascii()
        or not value[:17].isdigit()
        or not (value[17].isdigit() or value[17] == "X")
    ):
        return "身份证号前17位须为数字，最后一位为数字或X"
    if int(value[:2]) not in PROVINCE_CODES:
        return "身份证号前两位不是有效的省级行政区划代码"
    try:
        born = date(int(value[6:10]), int(value[10:12]), int(value[12:14]))
    except ValueError:
        return "身份证号中的出生日期不是有效日期"
    if born < date(1900, 1, 1) or born > (today or local_today()):
        return "身份证号中的出生日期超出合理范围"
    if id_check_char(value[:17]) != value[17]:
        return "身份证号校验位不正确，请核对"
    return None


def is_valid_id_number(value: str) -> bool:
    """True when `value` is a valid GB 11643 number (after normalisation)."""
    return id_number_problem(normalize_id_number(value)) is None


def mask_id_number(value: str) -> str:
    """First 6, eight '*', last 4: 430104********0015."""
    if len(value) < 10:
        return "*" * len(value)
    return value[:6] + "*" * 8 + value[-4:]


def credit_check_char(first17: str) -> str:
    """The GB 32100 check character for the first 17 characters."""
    total = sum(CREDIT_ALPHABET.index(c) * w for c, w in zip(first17, CREDIT_WEIGHTS, strict=True))
    c = 31 - total % 31
    return CREDIT_ALPHABET[0 if c == 31 else c]


def normalize_credit_code(raw: str) -> str:
    """Trim, half-width, upper case."""
    return to_halfwidth(raw).strip().replace(" ", "").upper()


def is_valid_credit_code(value: str) -> bool:
    """True when `value` is an 18-character GB 32100 code with a correct check character."""
    if len(value) != 18 or any(c not in CREDIT_ALPHABET for c in value):
        return False
    return credit_check_char(value[:17]) == value[17]
