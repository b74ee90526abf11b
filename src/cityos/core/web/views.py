from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.db import connection
from django.forms import Form
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods, require_POST
from django.views.i18n import set_language as django_set_language
from django_tasks_db.models import DBTaskResult

from cityos.core.accounts import services as accounts
from cityos.core.accounts.forms import ContactDetailsForm, PhoneCodeForm
from cityos.core.accounts.models import Language, User
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


def _person(request: HttpRequest) -> User:
    user = request.user
    assert isinstance(user, User)
    return user


def _add_errors(form: Form, error: ValidationError) -> None:
    """A service's errors next to the fields they name (the rest above the form)."""
    for field, field_errors in error.message_dict.items():
        form.add_error(field if field in form.fields else None, field_errors)


@login_required
def me(request: HttpRequest) -> HttpResponse:
    pending = accounts.pending_phone_change(_person(request))
    return render(request, "web/me.html", {"pending_phone": pending.phone if pending else None})


@login_required
@never_cache
@require_http_methods(["GET", "POST"])
def me_edit(request: HttpRequest) -> HttpResponse:
    """A person changes their own name, phone, email and language (``accounts.change_own_details``)."""
    user = _person(request)
    pending = accounts.pending_phone_change(user)
    form = ContactDetailsForm(request.POST or None, user=user, pending_phone=pending.phone if pending else None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            change = accounts.change_own_details(
                user,
                current_password=data.get("current_password", ""),
                first_name=data["first_name"],
                last_name=data["last_name"],
                email=data["email"],
                # Only a number typed in: the one shown may be waiting for its code already, and
                # saving the name alone must not text it again.
                phone=data["phone"] if "phone" in form.changed_data else None,
                language=data["language"],
            )
        except ValidationError as error:
            _add_errors(form, error)
        else:
            # Said in the language just chosen: the next page is in it.
            with translation.override(user.language):
                if change.code_sent:
                    messages.success(
                        request,
                        _("We texted a code to %(phone)s. Enter it here to start using this number.")
                        % {"phone": change.phone_pending},
                    )
                else:
                    messages.success(request, _("Your details are saved."))
            response = redirect("web:me-phone" if change.code_sent else "web:me")
            response.set_cookie(settings.LANGUAGE_COOKIE_NAME, user.language, samesite="Lax")
            return response
    return render(request, "web/me_edit.html", {"form": form, "pending_phone": pending.phone if pending else None})


@login_required
@never_cache
@require_http_methods(["GET", "POST"])
def me_phone(request: HttpRequest) -> HttpResponse:
    """Enter the code texted to a new phone number; or have a new code sent, or keep the old number."""
    user = _person(request)
    pending = accounts.pending_phone_change(user)
    if pending is None:
        return redirect("web:me")
    action = request.POST.get("action", "confirm")
    form = PhoneCodeForm(request.POST if request.method == "POST" and action == "confirm" else None)
    if request.method == "POST" and action == "cancel":
        accounts.cancel_phone_change(user)
        messages.success(request, _("Your phone number was not changed."))
        return redirect("web:me")
    if request.method == "POST" and action == "resend":
        try:
            accounts.resend_phone_code(user)
        except ValidationError as error:
            for message in error.messages:
                messages.error(request, message)
        else:
            messages.success(request, _("We texted a new code to %(phone)s.") % {"phone": pending.phone})
        return redirect("web:me-phone")
    if request.method == "POST" and form.is_valid():
        try:
            accounts.confirm_phone(user, form.cleaned_data["code"])
        except ValidationError as error:
            _add_errors(form, error)
        else:
            messages.success(
                request,
                _("Your phone number is confirmed. City texts now go to %(phone)s.") % {"phone": user.phone},
            )
            return redirect("web:me")
    minutes = int(accounts.CODE_VALID_FOR.total_seconds() // 60)
    return render(request, "web/me_phone.html", {"form": form, "pending_phone": pending.phone, "code_minutes": minutes})


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
