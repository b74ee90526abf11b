from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.db import connection
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST
from django.views.i18n import set_language as django_set_language
from django_tasks_db.models import DBTaskResult

from cityos.core.accounts import services as accounts
from cityos.core.accounts.models import Language
from cityos.core.accounts.permissions import holds_any_role, staff_required
from cityos.core.accounts.views import remember_language_choice
from cityos.core.registry import registry


def home(request: HttpRequest) -> HttpResponse:
    return render(request, "web/home.html")


@staff_required()
def ops(request: HttpRequest) -> HttpResponse:
    tiles = [t for t in registry.ordered_tiles() if holds_any_role(request.user, t.roles)]
    return render(request, "web/ops.html", {"tiles": tiles})


@staff_required()
def tile_jobs(request: HttpRequest) -> HttpResponse:
    counts = {status: DBTaskResult.objects.filter(status=status).count() for status in ("READY", "RUNNING", "FAILED")}
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


@require_POST
def set_language(request: HttpRequest) -> HttpResponse:
    """The language switcher: Django's view sets the cookie for everyone; a signed-in person's
    choice is also saved on the account, so messages and later sessions follow it."""
    response = django_set_language(request)
    language = request.POST.get("language", "")
    user = request.user
    if user.is_authenticated and language in Language.values and language != user.language:  # type: ignore[union-attr]
        accounts.set_language(user, language)  # type: ignore[arg-type]
    elif not user.is_authenticated:
        remember_language_choice(request, language)  # kept when they sign in
    return response
