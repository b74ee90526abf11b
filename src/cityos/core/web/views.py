from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.db import connection
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django_tasks_db.models import DBTaskResult

from cityos.core.accounts.permissions import staff_required
from cityos.core.registry import registry


def home(request: HttpRequest) -> HttpResponse:
    return render(request, "web/home.html")


@staff_required()
def ops(request: HttpRequest) -> HttpResponse:
    roles = request.user.role_names()  # type: ignore[union-attr]
    tiles = [
        t
        for t in registry.ordered_tiles()
        if not t.roles or roles & set(t.roles) or "administrator" in roles
    ]
    return render(request, "web/ops.html", {"tiles": tiles})


@staff_required()
def tile_jobs(request: HttpRequest) -> HttpResponse:
    counts = {
        status: DBTaskResult.objects.filter(status=status).count()
        for status in ("READY", "RUNNING", "FAILED")
    }
    return render(request, "web/tiles/jobs.html", {"counts": counts})


@never_cache
def healthz(request: HttpRequest) -> JsonResponse:
    """Liveness and readiness: the database answers."""
    checks: dict[str, str] = {}
    healthy = True
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
        checks["database"] = "ok"
    except Exception as error:  # report, don't raise: this is the health endpoint
        checks["database"] = f"error: {error.__class__.__name__}"
        healthy = False
    return JsonResponse(
        {"status": "ok" if healthy else "error", "checks": checks, "time": timezone.now().isoformat()},
        status=200 if healthy else 503,
    )


@login_required
def me(request: HttpRequest) -> HttpResponse:
    return render(request, "web/me.html")
