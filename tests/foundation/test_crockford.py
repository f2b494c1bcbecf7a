"""Crockford base32 codes and mainland mobile numbers (jxjd.common)."""

from __future__ import annotations

import pytest

from jxjd.common import crockford
from jxjd.common.phones import is_mobile, mask_phone, normalize_phone


def test_random_codes_use_only_the_32_unambiguous_characters():
    codes = [crockford.random_code(16) for _ in range(200)]
    assert len(set(codes)) == 200
    assert set("".join(codes)) <= set(crockford.ALPHABET)
    assert not set("ILOU") & set("".join(codes)) and len(crockford.ALPHABET) == 32


@pytest.mark.parametrize("length", [1, 7, 8, 26])
def test_random_codes_have_the_length_and_every_character_turns_up_in_every_place(length):
    codes = [crockford.random_code(length) for _ in range(2000)]
    assert {len(code) for code in codes} == {length}
    for place in range(length):  # 2,000 draws of 32 characters: each seen (miss p < 1e-25)
        assert {code[place] for code in codes} == set(crockford.ALPHABET)


@pytest.mark.parametrize(
    ("typed", "canonical"),
    [
        ("abcd-efgh", "ABCDEFGH"),
        (" ab cd\u3000ef ", "ABCDEF"),
        ("O0-o0", "0000"),
        ("I1-l1-L", "11111"),
        ("ＡＢ－１２", "AB12"),  # full-width, as a Chinese keyboard types it
        ("a_b", "AB"),
    ],
)
def test_typed_codes_normalise(typed, canonical):
    assert crockford.normalize(typed) == canonical


def test_u_and_punctuation_are_kept_so_they_match_nothing():
    assert not crockford.is_canonical(crockford.normalize("ABCU"), 4)
    assert not crockford.is_canonical(crockford.normalize("AB*C"), 4)
    assert crockford.is_canonical(crockford.normalize("ab-c1"), 4)


def test_grouping():
    assert crockford.group("ABCDEFGHJKMNPQRS") == "ABCD-EFGH-JKMN-PQRS"


@pytest.mark.parametrize(
    ("raw", "normalised", "valid"),
    [
        ("13812341234", "13812341234", True),
        ("138-1234-1234", "13812341234", True),
        ("+86 138 1234 1234", "13812341234", True),
        ("008613812341234", "13812341234", True),
        ("１３８１２３４１２３４", "13812341234", True),
        ("12812341234", "12812341234", False),
        ("1381234123", "1381234123", False),
        ("0731-88010001", "073188010001", False),
    ],
)
def test_mobile_numbers(raw, normalised, valid):
    assert normalize_phone(raw) == normalised
    assert is_mobile(normalised) is valid


def test_mask_phone():
    assert mask_phone("13812341234") == "138****1234"
