"""Pages: the poster's check-in page, my visits, registering a venue and its poster; staff lists
of venues and exposure alerts; the SMS webhook."""

from __future__ import annotations

import csv
from datetime import date, timedelta

from django import forms
from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from cityos.checkin import charts, conf, selectors, services
from cityos.checkin.forms import (
    ActivityFilterForm,
    AlertFilterForm,
    AnonymousCheckInForm,
    VenueFilterForm,
    VenueForm,
    VenueImportForm,
)
from cityos.checkin.models import AlertState, ExposureAlert, Venue
from cityos.checkin.poster import poster_pdf
from cityos.core.accounts.models import User
from cityos.core.accounts.permissions import staff_required
from cityos.core.audit.services import record_access, record_bulk_access
from cityos.core.geo.models import District
from cityos.core.notifications.webhooks import inbound_sms_fields, problem
from cityos.core.ratelimit import over_hourly_limit, retry_after
from cityos.core.spreadsheet import safe_cell


def _user(request: HttpRequest) -> User | None:
    user = request.user
    return user if isinstance(user, User) and user.is_authenticated else None


def checkin_url(venue: Venue) -> str:
    path = reverse("checkin:page", args=[services.venue_code(venue)])
    return settings.CITYOS_BASE_URL.rstrip("/") + path


# The services' names of fields that a form calls otherwise.
FORM_FIELDS = {"district_id": "district"}


def _apply_errors(form: forms.Form, error: ValidationError) -> None:
    for field, errors in error.message_dict.items():
        name = FORM_FIELDS.get(field, field)
        for message in errors:
            form.add_error(name if name in form.fields else None, message)


# --- Check-in from the poster ------------------------------------------------------------


def checkin_page(request: HttpRequest, code: str) -> HttpResponse:
    """What the poster's QR opens: one tap for a signed-in resident, a contact field otherwise."""
    try:
        venue = services.venue_for_code(code)
    except ValidationError as error:
        return render(request, "checkin/refused.html", {"reason": error.messages[0]}, status=400)
    person = _user(request)
    form = AnonymousCheckInForm(retention_days=conf.retention_days())
    refused = ""
    if request.method == "POST" and _too_many_check_ins(request):
        wait = retry_after()
        minutes = max(1, -(-wait // 60))
        reason = ngettext(
            "Too many check-ins were sent from this connection. Try again in %(minutes)d minute.",
            "Too many check-ins were sent from this connection. Try again in %(minutes)d minutes.",
            minutes,
        ) % {"minutes": minutes}
        response = render(request, "checkin/refused.html", {"reason": reason}, status=429)
        response["Retry-After"] = str(wait)
        return response
    if request.method == "POST":
        if person is None:
            form = AnonymousCheckInForm(request.POST, retention_days=conf.retention_days())
        if person is not None or form.is_valid():
            try:
                made = services.check_in(
                    code,
                    person=person,
                    contact=form.cleaned_data.get("contact", "") if person is None else "",
                    language=translation.get_language(),
                )
            except ValidationError as error:
                if "already_checked_in" in services.error_codes(error):
                    refused = error.messages[0]
                else:
                    _apply_errors(form, error)
            else:
                return redirect("checkin:done", token=services.checkout_token(made))
    return render(
        request,
        "checkin/checkin.html",
        {
            "venue": venue,
            "form": form,
            "person": person,
            "refused": refused,
            "retention_days": conf.retention_days(),
        },
        status=409 if refused else (400 if form.errors else 200),
    )


def _too_many_check_ins(request: HttpRequest) -> bool:
    return over_hourly_limit(request, "checkin-page", conf.page_limit_per_hour())


def checked_in(request: HttpRequest, token: str) -> HttpResponse:
    try:
        visit = services.check_in_for_token(token)
    except ValidationError as error:
        return render(request, "checkin/refused.html", {"reason": error.messages[0]}, status=404)
    return render(request, "checkin/done.html", {"visit": visit, "token": token})


@require_POST
def check_out(request: HttpRequest) -> HttpResponse:
    token = request.POST.get("token", "")
    try:
        visit = services.check_out(token)
    except ValidationError as error:
        return render(request, "checkin/refused.html", {"reason": error.messages[0]}, status=400)
    messages.success(request, _("You checked out of %(venue)s.") % {"venue": visit.venue.name})
    return redirect("checkin:done", token=token)


def my_visits(request: HttpRequest) -> HttpResponse:
    """Signed-in residents see their visits kept by the city; everyone sees the diary on this device."""
    person = _user(request)
    visits = list(selectors.check_ins_of(person)[:200]) if person else []
    venues = selectors.venues_of(person) if person else []
    # A visit can be checked out of while it may still be going on; a later check-out would not
    # be believed (see selectors.LONGEST_STAY), so older visits offer none.
    since = timezone.now() - selectors.LONGEST_STAY
    open_ids = {v.pk for v in visits if v.checked_out_at is None and v.checked_in_at >= since}
    return render(
        request,
        "checkin/visits.html",
        {"visits": visits, "open_ids": open_ids, "venues": venues, "retention_days": conf.retention_days()},
    )


@login_required
@require_POST
def my_check_out(request: HttpRequest, check_in_id: int) -> HttpResponse:
    """A signed-in resident checks out of an open visit from "My visits"."""
    person = _user(request)
    assert person is not None
    try:
        visit = services.check_out_mine(person, check_in_id)
    except ValidationError as error:
        if "not_found" in services.error_codes(error):
            raise Http404 from error
        messages.error(request, error.messages[0])
    else:
        messages.success(request, _("You checked out of %(venue)s.") % {"venue": visit.venue.name})
    return redirect("checkin:visits")


# --- Venues ------------------------------------------------------------------------------


@login_required
def register_venue(request: HttpRequest) -> HttpResponse:
    user = _user(request)
    assert user is not None
    form = VenueForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            venue = services.register_venue(user, **form.venue_values())
        except ValidationError as error:
            _apply_errors(form, error)
        else:
            messages.success(request, _("%(venue)s is registered. Print its poster below.") % {"venue": venue.name})
            return redirect("checkin:venue", venue_id=venue.pk)
    return render(request, "checkin/register.html", {"form": form}, status=400 if form.errors else 200)


def _managed_venue(request: HttpRequest, venue_id: int, *, shown: tuple[str, ...] = ()) -> Venue:
    """The venue, for its owner or for verified staff of the venue roles (404 for anyone else,
    so a venue's existence is not told). A staff read of the contacts a page ``shown`` is audited."""
    user = _user(request)
    # Staff before their second factor: the middleware sends them to it first; here as well.
    if user is not None and user.is_staff and not user.is_verified():  # type: ignore[attr-defined]
        raise PermissionDenied
    try:
        return services.managed_venue(user, venue_id, shown=shown)
    except (Venue.DoesNotExist, services.NotVenueManager):
        raise Http404 from None


@login_required
def venue_detail(request: HttpRequest, venue_id: int) -> HttpResponse:
    venue = _managed_venue(request, venue_id, shown=services.CONTACT_FIELDS)
    return render(request, "checkin/venue.html", {"venue": venue, "checkin_url": checkin_url(venue)})


@login_required
def edit_venue(request: HttpRequest, venue_id: int) -> HttpResponse:
    """The owner or staff change a venue's name, kind, address, district and contacts; its
    posters keep working. A venue without an owner keeps an email or a phone."""
    # The form is filled with the stored contacts only when it is first shown.
    venue = _managed_venue(request, venue_id, shown=services.CONTACT_FIELDS if request.method != "POST" else ())
    user = _user(request)
    assert user is not None
    initial = {
        "name": venue.name,
        "kind": venue.kind,
        "address": venue.address,
        "district": venue.district,
        "contact_email": venue.contact_email,
        "contact_phone": venue.contact_phone,
    }
    form = VenueForm(request.POST or None, initial=initial, contact_required=venue.owner_id is None)
    if request.method == "POST" and form.is_valid():
        try:
            services.update_venue(venue, user, **form.venue_values())
        except ValidationError as error:
            _apply_errors(form, error)
        else:
            messages.success(request, _("The venue's details are saved. Its posters keep working."))
            return redirect("checkin:venue", venue_id=venue.pk)
    return render(
        request, "checkin/venue_edit.html", {"form": form, "venue": venue}, status=400 if form.errors else 200
    )


@login_required
def venue_poster(request: HttpRequest, venue_id: int) -> HttpResponse:
    venue = _managed_venue(request, venue_id)
    response = HttpResponse(poster_pdf(venue, checkin_url(venue)), content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="poster-{venue.short_code}-v{venue.poster_version}.pdf"'
    return response


@login_required
@require_POST
def venue_reissue(request: HttpRequest, venue_id: int) -> HttpResponse:
    venue = _managed_venue(request, venue_id)
    user = _user(request)
    assert user is not None
    venue = services.reissue_poster(venue, user)
    messages.success(request, _("A new poster is ready. Earlier posters no longer work: replace them."))
    return redirect("checkin:venue", venue_id=venue.pk)


@login_required
@require_POST
def venue_active(request: HttpRequest, venue_id: int) -> HttpResponse:
    venue = _managed_venue(request, venue_id)
    user = _user(request)
    assert user is not None
    active = request.POST.get("active") == "yes"
    services.set_venue_active(venue, user, active=active)
    messages.success(
        request, _("The venue takes check-ins again.") if active else _("The venue no longer takes check-ins.")
    )
    return redirect("checkin:venue", venue_id=venue.pk)


# --- Staff -------------------------------------------------------------------------------

VENUE_EXPORT = ["id", "name", "kind", "address", "district", "short_code", "poster_version", "is_active", "created_at"]


@staff_required(conf.VENUE_ROLES)
def ops_venues(request: HttpRequest) -> HttpResponse:
    form = VenueFilterForm(request.GET or None)
    search, active = "", None
    if form.is_valid():
        search = form.cleaned_data["q"]
        active = {"yes": True, "no": False}.get(form.cleaned_data["active"])
    found = selectors.venues(search, active=active)
    if request.GET.get("format") == "csv":
        response = HttpResponse(content_type="text/csv; charset=utf-8")
        response["Content-Disposition"] = 'attachment; filename="venues.csv"'
        writer = csv.writer(response)
        writer.writerow(VENUE_EXPORT)
        for venue in found:
            # Venues are registered by anyone: a name or address must not run as a formula.
            writer.writerow(
                safe_cell(value)
                for value in [
                    venue.pk,
                    venue.name,
                    venue.kind,
                    venue.address,
                    venue.district.code if venue.district else "",
                    venue.short_code,
                    venue.poster_version,
                    venue.is_active,
                    venue.created_at.isoformat(),
                ]
            )
        return response
    page = Paginator(found, 50).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    return render(request, "checkin/ops_venues.html", {"form": form, "page": page, "query": query.urlencode()})


@staff_required(conf.VENUE_ROLES)
def ops_register_venue(request: HttpRequest) -> HttpResponse:
    """Staff register a venue for a business; its contact email or phone hears of exposures."""
    user = _user(request)
    assert user is not None
    form = VenueForm(request.POST or None, contact_required=True)
    if request.method == "POST" and form.is_valid():
        try:
            venue = services.register_venue(user, **form.venue_values())
        except ValidationError as error:
            _apply_errors(form, error)
        else:
            messages.success(request, _("%(venue)s is registered. Print its poster below.") % {"venue": venue.name})
            return redirect("checkin:venue", venue_id=venue.pk)
    return render(request, "checkin/ops_register.html", {"form": form}, status=400 if form.errors else 200)


@staff_required(conf.VENUE_ROLES)
def ops_import_venues(request: HttpRequest) -> HttpResponse:
    """Staff register many venues at once from the city's business register (CSV)."""
    user = _user(request)
    assert user is not None
    form = VenueImportForm(request.POST or None, request.FILES or None)
    report = None
    if request.method == "POST" and form.is_valid():
        try:
            source = form.cleaned_data["file"].read().decode("utf-8-sig")
        except UnicodeDecodeError:
            form.add_error("file", _("The file is not UTF-8 text; save it as CSV UTF-8."))
        else:
            report = services.import_venues(source, user, dry_run=form.cleaned_data["dry_run"])
    status = 400 if form.errors or (report is not None and not report.ok) else 200
    return render(request, "checkin/ops_import.html", {"form": form, "report": report}, status=status)


@staff_required(conf.ALERT_ROLES)
def ops_alerts(request: HttpRequest) -> HttpResponse:
    form = AlertFilterForm(request.GET or None)
    state, search = "", ""
    if form.is_valid():
        state, search = form.cleaned_data["state"], form.cleaned_data["q"]
    page = Paginator(selectors.alerts(state, search), 50).get_page(request.GET.get("page"))
    alerts: list[ExposureAlert] = list(page.object_list)
    if alerts:
        record_bulk_access(ExposureAlert, [a.pk for a in alerts], ["case_ref"], description="Exposure alerts list")
    query = request.GET.copy()
    query.pop("page", None)
    return render(
        request, "checkin/ops_alerts.html", {"form": form, "page": page, "alerts": alerts, "query": query.urlencode()}
    )


@staff_required(conf.ALERT_ROLES)
def ops_alert(request: HttpRequest, alert_id: int) -> HttpResponse:
    alert = get_object_or_404(ExposureAlert.objects.select_related("venue", "proposed_by", "sent_by"), pk=alert_id)
    user = _user(request)
    assert user is not None
    if request.method == "POST":
        try:
            # Sending tells people they were exposed: only a post that says "send" does it.
            action = request.POST.get("action")
            if action == "dismiss":
                services.dismiss_exposure_alert(alert, user)
                messages.success(request, _("The alert was dismissed; nobody was told."))
            elif action == "send":
                alert = services.send_exposure_alert(alert, user)
                messages.success(request, _("The alert was sent."))
            else:
                messages.error(request, _("Choose to send the alert or to dismiss it."))
        except ValidationError as error:
            messages.error(request, error.messages[0])
        return redirect("checkin:ops-alert", alert_id=alert.pk)
    record_access(alert, ["case_ref", "matches"])
    matches = list(alert.matches.order_by("checked_in_at", "pk"))
    return render(
        request,
        "checkin/ops_alert.html",
        {
            "alert": alert,
            "matches": matches,
            "notified": sum(1 for m in matches if m.notified_at),
            "proposed": alert.state == AlertState.PROPOSED,
        },
    )


@staff_required(conf.ALERT_ROLES)
def ops_activity(request: HttpRequest) -> HttpResponse:
    """Check-ins per day and, per district and venue, check-ins and exposures: counts only."""
    form, start, end, district = _activity_filters(request)
    found = selectors.activity(start, end, district_id=district.pk if district else None)
    names = {d.pk: d.name for d in District.objects.all()}
    top = max((visits for visits, _alerts in found.per_district.values()), default=0)
    rows = [
        {"name": names.get(pk, "") if pk else _("No district"), "check_ins": visits, "exposures": alerts}
        for pk, (visits, alerts) in sorted(found.per_district.items(), key=lambda item: -item[1][0])
    ]
    query = request.GET.copy()
    chart = charts.daily_bars(
        "checkins-per-day",
        _("Check-ins per day"),
        _("%(total)d check-ins from %(start)s to %(end)s; the busiest day had %(most)d.")
        % {"total": sum(found.per_day), "start": start, "end": end, "most": max(found.per_day, default=0)},
        found.days,
        found.per_day,
    )
    return render(
        request,
        "checkin/ops_activity.html",
        {
            "form": form,
            "start": start,
            "end": end,
            "chart": chart,
            "days": list(zip(found.days, found.per_day, strict=True)),
            "districts": rows,
            "venues": found.per_venue[:50],
            "venue_names": names,
            "top": top,
            "geojson_url": reverse("checkin:ops-activity-map") + ("?" + query.urlencode() if query else ""),
        },
        status=400 if form.errors else 200,
    )


@staff_required(conf.ALERT_ROLES)
def ops_activity_map(request: HttpRequest) -> HttpResponse:
    """The districts as GeoJSON, each with its check-ins, exposures and fill for the page's map."""
    _form, start, end, district = _activity_filters(request)
    found = selectors.activity(start, end, district_id=district.pk if district else None)
    top = max((visits for visits, _alerts in found.per_district.values()), default=0)
    districts = District.objects.all() if district is None else District.objects.filter(pk=district.pk)
    features = []
    for each in districts:
        visits, alerts = found.per_district.get(each.pk, (0, 0))
        features.append(
            {
                "type": "Feature",
                "geometry": each.geometry,
                "properties": {
                    "name": f"{each.name}: "
                    + _("%(check_ins)d check-ins, %(exposures)d exposures")
                    % {"check_ins": visits, "exposures": alerts},
                    "check_ins": visits,
                    "exposures": alerts,
                    "fill": charts.fill_for(visits, top),
                },
            }
        )
    return JsonResponse({"type": "FeatureCollection", "features": features}, content_type="application/geo+json")


def _activity_filters(request: HttpRequest) -> tuple[ActivityFilterForm, date, date, District | None]:
    """The valid filters, or the last retention period of the whole city when they are not."""
    form = ActivityFilterForm(request.GET or None)
    end = timezone.localdate()
    start = end - timedelta(days=conf.retention_days() - 1)
    district = None
    if form.is_bound and form.is_valid():
        end = form.cleaned_data["end"] or end
        start = form.cleaned_data["start"] or min(start, end)
        district = form.cleaned_data["district"]
    return form, start, end, district


# --- SMS route ---------------------------------------------------------------------------


@csrf_exempt
@require_POST
def inbound_sms(request: HttpRequest) -> JsonResponse:
    """The SMS gateway posts {"from": phone, "text": "K7Q2M4"}; the reply goes back by SMS."""
    fields = inbound_sms_fields(request)
    if isinstance(fields, JsonResponse):
        return fields
    outcome = services.sms_check_in(*fields)
    if outcome.action == "invalid_sender":
        return problem(400, _("The sender is not a phone number."))
    with translation.override(outcome.language):
        replies = {
            "checked_in": _("You are checked in at %(venue)s. You will be told by SMS if there was an exposure.")
            % {"venue": outcome.venue_name},
            "already_checked_in": _("You are already checked in at %(venue)s.") % {"venue": outcome.venue_name},
            "unknown_code": _("We do not know this venue code. Text the code shown on the poster."),
        }
    return JsonResponse({"action": outcome.action, "reply": replies[outcome.action]})
