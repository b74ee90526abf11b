"""Retention of cases, contacts, follow-ups and declarations (run daily by a job).

A case is closed once the quarantine period after it was recorded has passed and the last
follow-up of its contacts is over; it is kept ``CITYOS_HEALTH_CASE_RETENTION_DAYS`` after that
and then deleted with its visits, contacts and follow-ups. A declaration is kept
``CITYOS_HEALTH_DECLARATION_RETENTION_DAYS`` after its day. Each deletion writes one
``retention`` audit entry with the count, never who.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from django.db import transaction
from django.db.models import Max, Q
from django.utils import timezone

from cityos.core.audit.services import record_retention
from cityos.health import conf
from cityos.health.models import Case, Contact, Declaration, FollowUp


@dataclass(frozen=True)
class Purged:
    cases: int = 0
    contacts: int = 0
    follow_ups: int = 0
    declarations: int = 0


def closed_cases_past_retention(today: date) -> list[int]:
    """Ids of cases closed more than the retention period before ``today``."""
    closed_before = today - timedelta(days=conf.case_retention_days())
    # Recorded this long ago, the case's own quarantine period is over by ``closed_before``.
    recorded_before = closed_before - timedelta(days=conf.follow_up_days())
    start_of_day = timezone.make_aware(datetime.combine(recorded_before, time.min))
    return list(
        Case.objects.filter(created_at__lt=start_of_day)
        .annotate(last_follow_up=Max("contacts__follow_ups__day"))
        .filter(Q(last_follow_up__isnull=True) | Q(last_follow_up__lt=closed_before))
        .values_list("pk", flat=True)
    )


def purge_expired(today: date | None = None) -> Purged:
    """Delete cases (with contacts and follow-ups) and declarations past their retention; audited."""
    today = today or timezone.localdate()
    with transaction.atomic():
        case_ids = closed_cases_past_retention(today)
        contacts = Contact.objects.filter(case_id__in=case_ids)
        contact_count = contacts.count()
        follow_up_count = FollowUp.objects.filter(contact__in=contacts).count()
        if case_ids:
            # Visits, contacts and follow-ups go with their case (on_delete=CASCADE).
            Case.objects.filter(pk__in=case_ids).delete()
            record_retention(
                Case._meta.label,
                len(case_ids),
                f"{len(case_ids)} cases closed over {conf.case_retention_days()} days ago, "
                f"with {contact_count} contacts and {follow_up_count} follow-ups",
            )
        declarations_before = today - timedelta(days=conf.declaration_retention_days())
        declaration_count, _ = Declaration.objects.filter(day__lt=declarations_before).delete()
        if declaration_count:
            record_retention(
                Declaration._meta.label,
                declaration_count,
                f"{declaration_count} declarations older than {conf.declaration_retention_days()} days",
            )
    return Purged(
        cases=len(case_ids), contacts=contact_count, follow_ups=follow_up_count, declarations=declaration_count
    )
