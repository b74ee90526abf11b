"""Periodic work of MQTT ingest."""

from __future__ import annotations

from django_tasks import task

from cityos.sensing.ingest import dynsec, store


@task(queue_name="sensing")
def prune_ingest_receipts() -> int:
    """Forget message fingerprints older than CITYOS_INGEST_RECEIPT_HOURS; returns how many."""
    return store.prune_receipts()


@task(queue_name="sensing")
def sync_mqtt_logins() -> str:
    """Mosquitto's device logins and their ACLs made to match the tokens and grants (dynsec)."""
    if not dynsec.enabled():
        return "CITYOS_MQTT_DYNSEC is off"
    outcome = dynsec.reconcile()
    return f"removed {len(outcome.removed)} login(s), updated {len(outcome.updated)} role(s)"
