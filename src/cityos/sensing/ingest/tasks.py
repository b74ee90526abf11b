"""Periodic work of MQTT ingest."""

from __future__ import annotations

from django_tasks import task

from cityos.sensing.ingest import store


@task(queue_name="sensing")
def prune_ingest_receipts() -> int:
    """Forget message fingerprints older than CITYOS_INGEST_RECEIPT_HOURS; returns how many."""
    return store.prune_receipts()
