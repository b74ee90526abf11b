"""Staff pages at /api-tokens/: create, list and revoke API tokens."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache

from cityos.core.accounts.models import User
from cityos.core.accounts.permissions import staff_required
from cityos.core.api.forms import RevokeForm, TokenForm
from cityos.core.api.selectors import is_administrator, tokens_visible_to
from cityos.core.api.services import issue_token, revoke_token
from cityos.core.web.templatetags.bidi import isolate


def _staff(request: HttpRequest) -> User:
    user: User = request.user  # type: ignore[assignment]
    return user


@staff_required()
def token_list(request: HttpRequest) -> HttpResponse:
    user = _staff(request)
    return render(
        request,
        "api/token_list.html",
        {"tokens": tokens_visible_to(user), "is_administrator": is_administrator(user)},
    )


@never_cache
@staff_required()
def token_create(request: HttpRequest) -> HttpResponse:
    user = _staff(request)
    form = TokenForm(request.POST or None, user=user)
    if request.method == "POST" and form.is_valid():
        try:
            issued = issue_token(
                name=form.cleaned_data["name"],
                owner=form.cleaned_data["owner"],
                scopes=form.cleaned_data["scopes"],
                created_by=user,
                expires_at=form.expires_at(),
            )
        except ValidationError as error:
            for field, field_errors in error.message_dict.items():
                form.add_error(field if field in form.fields else None, field_errors)
        else:
            # Shown in this response only: the secret is not stored and there is no page to revisit.
            return render(request, "api/token_created.html", {"token": issued.token, "secret": issued.secret})
    return render(request, "api/token_form.html", {"form": form})


@staff_required()
def token_revoke(request: HttpRequest, token_id: int) -> HttpResponse:
    user = _staff(request)
    token = get_object_or_404(tokens_visible_to(user), pk=token_id)
    form = RevokeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            revoke_token(token, by=user, reason=form.cleaned_data["reason"])
        except ValidationError as error:
            for message in error.messages:
                form.add_error("reason" if hasattr(error, "error_dict") else None, message)
        else:
            # A message is plain text: the name between the Unicode isolates, as ``|isolate`` does.
            messages.success(request, _("The token “%(name)s” is revoked.") % {"name": isolate(token.name)})
            return redirect("tokens:list")
    return render(request, "api/token_revoke.html", {"form": form, "token": token})
