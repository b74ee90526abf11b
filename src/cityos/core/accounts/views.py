from __future__ import annotations

import time
from typing import Any
from urllib.parse import urlencode

import segno
from django.conf import settings
from django.contrib import messages
from django.contrib.auth import login
from django.contrib.auth.decorators import login_required
from django.contrib.auth.views import LoginView, LogoutView
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods
from django_otp import login as otp_login
from django_otp.plugins.otp_totp.models import TOTPDevice

from cityos.core.accounts import services
from cityos.core.accounts.forms import SignInForm, SignUpForm, TokenForm
from cityos.core.accounts.models import Language, User
from cityos.core.ratelimit import Refusal, retry_after, sign_up_refusal


def _safe_next(request: HttpRequest, default: str = "/") -> str:
    target = request.POST.get("next") or request.GET.get("next") or default
    if url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}):
        return target
    return default


@require_http_methods(["GET", "POST"])
def sign_up(request: HttpRequest) -> HttpResponse:
    form = SignUpForm(request.POST or None, initial={"language": request.LANGUAGE_CODE})
    refused = _sign_up_refusal(request, form.cleaned_data) if request.method == "POST" and form.is_valid() else None
    if request.method == "POST" and form.is_valid() and not refused:
        try:
            user = services.sign_up_resident(**form.cleaned_data)
        except ValidationError as error:
            for field, field_errors in error.message_dict.items():
                form.add_error(field if field in form.fields else None, field_errors)
        else:
            login(request, user, backend="cityos.core.accounts.backends.EmailOrPhoneBackend")
            messages.success(request, _("Welcome! Your account is ready."))
            response = redirect("web:me")
            response.set_cookie("django_language", user.language, samesite="Lax")
            return response
    if refused:
        form.add_error(None, refused)
    page = render(request, "accounts/sign_up.html", {"form": form}, status=429 if refused else 200)
    if refused:
        page["Retry-After"] = str(retry_after())
    return page


def _sign_up_refusal(request: HttpRequest, data: dict[str, Any]) -> str | None:
    """Why this sign-up is refused for the hour (cityos.core.ratelimit), or None."""
    refusal = sign_up_refusal(request, email=data.get("email", ""), phone=data.get("phone", ""))
    if refusal is Refusal.CLIENT:
        return _("Too many accounts were created from this connection. Try again in an hour.")
    if refusal is Refusal.TARGET:
        return _("Too many sign-ups were tried with this email address or phone number. Try again in an hour.")
    return None


# A language picked with the switcher before signing in, during this visit: kept in the session
# with when it was picked; a choice older than a visit's length is forgotten.
LANGUAGE_CHOSEN_KEY = "language_chosen"
VISIT_SECONDS = 2 * 60 * 60


def remember_language_choice(request: HttpRequest, language: str) -> None:
    """The switcher, for a visitor not signed in: the sign-in keeps this choice."""
    if language in Language.values:
        request.session[LANGUAGE_CHOSEN_KEY] = {"language": language, "at": time.time()}


def _language_chosen(request: HttpRequest) -> str | None:
    """The language picked during this visit before signing in (and forget it), if any."""
    chosen = request.session.pop(LANGUAGE_CHOSEN_KEY, None)
    if not isinstance(chosen, dict) or not isinstance(chosen.get("at"), int | float):
        return None
    if time.time() - chosen["at"] > VISIT_SECONDS or chosen.get("language") not in Language.values:
        return None
    return str(chosen["language"])


class SignInView(LoginView):
    template_name = "accounts/sign_in.html"
    authentication_form = SignInForm
    redirect_authenticated_user = True

    def form_valid(self, form: Any) -> HttpResponse:
        chosen = _language_chosen(self.request)
        response = super().form_valid(form)
        user: User = form.get_user()
        if user.is_staff:
            # Staff go through the second factor first; keep where they were going.
            # Staff land in the operations centre unless they were on their way somewhere else.
            target = self.get_redirect_url() or "/ops/"
            response = redirect(f"/accounts/verify/?{urlencode({'next': target})}")
        # A language picked with the switcher on the way in, during this visit, wins over the
        # account's saved one, through the second factor too: the person just said what they
        # read. It is also saved on the account, as picking it once signed in is, so messages
        # follow it. Without such a choice the saved language applies (a browser's language or
        # an old cookie is no choice).
        if chosen and chosen != user.language:
            services.set_language(user, chosen)
        language = chosen or user.language
        response.set_cookie(settings.LANGUAGE_COOKIE_NAME, language, samesite="Lax")
        return response


sign_in = SignInView.as_view()
sign_out = LogoutView.as_view()


@login_required
@require_http_methods(["GET", "POST"])
def verify(request: HttpRequest) -> HttpResponse:
    """The second factor for staff: a TOTP code from a confirmed device."""
    user: User = request.user  # type: ignore[assignment]
    devices = list(TOTPDevice.objects.devices_for_user(user, confirmed=True))
    if not devices:
        return redirect(f"/accounts/totp/setup/?{urlencode({'next': _safe_next(request, '/ops/')})}")
    form = TokenForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        code = form.cleaned_data["otp_token"].strip()
        for device in devices:
            allowed, _why = device.verify_is_allowed()
            if not allowed:
                form.add_error("otp_token", _("Too many wrong codes. Wait a minute, then try again."))
                break
            if device.verify_token(code):
                _second_factor_passed(request, device)
                return redirect(_safe_next(request, "/ops/"))
        else:
            form.add_error("otp_token", _("That code is not right. Codes change every 30 seconds: try the new one."))
    return render(request, "accounts/verify.html", {"form": form, "next": _safe_next(request, "/ops/")})


@login_required
@require_http_methods(["GET", "POST"])
def totp_setup(request: HttpRequest) -> HttpResponse:
    """Enrol an authenticator app: scan the QR code (or type the key), then confirm a code."""
    user: User = request.user  # type: ignore[assignment]
    if TOTPDevice.objects.devices_for_user(user, confirmed=True).exists():
        return redirect("accounts:verify")
    device, _created = TOTPDevice.objects.get_or_create(user=user, confirmed=False, defaults={"name": "authenticator"})
    form = TokenForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        if device.verify_token(form.cleaned_data["otp_token"].strip()):
            device.confirmed = True
            device.save(update_fields=["confirmed"])
            _second_factor_passed(request, device)
            messages.success(request, _("Your authenticator app is set up."))
            return redirect(_safe_next(request, "/ops/"))
        form.add_error("otp_token", _("That code is not right. Check the time on your phone and try the new code."))
    qr_svg = segno.make(device.config_url, error="m").svg_inline(scale=5, title=_("QR code for your authenticator app"))
    import base64

    secret = base64.b32encode(device.bin_key).decode()
    return render(
        request,
        "accounts/totp_setup.html",
        {"form": form, "qr_svg": qr_svg, "secret": secret, "next": _safe_next(request, "/ops/")},
    )


def _second_factor_passed(request: HttpRequest, device: TOTPDevice) -> None:
    # A new session key when the session gains staff powers, so a key seen before cannot be reused.
    request.session.cycle_key()
    otp_login(request, device)


def locked_out(
    request: HttpRequest, credentials: dict[str, Any] | None = None, *args: Any, **kwargs: Any
) -> HttpResponse:
    return render(request, "accounts/locked_out.html", status=429)
