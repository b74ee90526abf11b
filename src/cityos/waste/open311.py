"""Residents' bin reports as Open311 GeoReport v2 services (served by the core at
``/open311/v2/``), so any 311 app or aggregator can report a full or damaged bin and follow it.

Three services, one per problem. The bin is the ``bin`` attribute (its sticker's reference) or,
without it, the active bin nearest to ``lat``/``long`` within ``NEAREST_BIN_METRES``. A request
is a :class:`~cityos.waste.models.BinReport` (channel ``open311``); a repeat joins the open report,
so two apps reporting the same bin get the same request id. The resident's ``phone`` is texted
once the bin is emptied, as from the city's own form. Public lists show the bin's place and the
report's state, never the resident's words (a note may name someone) or number.
"""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db.models import Q
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext

from cityos.core.api.open311 import Open311Error
from cityos.core.ratelimit import retry_after
from cityos.core.registry import (
    Open311Attribute,
    Open311Query,
    Open311Receipt,
    Open311Request,
    Open311Service,
    Open311Submission,
)
from cityos.waste import limits, selectors, services
from cityos.waste.models import NOTE_MAX_LENGTH, BinReport, ReportChannel, ReportProblem, ReportResolution

NEAREST_BIN_METRES = 50.0
GROUP = gettext_lazy("Waste collection")
KEYWORDS = ("bin", "litter", "rubbish", "trash", "waste")
BIN_ATTRIBUTE = Open311Attribute(
    "bin",
    gettext_lazy("The bin's reference, printed on its sticker"),
    datatype_description=gettext_lazy("For example BIN-0012. Leave it out to report the bin nearest to lat and long."),
)
SERVICE_PROBLEMS = {
    "waste-bin-full": ReportProblem.FULL,
    "waste-bin-damaged": ReportProblem.DAMAGED,
    "waste-bin-other": ReportProblem.OTHER,
}
SERVICES = (
    Open311Service(
        "waste-bin-full",
        gettext_lazy("Full or overflowing bin"),
        gettext_lazy("A public bin is full or overflowing: it is emptied on the next collection round."),
        GROUP,
        (*KEYWORDS, "full", "overflowing"),
        (BIN_ATTRIBUTE,),
    ),
    Open311Service(
        "waste-bin-damaged",
        gettext_lazy("Damaged bin"),
        gettext_lazy("A public bin is broken, burnt or missing its lid."),
        GROUP,
        (*KEYWORDS, "broken", "damaged"),
        (BIN_ATTRIBUTE,),
    ),
    Open311Service(
        "waste-bin-other",
        gettext_lazy("Other problem with a bin"),
        gettext_lazy("Something else is wrong with a public bin."),
        GROUP,
        KEYWORDS,
        (BIN_ATTRIBUTE,),
    ),
)
# The service's parameter that each field of services.report_bin comes from.
PARAMETERS = {
    "bin": "attribute[bin]",
    "note": "description",
    "phone": "phone",
    "problem": "service_code",
    "media_url": "media_url",
}


def submit(request: Open311Submission) -> Open311Receipt:
    """Store the request as a bin report (one transaction, in ``services.report_bin``). The
    standard allows 4,000 characters of description; a report keeps the first 500."""
    ref = request.attributes.get("bin", "")
    if not ref:
        nearest = (
            selectors.nearest_bin(request.lat, request.long, NEAREST_BIN_METRES)
            if request.lat is not None and request.long is not None
            else None
        )
        if nearest is None:
            raise ValidationError(
                {
                    "attribute[bin]": _(
                        "There is no bin within %(metres)d m of this place. Give the bin's reference from its sticker."
                    )
                    % {"metres": NEAREST_BIN_METRES}
                }
            )
        ref = nearest.ref
    if limits.bin_reported_enough(ref):  # the client's own limit is the endpoint's (limit_scope)
        raise Open311Error(429, [limits.reported_enough_message()], headers={"Retry-After": str(retry_after())})
    try:
        outcome = services.report_bin(
            ref,
            SERVICE_PROBLEMS[request.service_code],
            note=request.description[:NOTE_MAX_LENGTH],
            channel=ReportChannel.OPEN311,
            phone=request.phone,
            language=request.language,
            media_url=request.media_url,
        )
    except ValidationError as error:
        raise ValidationError(
            {PARAMETERS.get(field, field): messages for field, messages in error.message_dict.items()}
        ) from error
    notices = []
    if outcome.repeated:
        notices.append(_("This bin was already reported; your request was added to that report."))
    if outcome.texted:
        notices.append(_("We will text you once the bin has been emptied."))
    return Open311Receipt(str(outcome.report.pk), " ".join(notices))


def find(query: Open311Query) -> list[Open311Request]:
    """Reports as requests: all of them, made by any channel, by id or by the query's filters."""
    problems: dict[str, str] = {str(p): code for code, p in SERVICE_PROBLEMS.items()}
    reports = BinReport.objects.select_related("bin")
    if query.ids is not None:
        # Only ids this app could have made (a huge or non-ASCII "number" is nobody's).
        reports = reports.filter(pk__in=[int(i) for i in query.ids if i.isascii() and i.isdigit() and len(i) <= 18])
    else:
        reports = reports.filter(created_at__gte=query.start, created_at__lte=query.end)
        if query.service_codes:
            reports = reports.filter(
                problem__in=[SERVICE_PROBLEMS[c] for c in query.service_codes if c in SERVICE_PROBLEMS]
            )
        if query.statuses == {"open"}:
            reports = reports.filter(resolved_at__isnull=True)
        elif query.statuses == {"closed"}:
            reports = reports.filter(~Q(resolved_at__isnull=True))
    found = list(reports.order_by("-created_at")[: query.limit])
    expected = selectors.next_collections({r.bin_id for r in found if r.is_open and r.problem == ReportProblem.FULL})
    return [
        Open311Request(
            id=str(report.pk),
            status="open" if report.is_open else "closed",
            service_code=problems[report.problem],
            requested=report.created_at,
            updated=report.resolved_at or report.last_reported_at,
            expected=expected.get(report.bin_id) if report.is_open and report.problem == ReportProblem.FULL else None,
            status_notes=_status_notes(report),
            agency_responsible=str(GROUP),
            address=report.bin.address or report.bin.ref,
            lat=report.bin.latitude,
            long=report.bin.longitude,
        )
        for report in found
    ]


def _status_notes(report: BinReport) -> str:
    if report.resolution == ReportResolution.COLLECTED:
        return _("The bin was emptied.")
    if report.resolution == ReportResolution.DISMISSED:
        return _("Closed by the city without a collection.")
    return ngettext(
        "Reported %(count)d time; the crews will see it.",
        "Reported %(count)d times; the crews will see it.",
        report.count,
    ) % {"count": report.count}
