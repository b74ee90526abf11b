"""Phone numbers are kept in E.164, exactly as given (full-width digits too), or refused with the reason."""

# ruff: noqa: RUF001 - full-width digits and signs are what these tests type

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError
from django.test import override_settings
from django.utils import translation

from cityos.core.accounts.phones import normalise_email_or_phone, normalise_phone, phone_digits


@override_settings(CITYOS_PHONE_REGION="US")
def test_a_national_number_is_kept_in_e164():
    assert normalise_phone("(415) 555-0100") == "+14155550100"


@pytest.mark.parametrize("raw", ["+1 415 555 0100 ext. 89", "+1 415 555 0100 x89", "415-555-0100;ext=89"])
def test_a_number_with_an_extension_is_refused_not_cut_short(raw):
    with pytest.raises(ValidationError) as refused:
        normalise_phone(raw)
    assert refused.value.code == "extension"


def test_the_refusal_is_said_in_the_readers_language():
    with translation.override("es"), pytest.raises(ValidationError) as refused:
        normalise_phone("+1 415 555 0100 ext. 89")
    assert "extensión" in refused.value.messages[0]


@pytest.mark.parametrize("raw", ["12", "not a number"])
def test_digits_that_are_no_number_are_refused(raw):
    with pytest.raises(ValidationError) as refused:
        normalise_phone(raw)
    assert refused.value.code == "invalid_phone"


# Chinese and Japanese input methods type full-width digits and signs; every phone field takes them.
@override_settings(CITYOS_PHONE_REGION="HK")
@pytest.mark.parametrize(
    "typed",
    [
        "６１２３４５６７",
        "６１２３　４５６７",
        "＋８５２ ６１２３－４５６７",
        "（＋８５２）６１２３４５６７",
        "+852 6123 4567",
    ],
)
def test_full_width_digits_and_signs_are_read_as_ascii(typed):
    assert normalise_phone(typed) == "+85261234567"


def test_a_full_width_extension_is_refused_like_an_ascii_one():
    with pytest.raises(ValidationError) as refused:
        normalise_phone("＋１ ４１５ ５５５ ０１００ ｘ８９")
    assert refused.value.code == "extension"


def test_the_digits_of_a_search_are_ascii_in_any_script():
    assert phone_digits("＋８５２ ６１２３") == "8526123"
    assert phone_digits("٤١٥-٥٥٥") == "415555"  # Arabic-Indic digits
    assert phone_digits("Rosa") == ""


@override_settings(CITYOS_PHONE_REGION="US")
@pytest.mark.parametrize(
    ("typed", "kept"),
    [
        ("Mei.Chen@Example.org", "mei.chen@example.org"),
        ("(415) 555-0100", "+14155550100"),
        ("＋９７１ ５０ １２３ ４５６７", "+971501234567"),
        ("  ", ""),
    ],
)
def test_a_field_that_takes_an_email_or_a_phone_keeps_either_normalised(typed, kept):
    assert normalise_email_or_phone(typed) == kept


@pytest.mark.parametrize(
    ("typed", "code", "message"),
    [
        ("12ab", "invalid_phone", "Enter a phone number, e.g. +1 415 555 0100, or an email address."),
        ("mei@", "invalid_email", "Enter a valid email address, e.g. name@example.org, or a phone number."),
        ("+1 415 555 0100 x89", "extension", "Give a phone number without an extension"),
    ],
)
def test_a_field_that_takes_an_email_or_a_phone_says_what_is_wrong(typed, code, message):
    with pytest.raises(ValidationError) as refused:
        normalise_email_or_phone(typed)
    assert refused.value.code == code and refused.value.messages[0].startswith(message)


def test_its_refusal_is_said_in_the_readers_language():
    with translation.override("zh-hant"), pytest.raises(ValidationError) as refused:
        normalise_email_or_phone("12ab")
    assert refused.value.messages == ["請輸入電話號碼（例如 +1 415 555 0100）或電子郵件。"]
