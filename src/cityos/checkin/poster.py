"""The printable A4 poster: the venue's name, a QR code of its check-in URL, and how to check in
by SMS, in each of the city's languages (fonts and QR code: ``core.web.pdf``)."""

from __future__ import annotations

from django.conf import settings
from django.utils import translation
from django.utils.translation import gettext as _

from cityos.checkin.models import Venue
from cityos.core.web.pdf import PrintedPage


def poster_pdf(venue: Venue, checkin_url: str) -> bytes:
    return poster_page(venue, checkin_url).output()


def poster_page(venue: Venue, checkin_url: str) -> PrintedPage:
    """The poster laid out; ``body_end`` is where its text ends, above the footer. A long name or
    address (200 and 300 characters are allowed) is set smaller, so the QR code stays on the page."""
    page = PrintedPage("A4", title=f"{venue.name}: check in")
    line = page.line
    page.fitted_line(venue.name, settings.LANGUAGE_CODE, (28, 22, 16, 12), max_lines=2)
    if venue.address:
        page.fitted_line(venue.address, settings.LANGUAGE_CODE, (12, 10, 8), max_lines=2)
    page.pdf.ln(4)
    for code, _name in settings.LANGUAGES:
        with translation.override(code):
            line(_("Scan to check in. No app needed."), code, 16, 8)
    page.qr_code(checkin_url, 110)
    line(checkin_url, "en", 8, 5)
    page.pdf.ln(4)
    sms_number = getattr(settings, "CITYOS_HELP_SMS", "")
    for code, _name in settings.LANGUAGES:
        with translation.override(code):
            line(
                _("No smartphone? Text %(code)s to %(number)s.") % {"code": venue.short_code, "number": sms_number},
                code,
                13,
                7,
            )
    page.pdf.ln(2)
    for code, _name in settings.LANGUAGES:
        with translation.override(code):
            line(
                _("Check-ins are deleted after %(days)d days and used only to warn visitors of an exposure.")
                % {"days": _retention_days()},
                code,
                9,
                5,
            )
    page.body_end = page.pdf.get_y()
    page.pdf.set_y(-15)
    with translation.override(settings.LANGUAGE_CODE):
        footer = _("Poster %(version)d · SMS code %(code)s") % {
            "version": venue.poster_version,
            "code": venue.short_code,
        }
    line(footer, settings.LANGUAGE_CODE, 8, 5)
    return page


def _retention_days() -> int:
    from cityos.checkin import conf

    return conf.retention_days()
