"""A photo of a bin, a resident's (with a report) or a crew's (of a bin it could not collect),
made safe to keep: re-encoded by Pillow as a JPEG at most ``MAX_SIDE`` pixels wide, turned
upright, with every piece of metadata (the phone's GPS position, its make, the time) left behind.
Only planners see it (``views.report_photo``, ``views.stop_photo``, audited); the retention job
deletes it after ``CITYOS_WASTE_REPORT_PHONE_DAYS``.

Decoding untrusted images costs memory and time, so: only the formats a phone sends are parsed,
an image over ``MAX_PIXELS`` is refused before it is decoded, a JPEG is decoded at a reduced scale
when it is far larger than kept, and at most ``CONCURRENT`` photos are decoded at once."""

from __future__ import annotations

import io
import threading
from dataclasses import dataclass
from typing import IO

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _
from PIL import Image, ImageOps

MAX_BYTES = 10 * 1024 * 1024
MAX_SIDE = 1600
MAX_PIXELS = 50_000_000  # a 48-megapixel phone camera's full-size JPEG
MAX_PIXELS_OTHER = 16_000_000  # PNG, WebP, GIF: decoded whole, so a smaller ceiling
FORMATS = ("JPEG", "PNG", "WEBP", "GIF")  # Pillow reads many phones' MPO photos as JPEG
ACCEPT = "image/jpeg,image/png,image/webp,image/gif"
CONCURRENT = 2
_decoding = threading.BoundedSemaphore(CONCURRENT)


@dataclass(frozen=True)
class Photo:
    """A cleaned photo (only :func:`prepare` makes one): JPEG bytes without metadata."""

    jpeg: bytes
    width: int
    height: int


def prepare(upload: IO[bytes], *, size: int | None = None) -> Photo:
    """Check and re-encode an uploaded image; ValidationError (code ``photo_*``) when it is not one
    we can take: too large in bytes or pixels, not an image, or a format we do not read."""
    if size is not None and size > MAX_BYTES:
        raise too_big()
    data = upload.read(MAX_BYTES + 1)
    if len(data) > MAX_BYTES:
        raise too_big()
    if not data:
        raise ValidationError(_("The photo is empty."), code="photo_empty")
    with _decoding:
        try:
            rgb = _decode(data)
        except ValidationError:
            raise
        except (Image.DecompressionBombError, Image.DecompressionBombWarning) as error:
            # Pillow refuses (or, by a warnings filter, raises on) a huge image before _decode sees its size.
            raise too_many_pixels(MAX_PIXELS if data.startswith(b"\xff\xd8") else MAX_PIXELS_OTHER) from error
        except Exception as error:  # Pillow raises many kinds on a damaged or hostile file
            raise unreadable() from error
    # Pillow writes what ``info`` still carries (a JPEG comment, the ICC profile): none of it is kept.
    rgb.info.clear()
    out = io.BytesIO()
    rgb.save(out, format="JPEG", quality=82, optimize=True)
    return Photo(out.getvalue(), rgb.width, rgb.height)


def _decode(data: bytes) -> Image.Image:
    with Image.open(io.BytesIO(data), formats=FORMATS) as image:
        most = MAX_PIXELS if image.format == "JPEG" else MAX_PIXELS_OTHER
        if image.width * image.height > most:
            raise too_many_pixels(most)
        if image.format == "JPEG":
            image.draft("RGB", (MAX_SIDE, MAX_SIDE))  # decode at 1/2, 1/4 or 1/8 scale when it can
        image.load()
        orientation = image.getexif().get(ImageOps.ExifTags.Base.Orientation)
        if image.mode in ("RGB", "L"):
            image.thumbnail((MAX_SIDE, MAX_SIDE))
            rgb = image.convert("RGB")
        else:  # palette, transparency, CMYK, 16-bit: shrunk as RGBA, then laid on white
            rgba = image if image.mode == "RGBA" else image.convert("RGBA")
            rgba.thumbnail((MAX_SIDE, MAX_SIDE))
            # Straight to RGB would show the colour hidden under transparency, often black.
            rgb = Image.alpha_composite(Image.new("RGBA", rgba.size, "white"), rgba).convert("RGB")
    if orientation:
        # exif_transpose reads the tag from the image; the shrunk copy carries only the number.
        rgb.getexif()[ImageOps.ExifTags.Base.Orientation] = orientation
        rgb = ImageOps.exif_transpose(rgb)
    return rgb


def too_many_pixels(most: int) -> ValidationError:
    """The refusal of an image of over ``most`` pixels (a JPEG's limit or the other formats')."""
    return ValidationError(
        _("The photo may have at most %(mp)d megapixels.") % {"mp": most // 1_000_000}, code="photo_too_many_pixels"
    )


def too_big() -> ValidationError:
    """The refusal of a photo over ``MAX_BYTES`` (also the form's answer to a body too large to read)."""
    return ValidationError(
        _("The photo may be at most %(mb)d MB.") % {"mb": MAX_BYTES // (1024 * 1024)}, code="photo_too_big"
    )


def unreadable() -> ValidationError:
    """The refusal of anything but an image we read (also of text sent where a photo file belongs)."""
    return ValidationError(_("Send a photo as a JPEG, PNG, WebP or GIF image."), code="photo_unreadable")
