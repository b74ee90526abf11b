"""Voice: the text becomes real speech audio (WAV, espeak-ng) and a call request."""

from __future__ import annotations

import json
import shutil
import wave

import pytest
from django.core.files.storage import default_storage

from cityos.conftest import need
from cityos.core.accounts.models import Language
from cityos.core.accounts.tests.factories import ResidentFactory
from cityos.core.notifications import services
from cityos.core.notifications.models import ChannelPreference, MessageState
from cityos.core.notifications.transports import PermanentError, synthesise_speech

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("immediate_tasks")]


@pytest.fixture
def espeak() -> str:
    path = shutil.which("espeak-ng") or ""
    need(bool(path), "espeak-ng (apt-get install espeak-ng)")
    return path


@pytest.fixture
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT


def seconds_of(path) -> float:
    with wave.open(str(path), "rb") as audio:
        assert audio.getnchannels() == 1 and audio.getsampwidth() == 2
        return audio.getnframes() / audio.getframerate()


@pytest.mark.usefixtures("espeak")
@pytest.mark.parametrize(
    ("language", "text"),
    [
        ("en", "Hello, the water will be off tomorrow."),
        ("zh-hant", "您好，明天將停水。"),  # noqa: RUF001
        ("es", "Hola, mañana se cortará el agua."),
    ],
)
def test_speech_is_made_in_each_language(language, text):
    path = synthesise_speech(text, language)
    try:
        assert 1.0 < seconds_of(path) < 30
    finally:
        path.unlink()


@pytest.mark.usefixtures("espeak")
def test_a_voice_message_stores_a_wav_and_asks_for_a_call(
    welcome, media, outbox_dir, django_capture_on_commit_callbacks
):
    person = ResidentFactory(first_name="Hao", email=None, phone="+14155550120", language=Language.TRADITIONAL_CHINESE)
    ChannelPreference.objects.create(user=person, channels=["voice", "sms"])

    with django_capture_on_commit_callbacks(execute=True):
        message = services.send_to_person(person, "welcome")
    message.refresh_from_db()

    assert (message.state, message.channel) == (MessageState.SENT, "voice")
    assert message.audio.name.startswith("notifications/voice/") and message.audio.name.endswith(".wav")
    assert seconds_of(default_storage.path(message.audio.name)) > 1.0
    call = json.loads((outbox_dir / "voice.jsonl").read_text().splitlines()[-1])
    assert call["to"] == "+14155550120" and call["language"] == "zh-hant"
    assert call["audio_url"].endswith(default_storage.url(message.audio.name))


def test_without_espeak_ng_a_voice_message_fails_with_a_clear_error(monkeypatch):
    monkeypatch.setattr(shutil, "which", lambda name: None)
    with pytest.raises(PermanentError, match="espeak-ng is not installed"):
        synthesise_speech("hello", "en")


@pytest.mark.usefixtures("espeak")
def test_retention_deletes_the_audio_file(welcome, media, outbox_dir, settings, django_capture_on_commit_callbacks):
    from datetime import timedelta

    from django.utils import timezone

    from cityos.core.notifications.models import Message

    person = ResidentFactory(email=None, phone="+14155550121")
    ChannelPreference.objects.create(user=person, channels=["voice"])
    with django_capture_on_commit_callbacks(execute=True):
        message = services.send_to_person(person, "welcome")
    message.refresh_from_db()
    audio = default_storage.path(message.audio.name)
    Message.objects.filter(pk=message.pk).update(created_at=timezone.now() - timedelta(days=400))

    assert services.apply_retention() == 1

    message.refresh_from_db()
    assert message.audio.name == "" and not default_storage.exists(audio)
