from __future__ import annotations

from pathlib import Path

from django_tasks import task


@task()
def record_heartbeat(path: str = "") -> None:
    if path:
        Path(path).write_text("beat")
