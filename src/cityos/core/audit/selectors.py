from __future__ import annotations

from datetime import date

from django.db.models import Q, QuerySet

from cityos.core.audit.models import AuditEntry


def search_entries(
    *,
    q: str = "",
    action: str = "",
    object_type: str = "",
    actor: str = "",
    since: date | None = None,
    until: date | None = None,
) -> QuerySet[AuditEntry]:
    entries = AuditEntry.objects.all()
    if q:
        entries = entries.filter(Q(object_repr__icontains=q) | Q(object_id=q) | Q(reason__icontains=q))
    if action:
        entries = entries.filter(action=action)
    if object_type:
        entries = entries.filter(object_type__iexact=object_type)
    if actor:
        entries = entries.filter(actor_label__iexact=actor)
    if since:
        entries = entries.filter(at__date__gte=since)
    if until:
        entries = entries.filter(at__date__lte=until)
    return entries
