"""The printable A4 poster: the venue's name, a QR code of its check-in URL, and how to check in
by SMS, in each of the city's languages.

Chinese needs a font with CJK glyphs; the first one found on the system is used (Debian:
fonts-noto-cjk or fonts-wqy-microhei). Without one, the Chinese lines are left out rather than
printed as empty boxes.
"""

from __future__ import annotations

import io
from pathlib import Path

import segno
from django.conf import settings
from django.utils import translation
from django.utils.translation import gettext as _
from fpdf import FPDF

from cityos.checkin.models import Venue

CJK_FONTS = [
    "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc",
    "/usr/share/fonts/truetype/noto/NotoSansCJK-Regular.ttc",
    "/usr/share/fonts/truetype/wqy/wqy-microhei.ttc",
    "/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc",
    "/usr/share/fonts/truetype/arphic/uming.ttc",
]
LATIN_FONTS = [
    "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf",
    "/usr/share/fonts/truetype/liberation/LiberationSans-Regular.ttf",
]


def _first(paths: list[str]) -> str | None:
    return next((p for p in paths if Path(p).is_file()), None)


def _needs_cjk(language: str) -> bool:
    return language.startswith("zh")


def poster_pdf(venue: Venue, checkin_url: str) -> bytes:
    pdf = FPDF(format="A4")
    pdf.set_auto_page_break(auto=False)
    pdf.set_title(f"{venue.name}: check in")
    pdf.add_page()
    latin, cjk = _first(LATIN_FONTS), _first(CJK_FONTS)
    if latin:
        pdf.add_font("latin", fname=latin)
    if cjk:
        pdf.add_font("cjk", fname=cjk)

    def use_font(language: str, size: float) -> bool:
        if _needs_cjk(language) or not venue.name.isascii():
            if cjk:
                pdf.set_font("cjk", size=size)
                return True
            if _needs_cjk(language):
                return False
        if latin:
            pdf.set_font("latin", size=size)
        else:
            pdf.set_font("helvetica", size=size)
        return True

    def line(text: str, language: str, size: float, height: float) -> None:
        if not use_font(language, size):
            return
        if not (latin or cjk):
            text = text.encode("latin-1", "replace").decode("latin-1")
        pdf.multi_cell(0, height, text, align="C", new_x="LMARGIN", new_y="NEXT")

    line(venue.name, settings.LANGUAGE_CODE, 28, 13)
    if venue.address:
        line(venue.address, settings.LANGUAGE_CODE, 12, 7)
    pdf.ln(4)
    for code, _name in settings.LANGUAGES:
        with translation.override(code):
            line(_("Scan to check in. No app needed."), code, 16, 8)
    qr = segno.make(checkin_url, error="m")
    image = io.BytesIO()
    qr.save(image, kind="png", scale=10, border=2)
    image.seek(0)
    size = 110
    pdf.image(image, x=(pdf.w - size) / 2, y=pdf.get_y() + 4, w=size, h=size)
    pdf.set_y(pdf.get_y() + size + 8)
    line(checkin_url, "en", 8, 5)
    pdf.ln(4)
    sms_number = getattr(settings, "CITYOS_HELP_SMS", "")
    for code, _name in settings.LANGUAGES:
        with translation.override(code):
            line(
                _("No smartphone? Text %(code)s to %(number)s.") % {"code": venue.short_code, "number": sms_number},
                code,
                13,
                7,
            )
    pdf.ln(2)
    for code, _name in settings.LANGUAGES:
        with translation.override(code):
            line(
                _("Check-ins are deleted after %(days)d days and used only to warn visitors of an exposure.")
                % {"days": _retention_days()},
                code,
                9,
                5,
            )
    pdf.set_y(-15)
    with translation.override(settings.LANGUAGE_CODE):
        footer = _("Poster %(version)d · SMS code %(code)s") % {
            "version": venue.poster_version,
            "code": venue.short_code,
        }
    line(footer, settings.LANGUAGE_CODE, 8, 5)
    return bytes(pdf.output())


def _retention_days() -> int:
    from cityos.checkin import conf

    return conf.retention_days()
