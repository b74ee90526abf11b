"""Sending to one person: the right text, language and channel, or suppressed; bad input refused."""

from __future__ import annotations

import pytest
from django.core import mail
from django.core.exceptions import ValidationError

from cityos.core.accounts.models import Language
from cityos.core.accounts.tests.factories import ResidentFactory
from cityos.core.notifications import services
from cityos.core.notifications.models import Channel, ChannelPreference, Message, MessageState, SuppressionReason
from cityos.core.notifications.tests.factories import TemplateFactory

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("immediate_tasks")]


def send(person, key="welcome", context=None, channels=None, *, capture):
    with capture(execute=True):
        message = services.send_to_person(person, key, context, channels)
    message.refresh_from_db()
    return message


def test_a_resident_gets_the_welcome_in_their_language_by_email(welcome, django_capture_on_commit_callbacks):
    rosa = ResidentFactory(first_name="Rosa", language=Language.SPANISH)

    message = send(rosa, capture=django_capture_on_commit_callbacks)

    assert message.state == MessageState.SENT
    assert (message.channel, message.language, message.address) == ("email", "es", rosa.email)
    assert message.attempts == 1 and message.sent_at is not None and message.provider_message_id
    assert len(mail.outbox) == 1
    email = mail.outbox[0]
    assert email.to == [rosa.email]
    assert email.subject == "Bienvenida, Rosa"
    assert "Hola Rosa" in email.body
    assert email.extra_headers["Content-Language"] == "es"


def test_traditional_chinese_is_labelled_zh_hant(welcome, django_capture_on_commit_callbacks):
    person = ResidentFactory(first_name="志明", language=Language.TRADITIONAL_CHINESE)
    message = send(person, capture=django_capture_on_commit_callbacks)
    assert message.language == "zh-hant"
    assert mail.outbox[0].extra_headers["Content-Language"] == "zh-Hant"
    assert mail.outbox[0].body == "志明您好，歡迎使用市政服務。"  # noqa: RUF001


def test_a_template_missing_in_the_residents_language_falls_back_to_english(django_capture_on_commit_callbacks):
    TemplateFactory(key="notice", subject="Notice", body="Hello {{ person.first_name }}: {{ details }}")
    person = ResidentFactory(first_name="Lucía", language=Language.SPANISH)

    message = send(person, "notice", {"details": "the library opens late."}, capture=django_capture_on_commit_callbacks)

    assert message.language == "en"
    assert message.body == "Hello Lucía: the library opens late."
    assert mail.outbox[0].extra_headers["Content-Language"] == "en"


def test_the_variant_for_the_channel_wins_over_the_one_for_any_channel(welcome, django_capture_on_commit_callbacks):
    TemplateFactory(channel=Channel.SMS, subject="", body="Hi {{ person.first_name }}! Reply STOP to opt out.")
    person = ResidentFactory(first_name="Tom", email=None, phone="+14155550101")

    message = send(person, capture=django_capture_on_commit_callbacks)

    assert message.channel == "sms" and message.address == "+14155550101"
    assert message.body == "Hi Tom! Reply STOP to opt out."


def test_the_most_preferred_reachable_channel_is_used(welcome, django_capture_on_commit_callbacks, outbox_dir):
    person = ResidentFactory(phone="+14155550102")
    ChannelPreference.objects.create(user=person, channels=["whatsapp", "email"])
    message = send(person, capture=django_capture_on_commit_callbacks)
    assert message.channel == "whatsapp" and message.state == MessageState.SENT
    assert (outbox_dir / "whatsapp.jsonl").exists()


def test_an_opted_out_resident_is_suppressed_and_nothing_is_sent(welcome, django_capture_on_commit_callbacks):
    person = ResidentFactory()
    ChannelPreference.objects.create(user=person, channels=["email"], opted_out=True)

    message = send(person, capture=django_capture_on_commit_callbacks)

    assert message.state == MessageState.SUPPRESSED
    assert message.suppressed_reason == SuppressionReason.OPTED_OUT
    assert message.attempts == 0 and message.body == "" and message.address == ""
    assert mail.outbox == []


def test_a_channel_the_resident_turned_off_is_suppressed(welcome, django_capture_on_commit_callbacks):
    person = ResidentFactory(phone="+14155550103")
    ChannelPreference.objects.create(user=person, channels=["email"])

    message = send(person, channels=["sms"], capture=django_capture_on_commit_callbacks)

    assert message.state == MessageState.SUPPRESSED
    assert (message.channel, message.suppressed_reason) == ("sms", SuppressionReason.CHANNEL_OFF)
    assert mail.outbox == []


def test_a_person_with_no_address_for_their_channels_is_suppressed(welcome, django_capture_on_commit_callbacks):
    person = ResidentFactory(phone="+14155550104")
    ChannelPreference.objects.create(user=person, channels=["sms"])
    person.phone = None
    person.save()
    message = send(person, capture=django_capture_on_commit_callbacks)
    assert (message.state, message.suppressed_reason) == (MessageState.SUPPRESSED, SuppressionReason.NO_ADDRESS)


def test_a_message_to_a_bare_address(welcome, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        message = services.send_to_address("visitor@example.org", "email", "welcome", language="zh-hant")
    message.refresh_from_db()
    assert message.recipient is None and message.state == MessageState.SENT
    assert message.body.endswith("歡迎使用市政服務。")


# --- Rejected input: nothing is saved, and the error names the field ------------------------


def assert_rejected(field, call, *args, **kwargs):
    before = Message.objects.count()
    with pytest.raises(ValidationError) as caught:
        call(*args, **kwargs)
    assert field in caught.value.message_dict, caught.value.message_dict
    assert Message.objects.count() == before
    return caught.value.message_dict[field][0]


def test_an_unknown_template_is_rejected(welcome):
    text = assert_rejected("template_key", services.send_to_person, ResidentFactory(), "no-such-template")
    assert "no-such-template" in text


def test_an_unknown_channel_is_rejected(welcome):
    text = assert_rejected("channels", services.send_to_person, ResidentFactory(), "welcome", None, ["fax"])
    assert "fax" in text


def test_a_template_with_neither_the_language_nor_english_is_rejected():
    TemplateFactory(key="aviso", language=Language.SPANISH)
    assert_rejected("template_key", services.send_to_person, ResidentFactory(language="zh-hant"), "aviso")


def test_an_sms_text_too_long_for_an_sms_is_rejected(settings):
    settings.CITYOS_SMS_MAX_PARTS = 2
    TemplateFactory(key="long", body="{{ details }}")
    person = ResidentFactory(email=None, phone="+14155550105")
    text = assert_rejected("template_key", services.send_to_person, person, "long", {"details": "x" * 400})
    assert "SMS" in text and "400 characters" in text


def test_chinese_sms_counts_in_ucs2_parts(settings):
    from cityos.core.notifications.rendering import sms_length

    assert sms_length("a" * 160).parts == 1
    assert sms_length("a" * 161).parts == 2
    assert sms_length("停" * 70) == sms_length("停" * 70).__class__(characters=70, parts=1, unicode=True)
    assert sms_length("停" * 71).parts == 2


def test_a_bare_address_must_be_valid(welcome):
    assert_rejected("address", services.send_to_address, "not-an-email", "email", "welcome")
    assert_rejected("address", services.send_to_address, "12", "sms", "welcome")
    assert_rejected("language", services.send_to_address, "a@example.org", "email", "welcome", language="fr")
