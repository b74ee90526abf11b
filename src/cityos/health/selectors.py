"""Reads of the health module. Callers that show personal data to staff audit the read."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

from django.db.models import Count, Q, QuerySet
from django.db.models.functions import TruncDate
from django.utils import timezone

from cityos.checkin import selectors as checkin_selectors
from cityos.core.accounts.models import User
from cityos.health import conf
from cityos.health.models import (
    Case,
    Contact,
    Declaration,
    FollowUp,
    FollowUpStatus,
    HealthTask,
    Quarantine,
)


def cases(*, q: str = "", classification: str = "") -> QuerySet[Case]:
    found = Case.objects.annotate(contact_count=Count("contacts")).order_by("-created_at")
    if classification:
        found = found.filter(classification=classification)
    if q:
        found = found.filter(Q(ref__icontains=q) | Q(name__icontains=q))
    return found


def contacts(*, q: str = "", relationship: str = "") -> QuerySet[Contact]:
    found = Contact.objects.select_related("case").order_by("name")
    if relationship:
        found = found.filter(relationship=relationship)
    if q:
        found = found.filter(Q(name__icontains=q) | Q(case__ref__icontains=q))
    return found


def follow_ups_due(day: date | None = None, *, q: str = "") -> QuerySet[FollowUp]:
    day = day or timezone.localdate()
    found = (
        FollowUp.objects.filter(day=day, status=FollowUpStatus.DUE)
        .select_related("contact", "contact__case")
        .order_by("contact__name")
    )
    if q:
        found = found.filter(Q(contact__name__icontains=q) | Q(contact__case__ref__icontains=q))
    return found


def _person_matches(prefix: str, q: str) -> Q:
    return (
        Q(**{f"{prefix}first_name__icontains": q})
        | Q(**{f"{prefix}last_name__icontains": q})
        | Q(**{f"{prefix}email__icontains": q})
        | Q(**{f"{prefix}phone__icontains": q})
    )


def flagged_declarations(since: date | None = None, *, q: str = "", reason: str = "") -> QuerySet[Declaration]:
    found = Declaration.objects.filter(flagged=True).select_related("person").order_by("-day", "person_id")
    if since:
        found = found.filter(day__gte=since)
    if reason:
        found = found.filter(flag_reason=reason)
    if q:
        found = found.filter(_person_matches("person__", q))
    return found


@dataclass
class Links:
    """What the health records already know of a declaring resident."""

    cases: list[Case] = field(default_factory=list)
    contacts: list[Contact] = field(default_factory=list)


def links_for_people(person_ids: set[int]) -> dict[int, Links]:
    """Cases and contacts of these residents, to join declarations with the case database."""
    links: dict[int, Links] = {pid: Links() for pid in person_ids}
    for case in Case.objects.filter(person_id__in=person_ids):
        links[case.person_id].cases.append(case)  # type: ignore[index]
    for contact in Contact.objects.filter(person_id__in=person_ids).select_related("case"):
        links[contact.person_id].contacts.append(contact)  # type: ignore[index]
    return links


def open_tasks(*, kind: str = "", q: str = "") -> QuerySet[HealthTask]:
    found = HealthTask.objects.filter(resolved_at__isnull=True).select_related("quarantine__person")
    if kind:
        found = found.filter(kind=kind)
    return found.filter(_person_matches("quarantine__person__", q)) if q else found


def active_quarantines(day: date | None = None, *, q: str = "") -> QuerySet[Quarantine]:
    day = day or timezone.localdate()
    found = Quarantine.objects.filter(start_date__lte=day, end_date__gte=day).select_related("person")
    return found.filter(_person_matches("person__", q)) if q else found


def dashboard_counts() -> dict[str, int]:
    open_for = timedelta(days=conf.follow_up_days())
    return {
        # A case is open for one quarantine period after it was recorded.
        "open_cases": Case.objects.filter(created_at__gte=timezone.now() - open_for).count(),
        "follow_ups_due": follow_ups_due().count(),
        "flagged": flagged_declarations(since=timezone.localdate()).count(),
        "open_tasks": open_tasks().count(),
    }


@dataclass
class ChainNode:
    case: Case
    depth: int
    parent: Case | None
    children: list[ChainNode] = field(default_factory=list)


def chain_of(case: Case) -> ChainNode:
    """The tree of transmission ``case`` belongs to, from its first known case down."""
    root = case
    seen = {root.pk}
    while (parent := _parent(root)) is not None and parent.pk not in seen:
        seen.add(parent.pk)
        root = parent
    return _grow(root, depth=0, parent=None, seen=set())


def _parent(case: Case) -> Case | None:
    if case.source_contact_id is None:
        return None
    return Case.objects.select_related("source_contact__case").get(pk=case.pk).source_contact.case  # type: ignore[union-attr]


def _grow(case: Case, *, depth: int, parent: Case | None, seen: set[int]) -> ChainNode:
    seen.add(case.pk)
    node = ChainNode(case=case, depth=depth, parent=parent)
    for child in Case.objects.filter(source_contact__case=case).order_by("created_at"):
        if child.pk not in seen:
            node.children.append(_grow(child, depth=depth + 1, parent=case, seen=seen))
    return node


def flatten(node: ChainNode) -> list[ChainNode]:
    nodes = [node]
    for child in node.children:
        nodes.extend(flatten(child))
    return nodes


def my_health(person: User) -> dict[str, Any]:
    """Everything a resident's own health page shows, and nothing more."""
    today = timezone.localdate()
    return {
        "exposure_alerts": list(checkin_selectors.exposure_alerts_for(person)[:20]),
        "declarations": list(Declaration.objects.filter(person=person).order_by("-day")[:14]),
        "today": Declaration.objects.filter(person=person, day=today).first(),
        "quarantine": Quarantine.objects.filter(person=person, end_date__gte=today).order_by("start_date").first(),
        "checked_in_today": Quarantine.objects.filter(
            person=person, start_date__lte=today, end_date__gte=today, check_ins__day=today
        ).exists(),
    }


def new_cases_per_day(days: int = 28, today: date | None = None) -> list[tuple[date, int]]:
    """How many cases were recorded each day of the last ``days`` days (counts only), oldest first."""
    today = today or timezone.localdate()
    first = today - timedelta(days=days - 1)
    counts = dict(
        Case.objects.annotate(day=TruncDate("created_at"))
        .filter(day__gte=first, day__lte=today)
        .values("day")
        .annotate(n=Count("pk"))
        .values_list("day", "n")
    )
    return [(first + timedelta(days=i), counts.get(first + timedelta(days=i), 0)) for i in range(days)]
