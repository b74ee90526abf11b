"""Reads of ingest: dead letters with filters, device tokens with their grants."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time
from typing import Any

from django.db.models import Q, QuerySet
from django.utils import timezone

from cityos.core.accounts.models import User
from cityos.core.api.models import ApiToken
from cityos.sensing.models import Datastream, DeadLetter, PublishGrant
from cityos.sensing.sta.privacy import Visibility, only_through


@dataclass(frozen=True)
class DeadLetterFilter:
    reason: str = ""
    topic: str = ""
    search: str = ""
    since: date | None = None
    until: date | None = None
    replayed: str = ""  # "", "yes", "no"


def visible_dead_letters(user: Any) -> QuerySet[DeadLetter]:
    """The dead letters ``user`` may see: all but those of a private Thing's datastream their role
    does not cover (a home's readings), which are not there for them, as on the SensorThings API."""
    letters = DeadLetter.objects.all()
    visibility = Visibility.of(user)
    if not visibility.restricts:
        return letters
    hidden = Datastream.objects.filter(only_through("Datastream", visibility.hidden))
    return letters.exclude(datastream_id__in=hidden.values("pk"))


def dead_letters(user: Any, filters: DeadLetterFilter | None = None) -> QuerySet[DeadLetter]:
    """The dead letters ``user`` may see, newest first, narrowed by ``filters``."""
    f = filters or DeadLetterFilter()
    letters = visible_dead_letters(user).select_related("replayed_by").order_by("-received_at", "-pk")
    if f.reason:
        letters = letters.filter(reason__icontains=f.reason)
    if f.topic:
        letters = letters.filter(topic__icontains=f.topic)
    if f.search:
        letters = letters.filter(
            Q(payload__icontains=f.search) | Q(reason__icontains=f.search) | Q(topic__icontains=f.search)
        )
    zone = timezone.get_current_timezone()
    if f.since:
        letters = letters.filter(received_at__gte=datetime.combine(f.since, time.min, tzinfo=zone))
    if f.until:
        letters = letters.filter(received_at__lte=datetime.combine(f.until, time.max, tzinfo=zone))
    if f.replayed == "yes":
        letters = letters.filter(replayed_at__isnull=False)
    elif f.replayed == "no":
        letters = letters.filter(replayed_at__isnull=True)
    return letters


@dataclass(frozen=True)
class DeviceTokenRow:
    token: ApiToken
    datastream_ids: list[int]


def device_tokens(user: User) -> list[DeviceTokenRow]:
    """Tokens with publish grants that ``user`` may see (administrators: all; others: their own)."""
    from cityos.core.api.selectors import tokens_visible_to

    tokens = tokens_visible_to(user).filter(sensing_grants__isnull=False).distinct().order_by("-created_at")
    grants: dict[int, list[int]] = {}
    for token_id, datastream_id in PublishGrant.objects.filter(token__in=tokens).values_list(
        "token_id", "datastream_id"
    ):
        grants.setdefault(token_id, []).append(datastream_id)
    return [DeviceTokenRow(token, sorted(grants.get(token.pk, []))) for token in tokens]
