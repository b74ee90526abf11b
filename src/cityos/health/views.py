"""Pages of the health module.

Health staff (health officers; administrators pass) give a reason before they see a case, the
follow-up list, flagged declarations or quarantines; the reason is kept for 30 minutes and
written to the audit log with every read. Residents see only their own declarations and
quarantine.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from functools import wraps
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.forms import BaseFormSet, Form
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from cityos.core.accounts.models import User
from cityos.core.accounts.permissions import staff_required
from cityos.core.accounts.phones import normalise_phone
from cityos.core.audit.context import with_reason
from cityos.core.audit.services import record_access, record_bulk_access
from cityos.core.notifications.webhooks import gateway_authorised, gateway_payload, problem
from cityos.health import chain, selectors, services
from cityos.health.conf import HEALTH_ROLES
from cityos.health.forms import (
    CaseForm,
    CheckInForm,
    ContactForm,
    DeclarationForm,
    FollowUpForm,
    QuarantineForm,
    VisitForm,
    VisitFormSet,
)
from cityos.health.list_views import quarantine_page_context
from cityos.health.models import Case, Channel, Classification, Contact, FollowUp, HealthTask
from cityos.health.reasons import ask_reason, asks_reason, reason_for, reason_on_record, remember

CONTACT_FIELDS = ("name", "contact_details", "last_exposure")
CASE_FIELDS = ("name", "contact_details", "lab_result", "onset_date", "interview_notes")


def _user(request: HttpRequest) -> User:
    assert isinstance(request.user, User)
    return request.user


def _errors_to_form(form: Form, error: ValidationError) -> None:
    for field, field_errors in error.message_dict.items():
        form.add_error(field if field in form.fields else None, field_errors)


VISIT_ERROR = re.compile(r"visits\.(\d+)\.(\w+)")


def _errors_to_case_forms(form: Form, visits: BaseFormSet[Any], rows: list[int], error: ValidationError) -> None:
    """The service's errors next to their fields: ``visits.N.start`` is the field of the N-th
    visit sent, which is the row ``rows[N]`` of the formset (empty rows are not sent)."""
    for key, messages_ in error.message_dict.items():
        found = VISIT_ERROR.fullmatch(key)
        if found and int(found[1]) < len(rows):
            visit = visits.forms[rows[int(found[1])]]
            visit.add_error(found[2] if found[2] in visit.fields else None, messages_)
        else:
            form.add_error(key if key in form.fields else None, messages_)


# --- Cases --------------------------------------------------------------------------------------


@staff_required(HEALTH_ROLES)
def case_create(request: HttpRequest) -> HttpResponse:
    form = CaseForm(request.POST or None)
    visits = VisitFormSet(request.POST or None, prefix="visits")
    # Both checked, so the visits' mistakes are said with the case's.
    valid = request.method == "POST" and all([form.is_valid(), visits.is_valid()])
    if valid:
        data = form.cleaned_data
        rows = [index for index, visit in enumerate(visits.cleaned_data) if visit.get("start")]
        visit_rows = [visits.cleaned_data[index] for index in rows]
        try:
            case = services.record_case(
                _user(request),
                name=data["name"],
                person=data["account"],
                contact_details=data["contact_details"],
                classification=data["classification"],
                lab_result=data["lab_result"],
                lab_date=data["lab_date"],
                onset_date=data["onset_date"],
                interview_notes=data["interview_notes"],
                visits=visit_rows,
            )
        except ValidationError as error:
            _errors_to_case_forms(form, visits, rows, error)
        else:
            remember(request, f"case:{case.pk}", _("Recorded this case"))
            messages.success(request, _("Case %(ref)s recorded.") % {"ref": case.ref})
            return redirect("health:case", pk=case.pk)
    status = 422 if request.method == "POST" else 200
    return render(request, "health/case_form.html", {"form": form, "visits": visits}, status=status)


def _render_case(
    request: HttpRequest,
    case: Case,
    *,
    visit_form: VisitForm | None = None,
    contact_form: ContactForm | None = None,
    status: int = 200,
) -> HttpResponse:
    reason = reason_for(request, f"case:{case.pk}")
    contacts = list(case.contacts.select_related("became_case").order_by("name"))
    root = selectors.chain_of(case)
    with with_reason(reason):
        record_access(case, CASE_FIELDS)
        if contacts:
            record_bulk_access(Contact, [c.pk for c in contacts], CONTACT_FIELDS, description=case.ref)
    context = {
        "case": case,
        "reason": reason,
        "visits": case.visits.all(),
        "contacts": contacts,
        "chain_svg": chain.render_svg(root, highlight=case.pk),
        "chain": selectors.flatten(root),
        "visit_form": visit_form or VisitForm(prefix="visit"),
        "contact_form": contact_form or ContactForm(prefix="contact"),
        "can_confirm": case.classification != Classification.CONFIRMED,
    }
    return render(request, "health/case_detail.html", context, status=status)


@staff_required(HEALTH_ROLES)
def case_detail(request: HttpRequest, pk: int) -> HttpResponse:
    case = get_object_or_404(Case, pk=pk)
    asked = ask_reason(request, f"case:{case.pk}", case.ref)
    return asked or _render_case(request, case)


def _case_with_reason(request: HttpRequest, pk: int) -> tuple[Case, str]:
    case = get_object_or_404(Case, pk=pk)
    reason = reason_for(request, f"case:{case.pk}")
    if not reason:
        raise PermissionDenied  # the views ask first (_under_case_reason); this only guards
    return case, reason


CaseView = Callable[[HttpRequest, int], HttpResponse]


def _reason_first(request: HttpRequest, page: str, pk: int) -> HttpResponse:
    messages.warning(
        request,
        _("Give your reason for opening this case first: it is asked again after 30 minutes. Nothing was saved."),
    )
    return redirect(page, pk=pk)


def _under_case_reason(view: CaseView) -> CaseView:
    """An action on a case, done only under the reason given for the case; else back to the
    case's page, which asks for it, saying why (not a 403 that blames the officer's role)."""

    @wraps(view)
    def wrapped(request: HttpRequest, pk: int) -> HttpResponse:
        if not reason_for(request, f"case:{pk}"):
            get_object_or_404(Case, pk=pk)
            return _reason_first(request, "health:case", pk)
        return view(request, pk)

    return wrapped


@require_POST
@staff_required(HEALTH_ROLES)
@_under_case_reason
def case_confirm(request: HttpRequest, pk: int) -> HttpResponse:
    case, reason = _case_with_reason(request, pk)
    with with_reason(reason):
        try:
            services.confirm_case(_user(request), case)
        except ValidationError as error:
            messages.error(request, " ".join(error.messages))
        else:
            messages.success(request, _("Case confirmed. Its venue visits were sent for exposure alerts."))
    return redirect("health:case", pk=case.pk)


@require_POST
@staff_required(HEALTH_ROLES)
@_under_case_reason
def visit_add(request: HttpRequest, pk: int) -> HttpResponse:
    case, reason = _case_with_reason(request, pk)
    form = VisitForm(request.POST, prefix="visit")
    if form.is_valid():
        with with_reason(reason):
            try:
                services.add_visit(_user(request), case, form.cleaned_data)
            except ValidationError as error:
                _errors_to_form(form, error)
            else:
                messages.success(request, _("Visit added."))
                return redirect("health:case", pk=case.pk)
    return _render_case(request, case, visit_form=form, status=422)


@require_POST
@staff_required(HEALTH_ROLES)
@_under_case_reason
def contact_add(request: HttpRequest, pk: int) -> HttpResponse:
    case, reason = _case_with_reason(request, pk)
    form = ContactForm(request.POST, prefix="contact")
    if form.is_valid():
        data = form.cleaned_data
        with with_reason(reason):
            try:
                contact = services.add_contact(
                    _user(request),
                    case,
                    name=data["name"],
                    person=data["account"],
                    contact_details=data["contact_details"],
                    relationship=data["relationship"],
                    last_exposure=data["last_exposure"],
                )
            except ValidationError as error:
                _errors_to_form(form, error)
            else:
                messages.success(
                    request,
                    _("%(name)s listed, with %(count)s daily follow-ups.")
                    % {"name": contact.name, "count": contact.follow_ups.count()},
                )
                return redirect("health:case", pk=case.pk)
    return _render_case(request, case, contact_form=form, status=422)


@staff_required(HEALTH_ROLES)
def case_chain_svg(request: HttpRequest, pk: int) -> HttpResponse:
    """The picture on the case's page; opened on its own before a reason is given, it asks for one
    as the case's page does, then shows the picture."""
    case = get_object_or_404(Case, pk=pk)
    asked = ask_reason(request, f"case:{case.pk}", case.ref)
    if asked:
        return asked
    reason = reason_for(request, f"case:{case.pk}")
    with with_reason(reason):
        record_access(case, ("ref",))
    return HttpResponse(chain.render_svg(selectors.chain_of(case), highlight=case.pk), content_type="image/svg+xml")


# --- Contacts and follow-up ----------------------------------------------------------------------


@staff_required(HEALTH_ROLES)
def contact_detail(request: HttpRequest, pk: int) -> HttpResponse:
    contact = get_object_or_404(Contact.objects.select_related("case"), pk=pk)
    asked = ask_reason(request, f"case:{contact.case_id}", contact.case.ref)
    if asked:
        return asked
    with with_reason(reason_for(request, f"case:{contact.case_id}")):
        record_access(contact, CONTACT_FIELDS)
    became = Case.objects.filter(source_contact=contact).first()
    return render(
        request,
        "health/contact_detail.html",
        {"contact": contact, "follow_ups": contact.follow_ups.all(), "became": became, "today": timezone.localdate()},
    )


@require_POST
@staff_required(HEALTH_ROLES)
def contact_become_case(request: HttpRequest, pk: int) -> HttpResponse:
    contact = get_object_or_404(Contact, pk=pk)
    reason = reason_for(request, f"case:{contact.case_id}")
    if not reason:
        return _reason_first(request, "health:contact", contact.pk)  # its page asks for the case's reason
    with with_reason(reason):
        try:
            case = services.contact_becomes_case(_user(request), contact)
        except ValidationError as error:
            messages.error(request, " ".join(error.messages))
            return redirect("health:contact", pk=contact.pk)
    remember(request, f"case:{case.pk}", reason)
    messages.success(request, _("Case %(ref)s recorded for this contact.") % {"ref": case.ref})
    return redirect("health:case", pk=case.pk)


def _case_key_of_follow_up(pk: int) -> str:
    return f"case:{FollowUp.objects.filter(pk=pk).values_list('contact__case_id', flat=True).first()}"


@staff_required(HEALTH_ROLES)
@asks_reason("follow-ups", gettext_lazy("today's follow-ups"), also=_case_key_of_follow_up)
def follow_up_record(request: HttpRequest, pk: int) -> HttpResponse:
    """Opens under the reason given for the follow-up list or for the contact's case."""
    follow_up = get_object_or_404(FollowUp.objects.select_related("contact__case"), pk=pk)
    reason = reason_for(request, "follow-ups", f"case:{follow_up.contact.case_id}")
    form = FollowUpForm(request.POST or None, initial={"status": follow_up.status, "symptoms": follow_up.symptoms})
    with with_reason(reason):
        if request.method == "POST" and form.is_valid():
            try:
                services.record_follow_up(_user(request), follow_up, **form.cleaned_data)
            except ValidationError as error:
                _errors_to_form(form, error)
            else:
                messages.success(request, _("Follow-up of %(name)s recorded.") % {"name": follow_up.contact.name})
                return redirect("health:follow-ups")
        record_access(follow_up.contact, CONTACT_FIELDS)
    return render(
        request,
        "health/follow_up_form.html",
        {"form": form, "follow_up": follow_up},
        status=422 if form.is_bound else 200,
    )


# --- Declarations, quarantines and tasks (staff) --------------------------------------------------


@staff_required(HEALTH_ROLES)
@asks_reason("quarantines", gettext_lazy("quarantines"))
def quarantine_list(request: HttpRequest) -> HttpResponse:
    reason = reason_for(request, "quarantines")
    form = QuarantineForm(request.POST or None, prefix="quarantine")
    status = 200
    if request.method == "POST":
        status = 422
        if form.is_valid():
            data = form.cleaned_data
            try:
                with with_reason(reason):
                    services.start_quarantine(
                        _user(request),
                        data["account"],
                        start_date=data["start_date"],
                        end_date=data["end_date"],
                        home_lat=data["home_lat"],
                        home_lon=data["home_lon"],
                        radius_m=data["radius_m"],
                    )
            except ValidationError as error:
                _errors_to_form(form, error)
            else:
                messages.success(request, _("Quarantine started."))
                return redirect("health:quarantines")
    context = quarantine_page_context(request)
    return render(request, "health/quarantines.html", {**context, "form": form}, status=status)


@require_POST
@staff_required(HEALTH_ROLES)
@reason_on_record("quarantines", "health:quarantines")
def task_resolve(request: HttpRequest, pk: int) -> HttpResponse:
    task = get_object_or_404(HealthTask, pk=pk)
    with with_reason(reason_for(request, "quarantines")):
        try:
            services.resolve_task(_user(request), task)
        except ValidationError as error:
            messages.error(request, " ".join(error.messages))
        else:
            messages.success(request, _("Task resolved."))
    return redirect("health:quarantines")


@staff_required(HEALTH_ROLES)
def tile(request: HttpRequest) -> HttpResponse:
    return render(request, "health/tiles/health.html", {"counts": selectors.dashboard_counts()})


# --- Residents ---------------------------------------------------------------------------------


@login_required
def my_health(request: HttpRequest) -> HttpResponse:
    context = selectors.my_health(_user(request))
    return render(request, "health/me.html", {**context, "sms_number": settings.CITYOS_HELP_SMS})


@login_required
def declare(request: HttpRequest) -> HttpResponse:
    user = _user(request)
    today = selectors.my_health(user)["today"]
    initial = (
        {"symptoms": today.symptoms, "travelled": today.travelled, "contact_with_case": today.contact_with_case}
        if today
        else {}
    )
    form = DeclarationForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            declaration = services.declare(user, **form.cleaned_data)
        except ValidationError as error:
            _errors_to_form(form, error)
        else:
            if declaration.flagged:
                messages.warning(
                    request,
                    _("Please get tested: %(reason)s. Stay at home until you have the result.")
                    % {"reason": declaration.get_flag_reason_display()},
                )
            else:
                messages.success(request, _("Thank you. Declare again tomorrow, or sooner if you feel worse."))
            return redirect("health:me")
    return render(request, "health/declare.html", {"form": form}, status=422 if form.is_bound else 200)


@login_required
def quarantine_check_in(request: HttpRequest) -> HttpResponse:
    user = _user(request)
    quarantine = services.current_quarantine(user)
    form = CheckInForm(request.POST or None)
    if request.method == "POST" and quarantine is not None:
        if form.is_valid():
            try:
                checked = services.check_in(user, lat=form.cleaned_data["lat"], lon=form.cleaned_data["lon"])
            except ValidationError as error:
                messages.error(request, " ".join(error.messages))
            else:
                if checked.inside:
                    messages.success(request, _("Checked in at home. Thank you."))
                else:
                    messages.warning(request, _("You checked in away from home. A health officer will call you."))
                return redirect("health:me")
        else:
            messages.error(request, _("Your location is missing. Allow location access and try again."))
    return render(
        request,
        "health/check_in.html",
        {"quarantine": quarantine, "form": form, "sms_number": settings.CITYOS_HELP_SMS},
    )


# --- SMS: declarations and quarantine check-ins from any phone -------------------------------------


@csrf_exempt
@require_POST
def inbound_sms(request: HttpRequest) -> JsonResponse:
    """A text to the health number: "OK" or symptom words ("FEVER COUGH").

    It records today's declaration of the resident with that phone number and, for a person in
    quarantine, counts as today's check-in (an SMS says nothing of where they are).
    """
    if not gateway_authorised(request):
        return problem(401, _("Send the gateway token as a bearer token."))
    data = gateway_payload(request)
    try:
        sender = normalise_phone(str(data.get("from") or ""))
    except ValidationError:
        return problem(400, _("The sender is not a phone number."), {"from": [_("Give the sender's phone number.")]})
    person = User.objects.residents().filter(phone=sender).first()
    text = str(data.get("text") or data.get("body") or "")
    if person is None:
        # Answered in the words' language, so the sender learns what to do (the gateway texts `reply`).
        with translation.override(services.sms_language(text) or settings.LANGUAGE_CODE):
            return problem(
                404,
                _("No resident has this phone number."),
                {"from": [_("Sign up with this number first.")]},
                action="refused",
                reply=_("This number is not signed up with the city. Sign up at %(url)s or call %(phone)s.")
                % {
                    "url": str(settings.CITYOS_BASE_URL).rstrip("/") + reverse("accounts:sign-up"),
                    "phone": settings.CITYOS_HELP_PHONE,
                },
            )
    with translation.override(person.language):
        try:
            parsed = services.parse_sms(text)
        except ValidationError as error:
            return JsonResponse({"action": "refused", "reply": " ".join(error.messages)}, status=400)
        declaration = services.declare(
            person,
            symptoms=parsed.symptoms,
            travelled=parsed.travelled,
            contact_with_case=parsed.contact_with_case,
            channel=Channel.SMS,
        )
        checked_in = False
        if services.current_quarantine(person) is not None:
            services.check_in(person, channel=Channel.SMS)
            checked_in = True
        reply = (
            _("Thank you. Please get tested: %(reason)s. Stay at home.")
            % {"reason": declaration.get_flag_reason_display()}
            if declaration.flagged
            else _("Thank you. Text again tomorrow.")
        )
    return JsonResponse(
        {"action": "declared", "flagged": declaration.flagged, "checked_in": checked_in, "reply": reply}
    )
