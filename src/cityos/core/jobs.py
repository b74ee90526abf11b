"""Jobs: one-off tasks are django-tasks ``@task`` functions; periodic ones are declared in the
registry and enqueued by the scheduler here.

The schedule lives in the database (``web.PeriodicJobState``), and each due job is claimed
under a row lock, so any number of workers can run the scheduler and each job is still
enqueued once per period.
"""

from __future__ import annotations

import logging
import threading
from datetime import datetime

from django.db import transaction
from django.utils import timezone

from cityos.core.registry import registry

logger = logging.getLogger(__name__)


def enqueue_due_jobs(now: datetime | None = None) -> list[str]:
    """Enqueue every periodic job whose time has come; return their names."""
    from cityos.core.web.models import PeriodicJobState

    now = now or timezone.now()
    enqueued: list[str] = []
    for job in registry.periodic_jobs.values():
        with transaction.atomic():
            PeriodicJobState.objects.get_or_create(name=job.name, defaults={"next_run_at": now})
            state = PeriodicJobState.objects.select_for_update().get(name=job.name)
            if state.next_run_at > now:
                continue
            result = job.task.enqueue()
            state.last_enqueued_at = now
            state.last_result_id = str(result.id)
            state.next_run_at = now + job.every
            state.save(update_fields=["last_enqueued_at", "last_result_id", "next_run_at"])
        enqueued.append(job.name)
        logger.info("periodic job enqueued", extra={"job": job.name})
    return enqueued


class Scheduler(threading.Thread):
    """Calls :func:`enqueue_due_jobs` every ``interval`` seconds until stopped."""

    def __init__(self, interval: float = 10.0) -> None:
        super().__init__(name="cityos-scheduler", daemon=True)
        self.interval = interval
        self._stop_event = threading.Event()

    def run(self) -> None:
        from django.db import close_old_connections

        while not self._stop_event.is_set():
            try:
                enqueue_due_jobs()
            except Exception:
                logger.exception("scheduler tick failed")
            finally:
                close_old_connections()
            self._stop_event.wait(self.interval)

    def stop(self) -> None:
        self._stop_event.set()


def start_background_services() -> None:
    """Starts every app's background services (see Registry.add_background_service) in this process."""
    from cityos.core.registry import registry

    for service in registry.background_services.values():
        try:
            service.start()
        except Exception:  # one app's service must not keep the others or the server down
            logger.exception("background service failed to start", extra={"service": service.name})


def start_in_process_workers(threads: int = 2, interval: float = 1.0) -> list[threading.Thread]:
    """For the demo: a scheduler, worker threads and the apps' background services in the web process."""
    from django_tasks_db.management.commands.db_worker import Worker

    start_background_services()
    started: list[threading.Thread] = [Scheduler()]
    for index in range(threads):
        worker = Worker(
            queue_names=["*"],
            interval=interval,
            batch=False,
            backend_name="default",
            startup_delay=index > 0,
            max_tasks=None,
            worker_id=f"in-process-{index}",
            excluded_queue_names=[],
        )
        started.append(threading.Thread(target=worker.run, name=f"cityos-worker-{index}", daemon=True))
    for thread in started:
        thread.start()
    return started
