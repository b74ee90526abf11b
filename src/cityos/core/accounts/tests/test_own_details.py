# ruff: noqa: RUF001 - full-width digits and signs are what residents type
"""A person changes their own details: name and language at once, email and phone with their
password, and a new phone number only once the code texted to it is entered."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError

from cityos.core.accounts import services
from cityos.core.accounts.models import PhoneConfirmation, User
from cityos.core.accounts.services import change_own_details, confirm_phone
from cityos.core.accounts.tests.factories import TEST_PASSWORD, ResidentFactory, texted_code
from cityos.core.notifications.models import Message, MessageState, OptedOutNumber
from cityos.core.notifications.selectors import address_for
from cityos.core.notifications.services import deliver

pytestmark = pytest.mark.django_db

OLD = "+14155552671"
NEW = "+12125550142"


def errors_of(error: pytest.ExceptionInfo[ValidationError]) -> dict[str, list[str]]:
    return error.value.message_dict


def codes_of(error: pytest.ExceptionInfo[ValidationError], field: str) -> set[str | None]:
    return {e.code for e in error.value.error_dict[field]}


# --- Name, language, email --------------------------------------------------------------------


def test_name_and_language_change_at_once_without_the_password():
    resident = ResidentFactory(first_name="Alex", language="en")
    change = change_own_details(resident, first_name=" Ana ", last_name="Lee", language="es")
    resident.refresh_from_db()
    assert (resident.first_name, resident.last_name, resident.language) == ("Ana", "Lee", "es")
    assert set(change.changed) == {"first_name", "last_name", "language"}
    assert change.phone_pending is None and not change.code_sent


def test_a_new_email_is_saved_with_the_current_password():
    resident = ResidentFactory(email="old@example.org")
    change_own_details(resident, email=" New@Example.org ", current_password=TEST_PASSWORD)
    resident.refresh_from_db()
    assert resident.email == "new@example.org"


@pytest.mark.parametrize(("password", "code"), [("", "required"), ("not-my-password", "wrong_password")])
def test_a_new_email_without_the_right_password_is_refused_and_nothing_is_saved(password, code):
    resident = ResidentFactory(email="old@example.org", first_name="Alex")
    with pytest.raises(ValidationError) as error:
        change_own_details(resident, email="new@example.org", first_name="Ana", current_password=password)
    assert codes_of(error, "current_password") == {code}
    resident.refresh_from_db()
    assert (resident.email, resident.first_name) == ("old@example.org", "Alex")


def test_the_same_email_in_other_capitals_is_no_change_and_needs_no_password():
    resident = ResidentFactory(email="ana@example.org")
    assert change_own_details(resident, email="ANA@example.org", first_name="Ana").changed == ("first_name",)


def test_wrong_passwords_are_limited_so_an_open_session_cannot_guess_one():
    resident = ResidentFactory(email="old@example.org")
    for _attempt in range(services.PASSWORD_TRIES):
        with pytest.raises(ValidationError):
            change_own_details(resident, email="new@example.org", current_password="guess")
    with pytest.raises(ValidationError) as error:
        change_own_details(resident, email="new@example.org", current_password=TEST_PASSWORD)
    assert codes_of(error, "current_password") == {"throttled"}


def test_an_account_without_a_password_changes_its_email_on_its_session_alone():
    resident = ResidentFactory(email="old@example.org")
    resident.set_unusable_password()
    resident.save()
    change_own_details(resident, email="new@example.org")
    assert User.objects.get(pk=resident.pk).email == "new@example.org"


def test_an_email_another_account_uses_is_refused_without_saying_whose():
    ResidentFactory(email="taken@example.org", first_name="Bea")
    resident = ResidentFactory(email="mine@example.org")
    with pytest.raises(ValidationError) as error:
        change_own_details(resident, email="Taken@example.org", current_password=TEST_PASSWORD)
    assert errors_of(error)["email"] == ["Another account already uses this email address."]
    assert User.objects.get(pk=resident.pk).email == "mine@example.org"


def test_without_the_password_nobody_learns_whether_an_address_or_number_has_an_account():
    ResidentFactory(email="taken@example.org", phone=NEW)
    resident = ResidentFactory(email="mine@example.org", phone=OLD)
    for attempt in ({}, {"current_password": "not-my-password"}):
        with pytest.raises(ValidationError) as error:
            change_own_details(resident, email="taken@example.org", phone=NEW, **attempt)
        assert set(errors_of(error)) == {"current_password"}
    # A malformed address says nothing about anyone, so it is still pointed out.
    with pytest.raises(ValidationError) as error:
        change_own_details(resident, email="not an email")
    assert set(errors_of(error)) == {"email", "current_password"}


def test_errors_come_in_the_persons_language():
    from django.utils import translation

    ResidentFactory(email="taken@example.org")
    resident = ResidentFactory(email="mine@example.org")
    with translation.override("zh-hant"), pytest.raises(ValidationError) as error:
        change_own_details(resident, email="taken@example.org", current_password=TEST_PASSWORD)
    assert errors_of(error)["email"] == ["另一個帳號已使用此電子郵件地址。"]
    with translation.override("es"), pytest.raises(ValidationError) as error:
        change_own_details(resident, email="not an email", current_password=TEST_PASSWORD)
    assert "correo" in errors_of(error)["email"][0]


def test_a_bad_language_or_an_overlong_name_is_refused():
    resident = ResidentFactory()
    with pytest.raises(ValidationError) as error:
        change_own_details(resident, language="fr", first_name="x" * 151)
    assert set(errors_of(error)) == {"language", "first_name"}


# --- A new phone number -------------------------------------------------------------------


def test_a_new_phone_number_waits_for_its_code_and_the_old_one_stays_in_use():
    resident = ResidentFactory(phone=OLD)
    change = change_own_details(resident, phone="(212) 555-0142", current_password=TEST_PASSWORD)
    assert change.code_sent and change.phone_pending == NEW
    resident.refresh_from_db()
    assert resident.phone == OLD
    assert address_for(resident, "sms") == OLD  # texts still go to the number that was confirmed
    message = Message.objects.get(address=NEW, template_key=services.TEMPLATE_PHONE_CODE)
    assert message.channel == "sms" and message.state == MessageState.QUEUED
    assert services.pending_phone_change(resident).phone == NEW


def test_the_code_makes_the_new_number_the_accounts():
    resident = ResidentFactory(phone=OLD)
    change_own_details(resident, phone=NEW, current_password=TEST_PASSWORD)
    confirm_phone(resident, texted_code(NEW))
    resident.refresh_from_db()
    assert resident.phone == NEW and address_for(resident, "sms") == NEW
    assert not PhoneConfirmation.objects.filter(user=resident).exists()


def test_the_code_is_read_in_full_width_digits_and_with_spaces():
    resident = ResidentFactory()
    change_own_details(resident, phone=NEW, current_password=TEST_PASSWORD)
    code = texted_code(NEW)
    full_width = "".join(chr(ord(d) + 0xFEE0) for d in code)
    confirm_phone(resident, f" {full_width[:3]} {full_width[3:]} ")
    assert User.objects.get(pk=resident.pk).phone == NEW


def test_the_text_is_in_the_persons_language():
    resident = ResidentFactory(language="zh-hant")
    change_own_details(resident, phone=NEW, current_password=TEST_PASSWORD)
    message = Message.objects.get(address=NEW)
    assert message.language == "zh-hant" and "驗證碼" in message.body


def test_phone_numbers_are_read_as_people_type_them_full_width_digits_included():
    resident = ResidentFactory()
    change_own_details(resident, phone="＋１ ２１２ ５５５ ０１４２", current_password=TEST_PASSWORD)
    assert services.pending_phone_change(resident).phone == NEW


@pytest.mark.parametrize(
    ("typed", "code"),
    [("12", "invalid_phone"), ("+1 212 555 0142 ext. 89", "extension"), ("+1 212 555 01", "invalid_phone")],
)
def test_a_bad_phone_number_is_refused_and_nothing_is_texted(typed, code):
    resident = ResidentFactory(phone=OLD)
    with pytest.raises(ValidationError) as error:
        change_own_details(resident, phone=typed, current_password=TEST_PASSWORD)
    assert codes_of(error, "phone") == {code}
    assert not Message.objects.exists() and not PhoneConfirmation.objects.exists()


def test_a_phone_number_another_account_uses_is_refused_without_saying_whose():
    ResidentFactory(phone=NEW)
    resident = ResidentFactory(phone=OLD)
    with pytest.raises(ValidationError) as error:
        change_own_details(resident, phone=NEW, current_password=TEST_PASSWORD)
    assert errors_of(error)["phone"] == ["Another account already uses this phone number."]
    assert not Message.objects.exists()


def test_the_code_leaves_the_message_log_once_it_is_sent():
    resident = ResidentFactory(phone=OLD)
    change_own_details(resident, phone=NEW, current_password=TEST_PASSWORD)
    code = texted_code(NEW)
    message = Message.objects.get(address=NEW, template_key=services.TEMPLATE_PHONE_CODE)
    assert deliver(message.pk) == "sent"
    message.refresh_from_db()
    # Staff reading the log see that a code went out, to whom and when; never the code.
    assert message.state == MessageState.SENT and message.body == "" and code not in message.subject
    confirm_phone(resident, code)  # the resident's copy still works
    resident.refresh_from_db()
    assert resident.phone == NEW


def test_a_new_phone_number_needs_the_current_password():
    resident = ResidentFactory()
    with pytest.raises(ValidationError) as error:
        change_own_details(resident, phone=NEW)
    assert codes_of(error, "current_password") == {"required"}
    assert not Message.objects.exists()


def test_codes_are_also_counted_per_client_address_and_for_the_whole_city(settings):
    from cityos.core.audit.context import Actor, acting_as

    settings.CITYOS_PHONE_CODES_PER_ADDRESS_PER_HOUR = 2
    numbers = [f"+1212555{n:04d}" for n in range(140, 145)]
    with acting_as(Actor(ip="203.0.113.9", channel="web")):
        for number in numbers[:2]:  # two accounts made from one place
            change_own_details(ResidentFactory(), phone=number, current_password=TEST_PASSWORD)
        with pytest.raises(ValidationError) as error:
            change_own_details(ResidentFactory(), phone=numbers[2], current_password=TEST_PASSWORD)
        assert codes_of(error, "phone") == {"throttled"}
    settings.CITYOS_PHONE_CODES_PER_HOUR = 2  # two sent in the whole city so far
    with acting_as(Actor(ip="198.51.100.7", channel="web")), pytest.raises(ValidationError) as error:
        change_own_details(ResidentFactory(), phone=numbers[3], current_password=TEST_PASSWORD)
    assert codes_of(error, "phone") == {"throttled"}
    assert Message.objects.filter(template_key=services.TEMPLATE_PHONE_CODE).count() == 2


def test_a_wrong_code_counts_and_after_five_only_a_new_code_works():
    resident = ResidentFactory(phone=OLD)
    change_own_details(resident, phone=NEW, current_password=TEST_PASSWORD)
    code = texted_code(NEW)
    wrong = f"{(int(code) + 1) % 10**6:06d}"
    for _attempt in range(services.CODE_TRIES):
        with pytest.raises(ValidationError) as error:
            confirm_phone(resident, wrong)
        assert codes_of(error, "code") == {"wrong"}
    with pytest.raises(ValidationError) as error:
        confirm_phone(resident, code)
    assert codes_of(error, "code") == {"throttled"}
    assert User.objects.get(pk=resident.pk).phone == OLD

    services.resend_phone_code(resident)
    confirm_phone(resident, texted_code(NEW))
    assert User.objects.get(pk=resident.pk).phone == NEW


def test_an_expired_code_is_refused():
    resident = ResidentFactory(phone=OLD)
    change_own_details(resident, phone=NEW, current_password=TEST_PASSWORD)
    PhoneConfirmation.objects.update(sent_at=PhoneConfirmation.objects.get().sent_at - timedelta(minutes=21))
    with pytest.raises(ValidationError) as error:
        confirm_phone(resident, texted_code(NEW))
    assert codes_of(error, "code") == {"expired"}
    assert User.objects.get(pk=resident.pk).phone == OLD


def test_what_is_not_six_digits_is_refused_without_counting():
    resident = ResidentFactory()
    change_own_details(resident, phone=NEW, current_password=TEST_PASSWORD)
    with pytest.raises(ValidationError) as error:
        confirm_phone(resident, "12ab")
    assert codes_of(error, "code") == {"invalid"}
    assert PhoneConfirmation.objects.get().attempts == 0


def test_without_a_waiting_number_there_is_nothing_to_confirm():
    with pytest.raises(ValidationError) as error:
        confirm_phone(ResidentFactory(), "123456")
    assert codes_of(error, "code") == {"none"}


def test_the_waiting_number_given_again_texts_a_new_code_and_the_old_one_stops_working():
    resident = ResidentFactory()
    change_own_details(resident, phone=NEW, current_password=TEST_PASSWORD)
    first = texted_code(NEW)
    change_own_details(resident, phone=NEW, current_password=TEST_PASSWORD)
    assert Message.objects.filter(address=NEW).count() == 2
    second = texted_code(NEW)
    if first != second:
        with pytest.raises(ValidationError):
            confirm_phone(resident, first)
    confirm_phone(resident, second)
    assert User.objects.get(pk=resident.pk).phone == NEW


def test_the_accounts_own_number_given_again_withdraws_the_waiting_one():
    resident = ResidentFactory(phone=OLD)
    change_own_details(resident, phone=NEW, current_password=TEST_PASSWORD)
    change = change_own_details(resident, phone=OLD)  # no change to how they are reached: no password
    assert change.phone_pending is None and not PhoneConfirmation.objects.exists()


def test_a_code_for_one_person_does_not_confirm_anothers_number():
    ana, bea = ResidentFactory(), ResidentFactory()
    change_own_details(ana, phone=NEW, current_password=TEST_PASSWORD)
    change_own_details(bea, phone=OLD, current_password=TEST_PASSWORD)
    with pytest.raises(ValidationError):
        confirm_phone(bea, texted_code(NEW))


def test_a_number_taken_before_its_code_is_entered_is_refused_then():
    resident = ResidentFactory(phone=OLD)
    change_own_details(resident, phone=NEW, current_password=TEST_PASSWORD)
    ResidentFactory(phone=NEW)  # signed up with it in the meantime
    with pytest.raises(ValidationError) as error:
        confirm_phone(resident, texted_code(NEW))
    assert codes_of(error, "code") == {"taken"}
    assert User.objects.get(pk=resident.pk).phone == OLD


def test_a_number_that_texted_stop_is_refused_and_nothing_is_saved():
    OptedOutNumber.objects.create(phone=NEW)
    resident = ResidentFactory(first_name="Alex")
    with pytest.raises(ValidationError) as error:
        change_own_details(resident, phone=NEW, first_name="Ana", current_password=TEST_PASSWORD)
    assert codes_of(error, "phone") == {"opted_out"}
    resident.refresh_from_db()
    assert resident.first_name == "Alex" and not PhoneConfirmation.objects.exists()


def test_codes_are_limited_per_hour():
    resident = ResidentFactory()
    for _send in range(services.CODES_PER_HOUR):
        change_own_details(resident, phone=NEW, current_password=TEST_PASSWORD)
    with pytest.raises(ValidationError) as error:
        services.resend_phone_code(resident)
    assert codes_of(error, "phone") == {"throttled"}


def test_cancelling_keeps_the_number_the_account_has():
    resident = ResidentFactory(phone=OLD)
    change_own_details(resident, phone=NEW, current_password=TEST_PASSWORD)
    services.cancel_phone_change(resident)
    assert not PhoneConfirmation.objects.exists() and User.objects.get(pk=resident.pk).phone == OLD


# --- Keeping a way to be reached ----------------------------------------------------------


def test_the_phone_number_can_be_removed_while_an_email_remains():
    resident = ResidentFactory(email="ana@example.org", phone=OLD)
    change_own_details(resident, phone="", current_password=TEST_PASSWORD)
    assert User.objects.get(pk=resident.pk).phone is None


def test_a_resident_keeps_an_email_or_a_confirmed_phone():
    resident = ResidentFactory(email="ana@example.org", phone=None)
    with pytest.raises(ValidationError) as error:
        change_own_details(resident, email="", current_password=TEST_PASSWORD)
    assert codes_of(error, "email") == {"required"}
    with pytest.raises(ValidationError) as error:
        change_own_details(resident, email="", phone=NEW, current_password=TEST_PASSWORD)
    assert errors_of(error)["email"] == ["Keep your email address until your new phone number is confirmed."]
    assert User.objects.get(pk=resident.pk).email == "ana@example.org"


def test_the_change_is_in_the_accounts_history_with_who_made_it():
    from cityos.core.audit.context import Actor, acting_as
    from cityos.core.audit.models import AuditAction, AuditEntry

    resident = ResidentFactory(email="old@example.org")
    with acting_as(Actor(user_id=resident.pk, label="resident", channel="web")):
        change_own_details(resident, email="new@example.org", current_password=TEST_PASSWORD)
    entry = AuditEntry.objects.filter(
        object_type="accounts.User", object_id=str(resident.pk), action=AuditAction.UPDATE
    ).latest("id")
    assert entry.actor_id == resident.pk and entry.changes["email"] == "[personal data]"


def test_a_number_never_confirmed_is_forgotten_after_a_day_and_that_is_audited():
    from cityos.core.audit.models import AuditAction, AuditEntry

    resident = ResidentFactory()
    change_own_details(resident, phone=NEW, current_password=TEST_PASSWORD)
    assert services.forget_unconfirmed_phones() == 0  # a fresh one waits
    PhoneConfirmation.objects.update(sent_at=PhoneConfirmation.objects.get().sent_at - timedelta(days=1, minutes=1))
    assert services.forget_unconfirmed_phones() == 1
    assert not PhoneConfirmation.objects.exists()
    assert AuditEntry.objects.filter(action=AuditAction.RETENTION, object_type="accounts.PhoneConfirmation").exists()
