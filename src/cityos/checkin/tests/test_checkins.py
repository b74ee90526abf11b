"""Checking in and out: signed-in or anonymous, each bad input refused with nothing saved; SMS."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from cityos.checkin import services
from cityos.checkin.models import CheckIn
from cityos.checkin.tests.factories import VenueFactory
from cityos.core.accounts.models import Language
from cityos.core.accounts.tests.factories import ResidentFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def venue():
    return VenueFactory(name="Harbour Market")


@pytest.fixture
def code(venue):
    return services.venue_code(venue)


def refused(**kwargs) -> ValidationError:
    before = CheckIn.objects.count()
    with pytest.raises(ValidationError) as error:
        services.check_in(**kwargs)
    assert CheckIn.objects.count() == before, "nothing is saved when a check-in is refused"
    return error.value


def test_a_signed_in_resident_checks_in_with_one_tap(resident, code, venue):
    made = services.check_in(code, person=resident)
    assert made.venue == venue
    assert made.person == resident
    assert made.contact_encrypted == ""
    assert abs(made.checked_in_at - timezone.now()) < timedelta(seconds=5)


def test_an_anonymous_contact_is_stored_encrypted_and_only_the_service_reads_it(code):
    made = services.check_in(code, contact="+1 (415) 555-0142", language="es")
    stored = CheckIn.objects.get(pk=made.pk)
    assert "4155550142" not in stored.contact_encrypted
    assert services.decrypt_contact(stored.contact_encrypted) == "+14155550142"
    assert stored.contact_channel == "sms"
    assert stored.language == "es"
    email = services.check_in(code, contact="Ana@Example.org")
    assert services.decrypt_contact(email.contact_encrypted) == "ana@example.org"
    assert email.contact_channel == "email"


def test_a_forged_poster_code_is_refused(code):
    error = refused(code=code[:-2] + "xx", contact="ana@example.org")
    assert "code" in error.message_dict
    assert services.error_codes(error) == {"forged"}


def test_a_replaced_poster_is_refused(resident, venue, code):
    venue.owner = resident
    venue.save()
    services.reissue_poster(venue, resident)
    error = refused(code=code, contact="ana@example.org")
    assert services.error_codes(error) == {"revoked"}
    assert "replaced" in error.message_dict["code"][0]


def test_a_check_in_time_in_the_future_is_refused(code):
    error = refused(code=code, contact="ana@example.org", at=timezone.now() + timedelta(hours=1))
    assert services.error_codes(error) == {"future"}
    assert "in the future" in error.message_dict["checked_in_at"][0]


def test_a_little_clock_drift_is_accepted(code):
    assert services.check_in(code, contact="ana@example.org", at=timezone.now() + timedelta(seconds=30))


def test_a_time_older_than_retention_is_refused(code):
    error = refused(code=code, contact="ana@example.org", at=timezone.now() - timedelta(days=22))
    assert services.error_codes(error) == {"too_old"}


@pytest.mark.parametrize(("contact", "code_"), [("", "required"), ("not a phone", "invalid"), ("a@b", "invalid")])
def test_an_anonymous_check_in_needs_a_usable_contact(code, contact, code_):
    error = refused(code=code, contact=contact)
    assert "contact" in error.message_dict
    assert services.error_codes(error) == {code_}


@pytest.mark.parametrize("contact", ["+1 415 555 0100 ext. 89", "+1 415 555 0100 x89", "415-555-0100 extension 89"])
def test_a_phone_number_with_an_extension_is_refused_as_texts_cannot_reach_it(code, contact):
    error = refused(code=code, contact=contact)
    assert services.error_codes(error) == {"extension"}
    assert "without an extension" in error.message_dict["contact"][0]


def test_checking_in_twice_within_half_an_hour_says_you_are_already_checked_in(resident, code):
    services.check_in(code, person=resident)
    error = refused(code=code, person=resident)
    assert services.error_codes(error) == {"already_checked_in"}
    assert "already checked in at Harbour Market" in error.messages[0]


def test_an_anonymous_double_check_in_is_recognised_without_decrypting(code):
    services.check_in(code, contact="+14155550142")
    error = refused(code=code, contact="+1 415 555 0142")
    assert services.error_codes(error) == {"already_checked_in"}


def test_a_new_check_in_is_fine_after_checking_out_or_after_the_window(resident, code):
    first = services.check_in(code, person=resident, at=timezone.now() - timedelta(hours=2))
    assert services.check_in(code, person=resident)  # two hours later
    services.check_out(services.checkout_token(CheckIn.objects.latest("checked_in_at")))
    assert services.check_in(code, person=resident)
    assert first.pk


def test_the_same_person_checks_in_at_two_venues(resident, code):
    services.check_in(code, person=resident)
    assert services.check_in(services.venue_code(VenueFactory()), person=resident)


def test_checking_out_records_the_time_once(code):
    made = services.check_in(code, contact="ana@example.org", at=timezone.now() - timedelta(minutes=40))
    token = services.checkout_token(made)
    left = services.check_out(token)
    assert left.checked_out_at is not None
    assert services.check_out(token).checked_out_at == left.checked_out_at


def test_a_resident_checks_out_of_their_own_visit_and_only_their_own(resident, code):
    mine = services.check_in(code, person=resident, at=timezone.now() - timedelta(minutes=40))
    left = services.check_out_mine(resident, mine.pk)
    assert left.checked_out_at is not None
    assert services.check_out_mine(resident, mine.pk).checked_out_at == left.checked_out_at  # the first time kept
    theirs = services.check_in(code, person=ResidentFactory())
    with pytest.raises(ValidationError) as error:
        services.check_out_mine(resident, theirs.pk)
    assert services.error_codes(error.value) == {"not_found"}
    assert CheckIn.objects.get(pk=theirs.pk).checked_out_at is None


@pytest.mark.parametrize("token", ["", "12", "12:forged"])
def test_a_bad_check_out_token_is_refused(token):
    with pytest.raises(ValidationError) as error:
        services.check_out(token)
    assert "token" in error.value.message_dict


def test_checking_out_before_checking_in_is_refused(code):
    made = services.check_in(code, contact="ana@example.org")
    with pytest.raises(ValidationError) as error:
        services.check_out(services.checkout_token(made), at=made.checked_in_at - timedelta(minutes=5))
    assert services.error_codes(error.value) == {"before_check_in"}
    with pytest.raises(ValidationError) as error:
        services.check_out(services.checkout_token(made), at=timezone.now() + timedelta(hours=2))
    assert services.error_codes(error.value) == {"future"}


# --- SMS ---------------------------------------------------------------------------------


def test_texting_the_venue_code_checks_in_the_account_with_that_phone(venue):
    person = ResidentFactory(phone="+14155550111", email=None, language=Language.TRADITIONAL_CHINESE)
    outcome = services.sms_check_in("+1 415 555 0111", f"in {venue.short_code.lower()}")
    assert outcome.action == "checked_in"
    assert outcome.language == "zh-hant"
    assert CheckIn.objects.get(pk=outcome.check_in_id).person == person


def test_a_stranger_texting_the_code_is_checked_in_anonymously_by_number(venue):
    outcome = services.sms_check_in("+14155550999", venue.short_code)
    made = CheckIn.objects.get(pk=outcome.check_in_id)
    assert made.person is None
    assert made.source == "sms"
    assert services.decrypt_contact(made.contact_encrypted) == "+14155550999"
    assert services.sms_check_in("+14155550999", venue.short_code).action == "already_checked_in"


def test_a_stranger_is_answered_in_the_language_of_the_keyword_they_texted(venue):
    spanish = services.sms_check_in("+14155550998", f"ENTRAR {venue.short_code}")
    chinese = services.sms_check_in("+14155550997", f"登記{venue.short_code}")  # no space after Chinese
    assert (spanish.action, spanish.language) == ("checked_in", "es")
    assert (chinese.action, chinese.language) == ("checked_in", "zh-hant")
    assert CheckIn.objects.get(pk=chinese.check_in_id).language == "zh-hant"  # and so would an exposure text be


def test_a_code_typed_as_read_off_the_poster_is_found(venue):
    spaced = f"{venue.short_code[:3]} {venue.short_code[3:].lower()}."
    assert services.sms_check_in("+14155550996", spaced).action == "checked_in"


def test_an_unknown_code_or_sender_checks_nobody_in(venue):
    assert services.sms_check_in("+14155550999", "ZZZZZZ").action == "unknown_code"
    assert services.sms_check_in("+14155550999", "hello there friend").action == "unknown_code"
    assert services.sms_check_in("not-a-phone", venue.short_code).action == "invalid_sender"
    venue.is_active = False
    venue.save()
    assert services.sms_check_in("+14155550999", venue.short_code).action == "unknown_code"
    assert not CheckIn.objects.exists()


def test_the_stored_check_in_is_what_the_service_returned(resident, code):
    """The insert is one statement with the repeat test; what it stored must read back the same."""
    at = timezone.now() - timedelta(minutes=5)
    made = services.check_in(code, person=resident, at=at)
    stored = CheckIn.objects.get(pk=made.pk)
    assert (stored.person, stored.venue, stored.checked_in_at, stored.language) == (
        resident,
        made.venue,
        at,
        made.language,
    )
    anonymous = services.check_in(code, contact="+14155550142", language="es")
    stored = CheckIn.objects.get(pk=anonymous.pk)
    assert stored.contact_digest == services.contact_digest("+14155550142") != ""
    assert services.decrypt_contact(stored.contact_encrypted) == "+14155550142"
    assert (stored.language, stored.source, stored.checked_out_at) == ("es", "web", None)
