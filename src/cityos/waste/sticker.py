"""The printable QR sticker for a bin (A6 PDF): "Full or broken? Scan this code or text BIN <ref>
to <SMS number>", in each of the city's languages with that language's keyword (垃圾桶,
CONTENEDOR: the reply comes in the language the resident read), and a QR code of the bin's
report page (fonts and QR code: ``core.web.pdf``)."""

from __future__ import annotations

from django.conf import settings
from django.utils import translation
from django.utils.translation import gettext as _

from cityos.core.web.pdf import PrintedPage
from cityos.waste.models import Bin
from cityos.waste.sms import keyword_for

A6 = (105.0, 148.0)  # mm


def sticker_pdf(bin: Bin, report_url: str) -> bytes:
    page = PrintedPage(A6, title=f"{bin.ref}: report", margin=8)
    number = getattr(settings, "CITYOS_HELP_SMS", "")
    for code, _name in settings.LANGUAGES:
        with translation.override(code):
            page.line(
                _("Full or broken? Scan this code or text %(keyword)s to %(number)s.")
                % {"keyword": f"{keyword_for(code)} {bin.ref}", "number": number},
                code,
                9,
                4.5,
            )
    page.qr_code(report_url, 56, gap=2)
    page.line(bin.ref, "en", 16, 7)
    page.line(report_url, "en", 6, 3)
    return page.output()
