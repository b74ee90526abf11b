"""Phone numbers are kept in E.164, exactly as given, or refused with the reason."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError
from django.test import override_settings
from django.utils import translation

from cityos.core.accounts.phones import normalise_phone


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
