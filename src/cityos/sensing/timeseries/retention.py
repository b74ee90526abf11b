"""Retention: raw observations older than their datastream keeps them are deleted; rollups stay.

Each datastream keeps raw observations for ``Datastream.retention_days`` days, else the city's
default ``CITYOS_SENSING_RETENTION_DAYS`` (empty: forever). The cut-off is moved back to the
start of its day, so every day that still has raw observations has all of them and its
rollups can be rebuilt from them. Rows go in bounded batches, each its own short transaction,
so ingest never waits long behind the job.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db import transaction
from django.utils import timezone

from cityos.core.audit.services import record_retention
from cityos.core.conf import module_setting
from cityos.sensing.models import Datastream, Observation
from cityos.sensing.timeseries.rollups import day_start

logger = logging.getLogger(__name__)
BATCH = 10_000


def default_retention_days() -> int | None:
    """CITYOS_SENSING_RETENTION_DAYS: days of raw observations kept by default; empty keeps them forever."""
    value = module_setting("CITYOS_SENSING_RETENTION_DAYS", "").strip()
    if not value:
        return None
    days = int(value)
    if days < 1:
        raise ValueError("CITYOS_SENSING_RETENTION_DAYS must be a whole number of days, 1 or more, or empty.")
    return days


@dataclass(frozen=True)
class RetentionOutcome:
    deleted: int
    datastreams: int


def cutoff(days: int, now: datetime) -> datetime:
    return day_start(now - timedelta(days=days))


def delete_before(datastream_id: int, before: datetime, *, batch: int = BATCH) -> int:
    """Deletes the datastream's raw observations older than ``before``, ``batch`` rows per transaction."""
    deleted = 0
    while True:
        with transaction.atomic():
            ids = list(
                Observation.objects.filter(datastream_id=datastream_id, phenomenon_time_start__lt=before)
                .order_by("phenomenon_time_start")
                .values_list("id", flat=True)[:batch]
            )
            if not ids:
                return deleted
            Observation.objects.filter(pk__in=ids)._raw_delete(Observation.objects.db)  # type: ignore[attr-defined]
        deleted += len(ids)


def apply_retention(now: datetime | None = None, *, batch: int = BATCH) -> RetentionOutcome:
    """Runs retention over every datastream; reports what went to the log and the audit trail."""
    from cityos.sensing.services import recompute_time_ranges

    now = now or timezone.now()
    default = default_retention_days()
    datastreams = Datastream.objects.filter(phenomenon_time_start__isnull=False)
    if default is None:
        datastreams = datastreams.filter(retention_days__isnull=False)
    deleted, touched = 0, 0
    for pk, days, first in datastreams.order_by("pk").values_list("pk", "retention_days", "phenomenon_time_start"):
        keep = days or default
        if keep is None:
            continue
        before = cutoff(keep, now)
        if first is None or first >= before:  # nothing old enough: no scan at all
            continue
        count = delete_before(pk, before, batch=batch)
        if count:
            with transaction.atomic():
                recompute_time_ranges([pk], latest=False)
            deleted += count
            touched += 1
            logger.info("Retention: deleted %d observations of Datastream(%d) before %s", count, pk, before)
    if deleted:
        record_retention(
            Observation._meta.label,
            deleted,
            f"raw observations past their datastream's retention, from {touched} datastreams (rollups kept)",
        )
    return RetentionOutcome(deleted, touched)
