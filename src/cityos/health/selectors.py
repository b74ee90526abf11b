"""Reads of the health module. Callers that show personal data to staff audit the read."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

from django.db.models import Count, Q, QuerySet
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


def follow_ups_due(day: date | None = None) -> QuerySet[FollowUp]:
    day = day or timezone.localdate()
    return (
        FollowUp.objects.filter(day=day, status=FollowUpStatus.DUE)
        .select_related("contact", "contact__case")
        .order_by("contact__name")
    )


def flagged_declarations(since: date | None = None) -> QuerySet[Declaration]:
    found = Declaration.objects.filter(flagged=True).select_related("person").order_by("-day", "person_id")
    if since:
        found = found.filter(day__gte=since)
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


def open_tasks() -> QuerySet[HealthTask]:
    return HealthTask.objects.filter(resolved_at__isnull=True).select_related("quarantine__person")


def active_quarantines(day: date | None = None) -> QuerySet[Quarantine]:
    day = day or timezone.localdate()
    return Quarantine.objects.filter(start_date__lte=day, end_date__gte=day).select_related("person")


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
