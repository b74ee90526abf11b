from __future__ import annotations

import csv
from collections.abc import Iterator
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse, JsonResponse, StreamingHttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from cityos.core.accounts.models import User
from cityos.core.accounts.permissions import staff_required
from cityos.core.audit.models import AuditAction
from cityos.core.audit.services import record_bulk_access
from cityos.core.notifications import conf, selectors, services
from cityos.core.notifications.forms import ComposeForm, MessageFilterForm, PreferencesForm
from cityos.core.notifications.models import Message, MessageState
from cityos.core.notifications.selectors import Segment
from cityos.core.notifications.webhooks import gateway_authorised, gateway_payload, inbound_sms_fields, problem
from cityos.core.spreadsheet import in_request_language

EXPORT_COLUMNS = [
    "id",
    "created_at",
    "recipient_id",
    "address",
    "channel",
    "language",
    "template_key",
    "template_label",  # in the exporting staff member's language; the key is for machines
    "state",
    "suppressed_reason",
    "attempts",
    "sent_at",
    "delivered_at",
    "failed_at",
    "last_error",
    "broadcast_id",
    "provider_message_id",
]


def _signed_in_user(request: HttpRequest) -> User:
    user = request.user
    assert isinstance(user, User)
    return user


# --- Residents: channel preferences --------------------------------------------------------


@login_required
def preferences(request: HttpRequest) -> HttpResponse:
    user = _signed_in_user(request)
    form = PreferencesForm(request.POST or None, user=user, preference=selectors.preference_of(user))
    if request.method == "POST" and form.is_valid():
        try:
            services.set_preferences(
                user, channels=form.cleaned_data["channels"], opted_out=form.cleaned_data["opted_out"]
            )
        except ValidationError as error:
            for message in error.messages:
                form.add_error(None, message)
        else:
            if form.cleaned_data["opted_out"]:
                messages.success(request, _("Saved. You will get no messages from the city."))
            else:
                messages.success(request, _("Saved. We will use the channels you chose, in that order."))
            return redirect("notifications:preferences")
    return render(request, "notifications/preferences.html", {"form": form})


# --- Staff: the message list, export and compose --------------------------------------------


def _filtered(request: HttpRequest) -> tuple[MessageFilterForm, QuerySet[Message]]:
    """The log's messages the signed-in sender may read (their districts'), as the form filters."""
    form = MessageFilterForm(request.GET or None)
    reader = _signed_in_user(request)
    if form.is_bound and form.is_valid():
        return form, selectors.search_messages(reader=reader, **{k: v for k, v in form.cleaned_data.items() if v})
    if form.is_bound:
        return form, Message.objects.none()
    return form, selectors.search_messages(reader=reader)


@staff_required(conf.MESSAGING_ROLES)
def message_list(request: HttpRequest) -> HttpResponse:
    form, found = _filtered(request)
    page = Paginator(found, 50).get_page(request.GET.get("page"))
    shown = [m.pk for m in page if m.address]
    if shown:  # the table shows addresses: a read of personal data
        record_bulk_access(Message, shown, ["address"], description=f"{len(shown)} message addresses listed")
    query = request.GET.copy()
    query.pop("page", None)
    context: dict[str, Any] = {"form": form, "page": page, "query": query.urlencode()}
    if request.htmx:  # type: ignore[attr-defined]
        return render(request, "notifications/_messages_table.html", context)
    context["broadcasts"] = selectors.broadcasts_with_counts(limit=10)
    context["states"] = MessageState.choices
    return render(request, "notifications/list.html", context)


class _Echo:
    def write(self, value: str) -> str:
        return value


@staff_required(conf.MESSAGING_ROLES)
def export(request: HttpRequest) -> HttpResponse | StreamingHttpResponse:
    form, found = _filtered(request)
    if form.is_bound and not form.is_valid():
        return render(
            request,
            "notifications/list.html",
            {
                "form": form,
                "page": Paginator(Message.objects.none(), 50).get_page(1),
                "query": "",
                "broadcasts": selectors.broadcasts_with_counts(limit=10),
            },
            status=400,
        )
    ids = list(found.values_list("pk", flat=True))
    record_bulk_access(
        Message, ids, ["address"], action=AuditAction.EXPORT, description=f"{len(ids)} messages exported as CSV"
    )
    writer = csv.writer(_Echo())

    def value(message: Message, column: str) -> Any:
        raw = getattr(message, column)
        return raw.isoformat() if hasattr(raw, "isoformat") else raw

    def rows() -> Iterator[str]:
        yield writer.writerow(EXPORT_COLUMNS)
        for message in found.iterator(chunk_size=2000):
            yield writer.writerow([value(message, column) for column in EXPORT_COLUMNS])

    response = StreamingHttpResponse(in_request_language(rows()), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = 'attachment; filename="messages.csv"'
    return response


_FORM_FIELD = {"channels": "channel", "district_ids": "districts", "segment": None, "context": "details"}


@staff_required(conf.MESSAGING_ROLES)
def compose(request: HttpRequest) -> HttpResponse:
    form = ComposeForm(request.POST or None)
    context: dict[str, Any] = {"form": form}
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        segment = Segment(
            audience=data["audience"],
            district_ids=tuple(d.pk for d in data["districts"]),
            languages=tuple(data["languages"]),
            roles=tuple(data["roles"]),
        )
        channels = [data["channel"]] if data["channel"] else None
        details = {"details": data["details"]} if data["details"] else {}
        if request.POST.get("action") != "send":
            # First press: say how many people it reaches, then ask to confirm — only within the
            # sender's districts, so the count says nothing about districts they do not serve.
            if not services.may_message(_signed_in_user(request), segment.district_ids):
                form.add_error("districts", _("Your roles do not allow messaging this part of the city."))
                return render(request, "notifications/compose.html", context, status=400)
            context["reach"] = selectors.segment_members(segment).count()
            return render(request, "notifications/compose.html", context)
        try:
            broadcast = services.send_to_segment(
                segment, data["template_key"], details, channels, sent_by=_signed_in_user(request)
            )
        except PermissionDenied as error:
            form.add_error("districts", str(error))
        except ValidationError as error:
            for field, problems in error.message_dict.items():
                target = _FORM_FIELD.get(field, field)
                for problem in problems:
                    form.add_error(target if target in form.fields else None, problem)
        else:
            messages.success(
                request,
                _(
                    "Broadcast %(number)d is on its way to %(people)d people "
                    "(%(suppressed)d suppressed by their choices)."
                )
                % {
                    "number": broadcast.pk,
                    "people": broadcast.recipient_count,
                    "suppressed": broadcast.suppressed_count,
                },
            )
            return redirect(f"{reverse('notifications:list')}?broadcast={broadcast.pk}")
    return render(request, "notifications/compose.html", context, status=400 if form.errors else 200)


@staff_required(conf.MESSAGING_ROLES)
def tile_today(request: HttpRequest) -> HttpResponse:
    counts = selectors.messages_today_by_state()
    rows = [(label, counts[value]) for value, label in MessageState.choices]
    return render(request, "notifications/tiles/today.html", {"rows": rows})


# --- Gateways' webhooks: SMS replies (STOP/START) and delivery receipts --------------------


@csrf_exempt
@require_POST
def inbound_sms(request: HttpRequest) -> JsonResponse:
    """A reply to one of our SMS: STOP opts the sender out of everything, START back in."""
    fields = inbound_sms_fields(request)
    if isinstance(fields, JsonResponse):
        return fields
    sender, text = fields
    keyword = services.inbound_keyword(text)
    if keyword is None:
        return JsonResponse({"action": "ignored", "reply": ""})
    try:
        changed = services.set_opt_out_by_phone(sender, opted_out=keyword == "stop")
    except ValidationError as error:
        return problem(400, _("The sender is not a phone number."), error.message_dict)
    # The reply goes back by SMS, in the sender's own language.
    with translation.override(changed[0].language if changed else settings.LANGUAGE_CODE):
        reply = (
            _("You will get no more messages from the city. Text START to get them again.")
            if keyword == "stop"
            else _("You will get city messages again. Text STOP to stop them.")
        )
    return JsonResponse(
        {"action": "opted_out" if keyword == "stop" else "opted_in", "accounts": len(changed), "reply": reply}
    )


@csrf_exempt
@require_POST
def delivery_report(request: HttpRequest) -> JsonResponse:
    """A provider's receipt: {"id": provider message id, "status": "delivered" | "failed", "error": ""}."""
    if not gateway_authorised(request):
        return problem(401, _("Send the gateway token as a bearer token."))
    data = gateway_payload(request)
    try:
        message = services.record_delivery_report(
            str(data.get("id") or ""), str(data.get("status") or ""), str(data.get("error") or "")
        )
    except ValidationError as error:
        status = 404 if "id" in error.message_dict else 400
        return problem(status, _("The receipt was not accepted."), error.message_dict)
    return JsonResponse({"id": message.pk, "state": message.state})
