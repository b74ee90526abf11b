"""Reads of people, used by staff pages and the API alike."""

from __future__ import annotations

from django.db.models import Q, QuerySet

from cityos.core.accounts.models import User
from cityos.core.accounts.phones import phone_digits


def search_residents(
    *,
    q: str = "",
    district_id: int | None = None,
    language: str = "",
    within_districts: frozenset[int] | None = None,
) -> QuerySet[User]:
    """Residents matching the filters; ``within_districts`` (a staff member's scope) narrows
    them to those districts, None meaning the whole city."""
    residents = User.objects.residents().select_related("district").order_by("last_name", "first_name", "pk")
    if within_districts is not None:
        residents = residents.filter(district_id__in=within_districts)
    q = q.strip()
    if q:
        digits = phone_digits(q)  # full-width digits find a number too
        match = Q(first_name__icontains=q) | Q(last_name__icontains=q) | Q(email__icontains=q)
        if len(digits) >= 4:
            match |= Q(phone__contains=digits)
        residents = residents.filter(match)
    if district_id:
        residents = residents.filter(district_id=district_id)
    if language:
        residents = residents.filter(language=language)
    return residents


def mask_email(email: str | None) -> str:
    """``m•••@example.org``: enough to tell people apart in a list, not enough to contact them."""
    if not email or "@" not in email:
        return ""
    local, domain = email.split("@", 1)
    return f"{local[:1]}•••@{domain}"


def mask_phone(phone: str | None) -> str:
    if not phone:
        return ""
    return f"{phone[:2]}•••••{phone[-4:]}"


def masked_name(person: User) -> str:
    """How a list (or a page before a reason is given) names someone: their name, else masked contacts.

    ``display_name`` falls back to the full email or phone, which such pages must not show.
    """
    return person.get_full_name() or mask_email(person.email) or mask_phone(person.phone) or person.get_username()
