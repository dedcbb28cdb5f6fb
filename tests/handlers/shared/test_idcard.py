"""ID numbers (GB 11643-1999), phone numbers and dates as district lists write them."""

from __future__ import annotations

from datetime import date, datetime

import pytest
from lianfang.handlers.screening.importing import normalize_phone, parse_date
from lianfang.handlers.shared.idcard import (
    ERROR_BIRTH,
    ERROR_CHECKSUM,
    ERROR_FORMAT,
    SEX_FEMALE,
    SEX_MALE,
    IdNumberError,
    parse_id_number,
)

TODAY = date(2020, 1, 28)
WEIGHTS = [2 ** (17 - i) % 11 for i in range(17)]
"""The standard defines weight i as 2^(17-i) mod 11; the module's table must agree."""


def with_check_digit(first17: str) -> str:
    """Complete 17 digits with the check character computed here, independently of the module."""
    remainder = (12 - sum(int(d) * w for d, w in zip(first17, WEIGHTS, strict=True)) % 11) % 11
    return first17 + ("X" if remainder == 10 else str(remainder))


def test_weights_follow_the_standard() -> None:
    assert WEIGHTS == [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2]


@pytest.mark.parametrize(
    ("number", "birth", "sex"),
    [
        ("11010519491231002X", date(1949, 12, 31), SEX_FEMALE),  # the sample printed on the national ID card guide
        ("440524188001010014", date(1880, 1, 1), SEX_MALE),  # the example in GB 11643-1999 itself
    ],
)
def test_known_good_public_samples(number: str, birth: date, sex: str) -> None:
    info = parse_id_number(number, today=TODAY)
    assert (info.number, info.birth, info.sex) == (number, birth, sex)


def test_computed_numbers_pass_and_any_changed_digit_fails() -> None:
    for first17 in ("43010219900101123", "43010220000229456", "43012119851231007", "43010219700615001"):
        number = with_check_digit(first17)
        assert parse_id_number(number, today=TODAY).number == number
        wrong = first17 + ("0" if number[-1] != "0" else "1")
        with pytest.raises(IdNumberError) as error:
            parse_id_number(wrong, today=TODAY)
        assert error.value.reason == ERROR_CHECKSUM


def test_lower_case_x_spaces_and_dashes_are_tolerated() -> None:
    assert parse_id_number("110105 19491231 002x", today=TODAY).number == "11010519491231002X"
    assert parse_id_number("110105-19491231-002X", today=TODAY).number == "11010519491231002X"


def test_full_width_digits_and_x_are_normalized_before_validation() -> None:
    assert parse_id_number("１１０１０５１９４９１２３１００２ｘ", today=TODAY).number == "11010519491231002X"
    assert parse_id_number("１１０１０５　１９４９１２３１　００２Ｘ", today=TODAY).number == "11010519491231002X"
    with pytest.raises(IdNumberError) as error:
        parse_id_number("１１０１０５１９４９１２３１００２１", today=TODAY)
    assert error.value.reason == ERROR_CHECKSUM  # the real reason, not "format"


def test_age_on_a_day() -> None:
    info = parse_id_number(with_check_digit("43010219900128123"), today=TODAY)
    assert info.age_on(TODAY) == 30
    assert info.age_on(date(2020, 1, 27)) == 29


@pytest.mark.parametrize(
    ("first17", "reason"),
    [
        ("43010219900230123", ERROR_BIRTH),  # 30 February
        ("43010220200301123", ERROR_BIRTH),  # born after today
        ("43010219901301123", ERROR_BIRTH),  # month 13
    ],
)
def test_impossible_birth_dates_are_rejected(first17: str, reason: str) -> None:
    with pytest.raises(IdNumberError) as error:
        parse_id_number(with_check_digit(first17), today=TODAY)
    assert error.value.reason == reason


@pytest.mark.parametrize("text", ["", "1234", "4301021990010112345", "43010219900101123Y", "身份证"])
def test_malformed_numbers_are_rejected(text: str) -> None:
    with pytest.raises(IdNumberError) as error:
        parse_id_number(text, today=TODAY)
    assert error.value.reason == ERROR_FORMAT


def test_old_15_digit_numbers_are_upgraded_to_18() -> None:
    info = parse_id_number("430102700615001", today=TODAY)
    assert info.number == with_check_digit("43010219700615001")
    assert info.birth == date(1970, 6, 15) and info.sex == SEX_MALE
    with pytest.raises(IdNumberError):
        parse_id_number("430102701315001", today=TODAY)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("13812345678", "13812345678"),
        ("138 1234 5678", "13812345678"),
        ("138-1234-5678", "13812345678"),
        ("+86 138 1234 5678", "13812345678"),
        ("0731-84512345", "073184512345"),
        ("(0731)84512345", "073184512345"),
        (13812345678, "13812345678"),
        (13812345678.0, "13812345678"),
    ],
)
def test_phone_numbers(text: object, expected: str) -> None:
    assert normalize_phone(text) == expected


@pytest.mark.parametrize("text", ["12812345678", "1381234567", "138123456789", "电话", "110"])
def test_bad_phone_numbers(text: str) -> None:
    with pytest.raises(ValueError):
        normalize_phone(text)


@pytest.mark.parametrize(
    "value",
    [
        "2020-01-23",
        "2020/1/23",
        "2020.1.23",
        "20200123",
        "2020年1月23日",
        "2020 年 1 月 23 日",
        "1月23日",
        "1/23",
        "2020-01-23 00:00:00",
        "２０２０年１月２３日",
        datetime(2020, 1, 23, 0, 0),
        date(2020, 1, 23),
        43853,  # an Excel serial number: 2020-01-23
        43853.0,
    ],
)
def test_dates_as_text_and_as_excel_dates(value: object) -> None:
    assert parse_date(value, today=TODAY) == date(2020, 1, 23)


@pytest.mark.parametrize("value", ["2020-02-30", "明天", "23/1/2020x", "1899-01-01", "3020-01-01", 0, -5, "13月1日"])
def test_bad_dates(value: object) -> None:
    with pytest.raises(ValueError):
        parse_date(value, today=TODAY)
