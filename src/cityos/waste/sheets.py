"""The printable route sheet (A4 PDF) a crew takes on its shift.

Printed with :func:`cityos.core.web.pdf.add_text_fonts`: the Noto fonts that ship as pinned
Python packages (Latin, Greek, Cyrillic, Devanagari, Thai, Arabic), so a sheet prints the same
on any machine, with each script's font a fallback for the characters the first lacks. Chinese
needs the server's CJK font (Debian's ``fonts-noto-cjk`` or ``fonts-wqy-microhei``), as no CJK
font package is of a reasonable size; system fonts also stand in for a missing package. With
no Unicode font at all, the sheet is in the PDF core font with text reduced to Latin-1.
"""

from __future__ import annotations

from django.utils import timezone
from django.utils.translation import gettext as _
from fpdf import FPDF

from cityos.core.web.pdf import add_text_fonts
from cityos.waste.models import Route, StopKind


def route_sheet_pdf(route: Route) -> bytes:
    pdf = FPDF(format="A4")
    pdf.set_auto_page_break(auto=True, margin=15)
    pdf.add_page()
    family, unicode = add_text_fonts(pdf)

    def text(value: str) -> str:
        return value if unicode else value.encode("latin-1", "replace").decode("latin-1")

    pdf.set_title(text(f"{route.vehicle.name} {route.plan.date.isoformat()}"))
    pdf.set_font(family, size=16)
    pdf.cell(
        0,
        10,
        text(
            _("Route sheet: %(vehicle)s, %(date)s")
            % {"vehicle": route.vehicle.name, "date": route.plan.date.isoformat()}
        ),
        new_x="LMARGIN",
        new_y="NEXT",
    )
    pdf.set_font(family, size=10)
    start = timezone.localtime(route.start_at).strftime("%H:%M")
    end = timezone.localtime(route.end_at).strftime("%H:%M")
    summary = _("%(start)s to %(end)s · %(km).1f km · %(trips)d trip(s) to the disposal site · plan %(plan)d") % {
        "start": start,
        "end": end,
        "km": route.distance_m / 1000,
        "trips": route.trips,
        "plan": route.plan_id,
    }
    pdf.cell(0, 6, text(summary), new_x="LMARGIN", new_y="NEXT")
    pdf.ln(3)
    widths = (10, 18, 62, 40, 22, 28)
    headers = ("#", _("Time"), _("Stop"), _("Bin"), _("Fill"), _("Done"))
    pdf.set_font(family, size=9)
    for width, header in zip(widths, headers, strict=True):
        pdf.cell(width, 7, text(header), border=1)
    pdf.ln()
    for stop in route.stops.select_related("bin").order_by("sequence"):
        eta = timezone.localtime(stop.eta).strftime("%H:%M")
        if stop.kind == StopKind.BIN and stop.bin:
            label, ref = stop.label, stop.bin.ref + (" !" if stop.required else "")
            fill = f"{stop.predicted_fill:.0f}%" if stop.predicted_fill is not None else ""
            done = "[x]" if stop.collected else "[  ]"
        else:
            label, ref, fill, done = stop.label or stop.get_kind_display(), str(stop.get_kind_display()), "", ""
        row = (str(stop.sequence), eta, label[:40], ref[:24], fill, done)
        for width, value in zip(widths, row, strict=True):
            pdf.cell(width, 6, text(value), border=1)
        pdf.ln()
    pdf.ln(3)
    pdf.set_font(family, size=8)
    pdf.multi_cell(
        0,
        4,
        text(
            _(
                "! marks a bin that must be collected today. Tick each bin when emptied, "
                "or mark it on the crew page so supervisors see progress."
            )
        ),
    )
    return bytes(pdf.output())
