"""A photo of more pixels than Pillow agrees to open (a decompression bomb) is refused for its size,
in the sender's language, not as a file that is no photo."""

from __future__ import annotations

import io
import struct
import warnings
import zlib
from pathlib import Path

import pytest
from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from PIL import Image

from cityos.waste import photos
from cityos.waste.models import BinReport
from cityos.waste.tests.factories import BinFactory


def png_header_of(width: int, height: int) -> bytes:
    """A PNG that says it is ``width`` by ``height`` pixels: Pillow reads the size before any pixel,
    so a few bytes stand for a 20000 by 20000 photo without making one."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)  # 8-bit RGB
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(b"\x00")) + chunk(b"IEND", b"")


def test_pillow_itself_refuses_the_file_before_the_photo_check_sees_its_size():
    with pytest.raises(Image.DecompressionBombError):
        Image.open(io.BytesIO(png_header_of(20_000, 20_000)))


def test_an_image_pillow_calls_a_decompression_bomb_is_refused_as_too_many_pixels():
    with pytest.raises(ValidationError) as refused:
        photos.prepare(io.BytesIO(png_header_of(20_000, 20_000)))
    assert refused.value.code == "photo_too_many_pixels"
    assert refused.value.messages == ["The photo may have at most 16 megapixels."]


def test_pillows_warning_raised_as_an_error_is_refused_the_same_way():
    # Between once and twice Pillow's limit it only warns; a server that turns warnings into errors
    # must still say the photo is too large.
    between = int((Image.MAX_IMAGE_PIXELS or 0) ** 0.5) + 1_000
    with warnings.catch_warnings():
        warnings.simplefilter("error", Image.DecompressionBombWarning)
        with pytest.raises(ValidationError) as refused:
            photos.prepare(io.BytesIO(png_header_of(between, between)))
    assert refused.value.code == "photo_too_many_pixels"


@pytest.mark.django_db
def test_the_report_form_says_the_photo_is_too_large_not_that_it_is_no_photo(client, settings, tmp_path: Path):
    settings.PRIVATE_MEDIA_ROOT = tmp_path / "private"
    cache.clear()
    BinFactory(ref="B-0012")
    upload = SimpleUploadedFile("huge.png", png_header_of(20_000, 20_000), content_type="image/png")
    response = client.post(
        reverse("waste:report"),
        {"bin": "B-0012", "problem": "full", "photo": upload},
        headers={"accept-language": "es"},
    )
    html = response.content.decode()
    assert response.status_code == 400
    assert "JPEG, PNG, WebP o GIF" not in html.split('id="id_photo_error"', 1)[1].split("</ul>", 1)[0]
    assert 'id="id_photo_error"><li>La foto puede tener como máximo 16 megapíxeles.' in html
    assert not BinReport.objects.exists()
