"""A resident's photo of a bin, made safe to keep: re-encoded by Pillow as a JPEG at most
``MAX_SIDE`` pixels wide, turned upright, with every piece of metadata (the phone's GPS position,
its make, the time) left behind. Only planners see it (``views.report_photo``, audited); the
retention job deletes it with the report's note."""

from __future__ import annotations

import io
import warnings
from dataclasses import dataclass
from typing import IO

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _
from PIL import Image, ImageOps, UnidentifiedImageError

MAX_BYTES = 10 * 1024 * 1024
MAX_SIDE = 1600
FORMATS = frozenset({"JPEG", "MPO", "PNG", "WEBP", "GIF"})  # MPO: many phones' JPEGs
ACCEPT = "image/jpeg,image/png,image/webp,image/gif"


@dataclass(frozen=True)
class Photo:
    """A cleaned photo (only :func:`prepare` makes one): JPEG bytes without metadata."""

    jpeg: bytes
    width: int
    height: int


def prepare(upload: IO[bytes], *, size: int | None = None) -> Photo:
    """Check and re-encode an uploaded image; ValidationError (code ``photo_*``) when it is not one
    we can take: too large, not an image, a format we do not read, or a decompression bomb."""
    if size is not None and size > MAX_BYTES:
        raise _too_big()
    data = upload.read(MAX_BYTES + 1)
    if len(data) > MAX_BYTES:
        raise _too_big()
    if not data:
        raise ValidationError(_("The photo is empty."), code="photo_empty")
    try:
        with warnings.catch_warnings():
            # An image that unpacks to far more pixels than a camera takes is refused, not decoded.
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(data)) as image:
                if image.format not in FORMATS:
                    raise _unreadable()
                image.load()
                upright = ImageOps.exif_transpose(image)
                rgb = upright.convert("RGB")
    except (UnidentifiedImageError, Image.DecompressionBombError, Image.DecompressionBombWarning, OSError) as error:
        raise _unreadable() from error
    rgb.thumbnail((MAX_SIDE, MAX_SIDE))
    out = io.BytesIO()
    rgb.save(out, format="JPEG", quality=82, optimize=True)  # no exif= argument: no metadata
    return Photo(out.getvalue(), rgb.width, rgb.height)


def _too_big() -> ValidationError:
    return ValidationError(
        _("The photo may be at most %(mb)d MB.") % {"mb": MAX_BYTES // (1024 * 1024)}, code="photo_too_big"
    )


def _unreadable() -> ValidationError:
    return ValidationError(_("Send a photo as a JPEG, PNG, WebP or GIF image."), code="photo_unreadable")
