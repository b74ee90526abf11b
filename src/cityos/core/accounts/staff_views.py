"""Staff look up residents and act on their behalf: the route for people without a smartphone.

The list shows masked contact details only. Opening a person asks for a reason, and every view
of their details is written to the audit log with it.
"""

from __future__ import annotations

import time
from typing import Any

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _

from cityos.core.accounts import selectors, services
from cityos.core.accounts.forms import AccessReasonForm, ResidentSearchForm, ResidentUpdateForm
from cityos.core.accounts.models import Role, User
from cityos.core.accounts.permissions import districts_in_scope, staff_required
from cityos.core.audit.context import with_reason
from cityos.core.audit.services import record_access, record_bulk_access
from cityos.core.registry import module_roles

# Roles of every department by default; a city narrows them with CITYOS_PEOPLE_DEPARTMENT.
PEOPLE_ROLES = module_roles("people", Role.SERVICE_AGENT, Role.CASEWORKER, Role.HEALTH_OFFICER)
REASON_TTL_SECONDS = 30 * 60
# What the list shows of each resident unmasked (contacts are masked, so not read).
LISTED_FIELDS = ("first_name", "last_name", "district")


def _reason_for(request: HttpRequest, person_id: int) -> str:
    granted: dict[str, Any] = request.session.get("access_reasons", {})
    entry = granted.get(str(person_id))
    if entry and time.time() - entry["at"] < REASON_TTL_SECONDS:
        return str(entry["reason"])
    return ""


def _remember_reason(request: HttpRequest, person_id: int, reason: str) -> None:
    granted: dict[str, Any] = request.session.get("access_reasons", {})
    granted[str(person_id)] = {"reason": reason, "at": time.time()}
    request.session["access_reasons"] = granted


@staff_required(PEOPLE_ROLES)
def people(request: HttpRequest) -> HttpResponse:
    form = ResidentSearchForm(request.GET or None)
    residents = User.objects.none()
    if form.is_bound and form.is_valid():
        district = form.cleaned_data["district"]
        residents = selectors.search_residents(
            q=form.cleaned_data["q"],
            district_id=district.pk if district else None,
            language=form.cleaned_data["language"],
            within_districts=districts_in_scope(request.user, PEOPLE_ROLES),
        )
    page = Paginator(residents, 25).get_page(request.GET.get("page"))
    rows = [
        {
            "person": p,
            "name": selectors.masked_name(p),
            "email": selectors.mask_email(p.email),
            "phone": selectors.mask_phone(p.phone),
        }
        for p in page
    ]
    if rows:  # names and districts of residents: a read of personal data, masked contacts aside
        record_bulk_access(
            User,
            [person.pk for person in page],
            LISTED_FIELDS,
            description=f"{len(rows)} residents listed",
        )
    template = "accounts/_people_table.html" if getattr(request, "htmx", False) else "accounts/people.html"
    return render(request, template, {"form": form, "page": page, "rows": rows})


@staff_required(PEOPLE_ROLES)
def person(request: HttpRequest, pk: int) -> HttpResponse:
    in_scope = selectors.search_residents(within_districts=districts_in_scope(request.user, PEOPLE_ROLES))
    resident = get_object_or_404(in_scope, pk=pk)
    reason = _reason_for(request, resident.pk)
    if not reason:
        form = AccessReasonForm(request.POST or None)
        if request.method == "POST" and form.is_valid():
            _remember_reason(request, resident.pk, form.cleaned_data["reason"])
            return redirect("accounts:person", pk=resident.pk)
        context = {"form": form, "resident": resident, "name": selectors.masked_name(resident)}
        return render(request, "accounts/person_reason.html", context)

    update_form = ResidentUpdateForm(
        request.POST if request.method == "POST" else None,
        initial={
            "first_name": resident.first_name,
            "last_name": resident.last_name,
            "email": resident.email or "",
            "phone": resident.phone or "",
            "language": resident.language,
        },
    )
    with with_reason(reason):
        if request.method == "POST" and update_form.is_valid():
            try:
                services.update_resident(resident, **update_form.cleaned_data)
            except ValidationError as error:
                for field, field_errors in error.message_dict.items():
                    update_form.add_error(field if field in update_form.fields else None, field_errors)
            else:
                messages.success(request, _("Saved."))
                return redirect("accounts:person", pk=resident.pk)
        record_access(resident)
    return render(request, "accounts/person.html", {"resident": resident, "form": update_form, "reason": reason})


@staff_required()
def tile_people(request: HttpRequest) -> HttpResponse:
    from django.utils import timezone

    residents = User.objects.residents()
    today = timezone.localdate()
    stats = {
        "total": residents.count(),
        "today": residents.filter(date_joined__date=today).count(),
        "phone_only": residents.filter(email__isnull=True).count(),
    }
    return render(request, "accounts/tiles/people.html", {"stats": stats})
