"""The reason gate in front of health records, one for every staff page.

Health staff give a reason before they see a case, a list of people or a follow-up; the
reason is kept in the session for 30 minutes under a key (``"cases"``, ``"quarantines"``,
``"case:12"``) and every read or write made meanwhile is audited with it. A page asks for the
reason itself (:func:`asks_reason`); an export or an action posted from a page works only
under the reason given on that page (:func:`reason_on_record`).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from functools import wraps
from typing import Any, Concatenate, ParamSpec

from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.functional import Promise

from cityos.core.accounts.forms import AccessReasonForm

REASON_TTL_SECONDS = 30 * 60
SESSION_KEY = "health_reasons"

P = ParamSpec("P")
View = Callable[Concatenate[HttpRequest, P], HttpResponse]


def reason_for(request: HttpRequest, *keys: str) -> str:
    """The reason on record for the first of ``keys`` that has one still fresh, else ``""``."""
    granted: dict[str, Any] = request.session.get(SESSION_KEY, {})
    for key in keys:
        entry = granted.get(key)
        if entry and time.time() - entry["at"] < REASON_TTL_SECONDS:
            return str(entry["reason"])
    return ""


def remember(request: HttpRequest, key: str, reason: str) -> None:
    granted: dict[str, Any] = request.session.get(SESSION_KEY, {})
    granted[key] = {"reason": reason, "at": time.time()}
    request.session[SESSION_KEY] = granted


def ask_reason(
    request: HttpRequest, key: str, what: str | Promise, *, also: tuple[str, ...] = ()
) -> HttpResponse | None:
    """None when a reason for ``key`` (or one of ``also``) is on record; otherwise the page that asks
    for one for ``key``, or, once answered, a redirect back to the page asked for."""
    if reason_for(request, key, *also):
        return None
    answered = request.method == "POST" and "reason" in request.POST
    form = AccessReasonForm(request.POST if answered else None)
    if form.is_bound and form.is_valid():
        remember(request, key, form.cleaned_data["reason"])
        return redirect(request.get_full_path())
    return render(request, "health/reason.html", {"form": form, "what": str(what)})


def asks_reason(
    key: str, what: str | Promise, *, also: Callable[..., str] | None = None
) -> Callable[[View[P]], View[P]]:
    """A page shown once a reason for ``key`` is on record, else the page asks for one.

    ``also`` names, from the page's URL arguments, another key whose reason opens it too (a
    follow-up opens under the reason given for its case)."""

    def decorate(view: View[P]) -> View[P]:
        @wraps(view)
        def wrapped(request: HttpRequest, *args: P.args, **kwargs: P.kwargs) -> HttpResponse:
            other = (also(*args, **kwargs),) if also else ()
            return ask_reason(request, key, what, also=other) or view(request, *args, **kwargs)

        return wrapped

    return decorate


def reason_on_record(key: str, page: str) -> Callable[[View[P]], View[P]]:
    """An export or an action: done only under the reason given on its page (the URL name
    ``page``), else back to that page to give one."""

    def decorate(view: View[P]) -> View[P]:
        @wraps(view)
        def wrapped(request: HttpRequest, *args: P.args, **kwargs: P.kwargs) -> HttpResponse:
            return view(request, *args, **kwargs) if reason_for(request, key) else redirect(page)

        return wrapped

    return decorate
