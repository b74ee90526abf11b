"""Background work of epi: the hourly refresh of the public dashboard."""

from __future__ import annotations

from django.conf import settings
from django_tasks import task

from cityos.core.audit.context import Actor, acting_as
from cityos.epi import refresh, views

JOB_ACTOR = Actor(label="epi", channel="job")


@task(queue_name="epi")
def refresh_dashboard() -> str:
    """Recompute Rt, forecasts, accuracy, risk and hospital capacity; return the data's last day."""
    with acting_as(JOB_ACTOR):
        as_of = str(refresh.refresh_dashboard().data["as_of"])
    # The refresh dropped the cached pages; render them again now, so no visitor waits for it
    # (where the cache is shared, every server process gets them).
    for language, _name in settings.LANGUAGES:
        views.dashboard_body(language)
    return as_of
