"""Public media (voice clips a phone gateway fetches) is served by the app itself, also without debug."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from django.test import Client, override_settings


@pytest.fixture
def var_dir(tmp_path: Path) -> Iterator[Path]:
    (tmp_path / "media" / "epi" / "voice").mkdir(parents=True)
    (tmp_path / "media" / "epi" / "voice" / "clip.wav").write_bytes(b"RIFF\x24\x00\x00\x00WAVEfmt ")
    (tmp_path / "private").mkdir()
    (tmp_path / "private" / "photo.jpg").write_bytes(b"a resident's photo")
    with override_settings(DEBUG=False, MEDIA_ROOT=tmp_path / "media", PRIVATE_MEDIA_ROOT=tmp_path / "private"):
        yield tmp_path


def test_a_voice_clip_is_served_without_debug(client: Client, var_dir: Path) -> None:
    response = client.get("/media/epi/voice/clip.wav")

    assert response.status_code == 200
    assert response["Content-Type"].startswith("audio/")
    assert b"".join(response.streaming_content).startswith(b"RIFF")  # type: ignore[attr-defined]


def test_a_missing_clip_is_not_found(client: Client, var_dir: Path) -> None:
    assert client.get("/media/epi/voice/missing.wav").status_code == 404


def test_private_files_are_never_reached_through_media(var_dir: Path) -> None:
    client = Client(raise_request_exception=False)

    for path in ("/media/../private/photo.jpg", "/media/%2e%2e/private/photo.jpg", "/media//etc/passwd"):
        response = client.get(path)
        assert response.status_code in (400, 404), path
