"""Operators' pages: dead letters (filter, search, export, replay, delete) and device tokens."""

from __future__ import annotations

import csv
from typing import Any, cast

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse, StreamingHttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_POST

from cityos.core.accounts.models import User
from cityos.core.accounts.permissions import staff_required
from cityos.sensing.ingest import dynsec, selectors, services
from cityos.sensing.ingest.forms import DeadLetterFilterForm, DeviceTokenForm
from cityos.sensing.ingest.registration import INGEST_ROLES

PAGE_SIZE = 50


def _filter_form(request: HttpRequest) -> DeadLetterFilterForm:
    return DeadLetterFilterForm(request.GET or None)


@staff_required(INGEST_ROLES)
def dead_letters(request: HttpRequest) -> HttpResponse:
    form = _filter_form(request)
    letters = selectors.dead_letters(request.user, form.filters())
    page = Paginator(letters, PAGE_SIZE).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    return render(
        request,
        "sensing/ingest/dead_letters.html",
        {
            "form": form,
            "page": page,
            "query": query.urlencode(),
            "total": page.paginator.count,
            "export_url": f"{reverse('sensing:ingest-dead-letters-csv')}?{query.urlencode()}",
        },
    )


class _Echo:
    def write(self, value: str) -> str:
        return value


@staff_required(INGEST_ROLES)
def dead_letters_csv(request: HttpRequest) -> StreamingHttpResponse:
    letters = selectors.dead_letters(request.user, _filter_form(request).filters())
    writer = csv.writer(_Echo())
    header = ["id", "received_at", "source", "topic", "reason", "payload", "replayed_at", "replay_outcome"]

    def rows() -> Any:
        yield writer.writerow(header)
        for letter in letters.iterator(chunk_size=2000):
            yield writer.writerow(
                [
                    letter.pk,
                    letter.received_at.isoformat(),
                    letter.source,
                    letter.topic,
                    letter.reason,
                    letter.payload,
                    letter.replayed_at.isoformat() if letter.replayed_at else "",
                    letter.replay_outcome,
                ]
            )

    response = StreamingHttpResponse(rows(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = 'attachment; filename="dead-letters.csv"'
    return response


def _selected(request: HttpRequest) -> list[int]:
    ids: list[int] = []
    for value in request.POST.getlist("ids"):
        if value.isdigit():
            ids.append(int(value))
    return ids


def _back(request: HttpRequest) -> str:
    query = request.POST.get("query", "")
    return reverse("sensing:ingest-dead-letters") + (f"?{query}" if query else "")


@require_POST
@staff_required(INGEST_ROLES)
def dead_letters_action(request: HttpRequest) -> HttpResponse:
    ids = _selected(request)
    action = request.POST.get("action", "")
    one = request.POST.get("one", "")
    if one.isdigit():  # a row's own Replay button
        ids, action = [int(one)], "replay"
    if not ids:
        messages.error(request, _("Select at least one dead letter."))
        return redirect(_back(request))
    if action == "delete":
        count = services.delete_dead_letters(ids, by=cast(User, request.user))
        messages.success(
            request,
            ngettext("Deleted %(count)d dead letter.", "Deleted %(count)d dead letters.", count) % {"count": count},
        )
    elif action == "replay":
        letters = services.replay_dead_letters(ids, by=cast(User, request.user))
        stored = sum(1 for letter in letters if letter.replay_outcome.startswith("Stored"))
        messages.success(
            request,
            ngettext(
                "Replayed %(count)d dead letter; %(stored)d stored, the others failed again (see their outcome).",
                "Replayed %(count)d dead letters; %(stored)d stored, the others failed again (see their outcome).",
                len(letters),
            )
            % {"count": len(letters), "stored": stored},
        )
    else:
        messages.error(request, _("Choose replay or delete."))
    return redirect(_back(request))


@staff_required(INGEST_ROLES)
def grants(request: HttpRequest) -> HttpResponse:
    user = cast(User, request.user)
    form = DeviceTokenForm(request.POST or None)
    issued = None
    if request.method == "POST" and form.is_valid():
        try:
            issued = services.issue_device_token(
                name=form.cleaned_data["name"], datastream_ids=form.cleaned_data["datastreams"], by=user
            )
        except ValidationError as error:
            for field, errors in error.message_dict.items():
                for message in errors:
                    form.add_error(field if field in form.fields else None, message)
        except dynsec.BrokerError as error:
            form.add_error(
                None,
                _("The MQTT broker did not take the device's login, so no token was issued: %(reason)s")
                % {"reason": error},
            )
        else:
            form = DeviceTokenForm()
    return render(
        request,
        "sensing/ingest/grants.html",
        {"form": form, "issued": issued, "rows": selectors.device_tokens(user)},
    )
