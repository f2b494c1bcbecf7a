"""The QR text stays under 800 characters whatever the lengths of the title, base and name."""

from __future__ import annotations

import pytest

from jxjd.certificates.services import MAX_QR_TEXT, _sign_fitting
from jxjd.certificates.signing import jwks_from_document, verify_token
from tests.certificates.support import ACTIVE_KEY_IAT, new_signing_keys

PREFIX = len("https://jxjd.hrss.hunan.gov.cn/v/") + 22 + len("?t=")


@pytest.fixture(autouse=True)
def _clean_tables():
    """Pure tests: no database to clean."""
    yield


def payload(title: str, base: str, name: str) -> dict:
    return {
        "sn": "A" * 22,
        "name": name,
        "id_masked": "430104********0015",
        "hours": 24,
        "title": title,
        "base": base,
        "category": "professional",
        "start_date": "2026-01-01",
        "end_date": "2026-01-02",
        "iat": ACTIVE_KEY_IAT,
    }


@pytest.mark.parametrize(
    ("title", "base", "name"),
    [
        ("人工智能应用高级研修班" * 8, "湖南某某职业技术学院继续教育学院", "张三"),
        ("研修班", "湖南省某某集团有限公司专业技术人员继续教育基地" * 4, "张三"),
        ("研修班", "湖南某学院", "阿卜杜热合曼·买买提" * 6),
        ("人工智能" * 20, "湖南省某某" * 20, "欧阳" * 15),
    ],
    ids=["long-title", "long-base", "long-name", "all-long"],
)
def test_long_fields_shrink_until_the_qr_text_fits_and_the_token_still_verifies(
    tmp_path, title, base, name
):
    keys = new_signing_keys(tmp_path)
    signed, token = _sign_fitting(keys.active(), payload(title, base, name), PREFIX)
    assert PREFIX + len(token) < MAX_QR_TEXT
    check = verify_token(token, jwks_from_document(keys.jwks()))
    assert check.payload == signed
    for field, original in (("title", title), ("base", base), ("name", name)):
        kept = signed[field].rstrip("…")
        assert original.startswith(kept)
        assert kept == original or len(kept) >= 6


def test_short_fields_are_signed_unchanged(tmp_path):
    original = payload("研修班", "湖南某学院", "张三")
    signed, _ = _sign_fitting(new_signing_keys(tmp_path).active(), original, PREFIX)
    assert signed == original
