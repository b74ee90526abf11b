"""Housekeeping of people's records, run by the scheduler (see apps.py)."""

from __future__ import annotations

from django_tasks import task

from cityos.core.accounts import services


@task()
def forget_unconfirmed_phones() -> int:
    return services.forget_unconfirmed_phones()
