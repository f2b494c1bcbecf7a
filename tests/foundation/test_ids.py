"""GB 11643 ID numbers and GB 32100 credit codes, with the test vectors of DOMAIN.md."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from jxjd.common.ids import (
    credit_check_char,
    id_check_char,
    id_number_problem,
    is_valid_credit_code,
    is_valid_id_number,
    mask_id_number,
    normalize_credit_code,
    normalize_id_number,
)
from jxjd.common.time import local_today


def _with_check(first17: str) -> str:
    """An ID number with a correct check digit, so only the other rule under test can fail."""
    return first17 + id_check_char(first17)


@pytest.mark.parametrize(
    "value",
    [
        "11010519491231002X",
        "360426199101010071",
        "120103198806018241",
        "430104199003070015",
        "430104199003070023",
    ],
)
def test_domain_vectors_are_valid_id_numbers(value):
    assert id_number_problem(value) is None
    assert is_valid_id_number(value)


@pytest.mark.parametrize("value", ["360426199101010072", "110101202311012171"])
def test_wrong_check_digit_is_refused(value):
    assert not is_valid_id_number(value)
    assert "校验位" in id_number_problem(value)


def test_lowercase_x_is_normalised_to_uppercase():
    assert normalize_id_number("11010519491231002x") == "11010519491231002X"
    assert is_valid_id_number("11010519491231002x")


def test_full_width_digits_and_spaces_are_normalised():
    raw = " ４３０１０４ １９９００３０７００１５ "
    assert normalize_id_number(raw) == "430104199003070015"
    assert is_valid_id_number(raw)


def test_full_width_lowercase_x_is_normalised():
    assert normalize_id_number("１１０１０５１９４９１２３１００２ｘ") == "11010519491231002X"


def test_unknown_province_code_is_refused():
    value = _with_check("99010419900307001")
    assert "省级行政区划" in id_number_problem(value)
    assert not is_valid_id_number(value)


@pytest.mark.parametrize("province", ["10", "16", "20", "47", "55", "70", "72", "83"])
def test_codes_between_provinces_are_refused(province):
    assert not is_valid_id_number(_with_check(province + "010419900307001"))


@pytest.mark.parametrize("province", ["11", "15", "43", "46", "54", "65", "71", "81", "82"])
def test_every_listed_province_code_is_accepted(province):
    assert is_valid_id_number(_with_check(province + "010419900307001"))


@pytest.mark.parametrize("birth", ["19900230", "19901301", "19900000", "20230229"])
def test_impossible_birth_date_is_refused(birth):
    value = _with_check(f"430104{birth}001")
    assert "出生日期不是有效日期" in id_number_problem(value)


def test_leap_day_birth_date_is_accepted():
    assert is_valid_id_number(_with_check("43010420000229001"))


def test_future_birth_date_is_refused():
    # "Today" is Beijing's date (the service's clock), not the machine's UTC date: from 16:00
    # UTC they differ, and a birth date of UTC-tomorrow is Beijing-today, which is valid.
    tomorrow = local_today() + timedelta(days=1)
    value = _with_check(f"430104{tomorrow:%Y%m%d}001")
    assert "超出合理范围" in id_number_problem(value)


def test_birth_date_today_is_accepted_and_tomorrow_is_not():
    value = _with_check("43010420260301001")
    assert id_number_problem(value, today=date(2026, 3, 1)) is None
    assert id_number_problem(value, today=date(2026, 2, 28)) is not None


def test_birth_before_1900_is_refused():
    assert "超出合理范围" in id_number_problem(_with_check("43010418991231001"))


@pytest.mark.parametrize("value", ["43010419900307001", "4301041990030700155", "", "4301"])
def test_wrong_length_is_refused(value):
    assert "18位" in id_number_problem(value)
    assert not is_valid_id_number(value)


@pytest.mark.parametrize(
    "value", ["43010419900307A015", "430104199003070Y15", "43010419900307001Y"]
)
def test_letters_other_than_a_final_x_are_refused(value):
    assert not is_valid_id_number(value)


def test_non_ascii_digits_are_refused():
    # Python's isdigit() also accepts other scripts' digits, which are not ID numbers.
    devanagari = "४३०१०४१९९००३०७००१"  # 43010419900307001
    assert not is_valid_id_number(_with_check(devanagari))


def test_masking_keeps_first_six_and_last_four():
    assert mask_id_number("430104199003070015") == "430104********0015"
    assert mask_id_number("11010519491231002X") == "110105********002X"


def test_masking_a_short_value_hides_everything():
    assert mask_id_number("123") == "***"


@pytest.mark.parametrize(
    "value", ["91110108551385082Q", "11220000013544541J", "11100000000013338W"]
)
def test_domain_vectors_are_valid_credit_codes(value):
    assert is_valid_credit_code(value)
    assert credit_check_char(value[:17]) == value[17]


def test_wrong_credit_check_character_is_refused():
    assert not is_valid_credit_code("91110108551385082A")


@pytest.mark.parametrize("letter", ["I", "O", "S", "V", "Z"])
def test_letters_outside_the_gb32100_alphabet_are_refused(letter):
    assert not is_valid_credit_code("9111010855138508" + letter + "Q")


@pytest.mark.parametrize("value", ["91110108551385082", "91110108551385082QQ", ""])
def test_credit_code_of_wrong_length_is_refused(value):
    assert not is_valid_credit_code(value)


def test_credit_code_is_normalised_to_half_width_upper_case():
    assert normalize_credit_code(" ９１１１０１０８５５１３８５０８２ｑ ") == "91110108551385082Q"
    assert is_valid_credit_code(normalize_credit_code("91110108551385082q"))


def test_comparable_name_ignores_width_spaces_and_case():
    from jxjd.common.ids import comparable_name

    assert comparable_name("湖南某某（长沙）科技 有限公司") == comparable_name(
        "湖南某某(长沙)科技有限公司"
    )
    assert comparable_name("ＡＢＣ公司") == comparable_name("abc公司")
    assert comparable_name("甲公司") != comparable_name("乙公司")
