"""Pages: residents' preferences, staff's compose and message list, the tile and the webhooks."""

from __future__ import annotations

import csv
import io
import json

import pytest
from django.test import Client
from django.urls import reverse

from cityos.core.accounts.models import Role
from cityos.core.accounts.tests.factories import ResidentFactory
from cityos.core.audit.models import AuditAction, AuditEntry
from cityos.core.geo.tests.factories import DistrictFactory
from cityos.core.notifications import services
from cityos.core.notifications.models import Broadcast, ChannelPreference, Message, MessageState
from cityos.core.notifications.selectors import preference_of

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("immediate_tasks")]

PREFERENCES = reverse("notifications:preferences")
COMPOSE = reverse("notifications:compose")
LIST = reverse("notifications:list")
EXPORT = reverse("notifications:export")


def signed_in(user) -> Client:
    client = Client()
    client.force_login(user, backend="cityos.core.accounts.backends.EmailOrPhoneBackend")
    return client


def ranks(**chosen: str) -> dict[str, str]:
    form = {f"rank_{c}": "" for c in ("email", "sms", "whatsapp", "voice")}
    form.update({f"rank_{c}": n for c, n in chosen.items()})
    return form


# --- Residents' preferences ------------------------------------------------------------------


def test_a_resident_orders_their_channels():
    person = ResidentFactory(phone="+14155550130")
    client = signed_in(person)
    page = client.get(PREFERENCES)
    assert page.status_code == 200 and "Message preferences" in page.text

    response = client.post(PREFERENCES, ranks(sms="1", email="2"), follow=True)

    assert "Saved" in response.text
    assert preference_of(person).channels == ["sms", "email"]
    assert not preference_of(person).opted_out


def test_a_resident_opts_out_of_everything():
    person = ResidentFactory()
    response = signed_in(person).post(PREFERENCES, {**ranks(email="1"), "opted_out": "on"}, follow=True)
    assert "no messages" in response.text
    assert preference_of(person).opted_out


@pytest.mark.parametrize(
    ("phone", "form", "field", "says"),
    [
        ("+14155550131", ranks(email="1", sms="1"), "rank_sms", "already has this choice number"),
        (None, ranks(sms="1"), "rank_sms", "Add a phone number"),
        (None, ranks(), None, "Choose at least one channel"),
        (None, ranks(email="9"), "rank_email", "Select a valid choice"),
    ],
)
def test_bad_preferences_are_refused_with_the_field_named(phone, form, field, says):
    person = ResidentFactory(phone=phone)
    response = signed_in(person).post(PREFERENCES, form)
    assert response.status_code == 200
    errors = response.context["form"].errors
    assert says in " ".join(errors.get(field or "__all__", [])), errors
    assert not ChannelPreference.objects.filter(user=person).exists()


def test_preferences_need_a_signed_in_person():
    response = Client().get(PREFERENCES)
    assert response.status_code == 302 and "sign-in" in response["Location"]


# --- Who may compose and read messages -----------------------------------------------------


@pytest.mark.parametrize("url", [LIST, COMPOSE, EXPORT, reverse("notifications:tile-today")])
def test_residents_and_data_publishers_cannot_see_or_compose_messages(url, staff_client):
    assert signed_in(ResidentFactory()).get(url).status_code == 403
    _publisher, client = staff_client(Role.DATA_PUBLISHER)
    assert client.get(url).status_code == 403
    assert Client().get(url).status_code == 302


def test_staff_without_their_second_factor_are_sent_to_verify_first():
    from cityos.core.accounts.tests.factories import StaffFactory

    response = signed_in(StaffFactory(roles=[Role.OPERATOR])).get(COMPOSE)
    assert response.status_code == 302 and "verify" in response["Location"]


@pytest.fixture
def district(db):
    return DistrictFactory(name="Harbour")


def test_an_operator_checks_the_reach_then_sends_a_broadcast(
    staff_client, welcome, district, django_capture_on_commit_callbacks
):
    for _ in range(3):
        ResidentFactory(district=district)
    operator, client = staff_client(Role.OPERATOR)
    form = {"template_key": "welcome", "channel": "", "audience": "residents", "districts": [district.pk]}

    preview = client.post(COMPOSE, {**form, "action": "preview"})
    assert preview.status_code == 200 and preview.context["reach"] == 3
    assert not Broadcast.objects.exists()

    with django_capture_on_commit_callbacks(execute=True):
        sent = client.post(COMPOSE, {**form, "action": "send"})

    broadcast = Broadcast.objects.get()
    assert sent.status_code == 302 and sent["Location"].endswith(f"?broadcast={broadcast.pk}")
    assert broadcast.created_by == operator and broadcast.recipient_count == 3
    assert set(Message.objects.values_list("state", flat=True)) == {MessageState.SENT}


@pytest.mark.parametrize(
    ("form", "field", "says"),
    [
        ({"template_key": "", "audience": "residents"}, "template_key", "This field is required"),
        ({"template_key": "nope", "audience": "residents"}, "template_key", "Select a valid choice"),
        ({"template_key": "welcome", "audience": "martians"}, "audience", "Select a valid choice"),
        ({"template_key": "welcome", "audience": "residents", "channel": "fax"}, "channel", "Select a valid choice"),
        (
            {"template_key": "welcome", "audience": "residents", "languages": ["fr"]},
            "languages",
            "Select a valid choice",
        ),
        ({"template_key": "welcome", "audience": "residents", "languages": ["zh-hant"]}, "__all__", "No one matches"),
        ({"template_key": "welcome", "audience": "residents", "roles": ["operator"]}, "roles", "Roles choose staff"),
        ({"template_key": "welcome", "audience": "residents", "details": "x" * 1001}, "details", "at most 1000"),
    ],
)
def test_a_bad_broadcast_is_refused_with_the_field_named(staff_client, welcome, district, form, field, says):
    ResidentFactory(district=district)
    _operator, client = staff_client(Role.OPERATOR)
    response = client.post(COMPOSE, {**form, "action": "send"})
    assert response.status_code == 400
    errors = response.context["form"].errors
    assert says in " ".join(errors.get(field, [])), errors
    assert not Broadcast.objects.exists()


def test_a_district_scoped_operator_cannot_message_the_whole_city(staff_client, welcome, district):
    ResidentFactory(district=district)
    operator, client = staff_client(Role.OPERATOR)
    operator.staff_roles.get().districts.set([DistrictFactory()])
    response = client.post(COMPOSE, {"template_key": "welcome", "audience": "residents", "action": "send"})
    assert response.status_code == 400
    assert "do not allow" in " ".join(response.context["form"].errors["districts"])
    assert not Broadcast.objects.exists()


def test_the_reach_of_districts_outside_a_senders_scope_is_not_shown(staff_client, welcome, district):
    ResidentFactory(district=district)
    operator, client = staff_client(Role.OPERATOR)
    operator.staff_roles.get().districts.set([DistrictFactory()])
    response = client.post(COMPOSE, {"template_key": "welcome", "audience": "residents", "districts": [district.pk]})
    assert response.status_code == 400
    assert "reach" not in response.context
    assert "do not allow" in " ".join(response.context["form"].errors["districts"])


# --- The list, the export and the tile ---------------------------------------------------------


@pytest.fixture
def sent_messages(welcome, django_capture_on_commit_callbacks):
    people = [ResidentFactory(email=f"listed{i}@example.org") for i in range(3)]
    ChannelPreference.objects.create(user=people[2], channels=["email"], opted_out=True)
    with django_capture_on_commit_callbacks(execute=True):
        return [services.send_to_person(p, "welcome") for p in people]


def test_staff_see_messages_with_their_state_and_the_read_is_audited(staff_client, sent_messages):
    _agent, client = staff_client(Role.SERVICE_AGENT)
    page = client.get(LIST)
    assert page.status_code == 200
    assert "listed0@example.org" in page.text and "Suppressed" in page.text and "Sent" in page.text
    entry = AuditEntry.objects.filter(action=AuditAction.READ, object_type="notifications.Message").get()
    assert entry.fields == ["address"] and entry.changes["count"] == 2  # the suppressed one shows no address


@pytest.mark.parametrize(
    ("language", "name"), [("en", "Welcome message"), ("zh-hant", "歡迎訊息"), ("es", "Mensaje de bienvenida")]
)
def test_staff_see_what_each_message_was_by_its_name_in_their_language(staff_client, sent_messages, language, name):
    _agent, client = staff_client(Role.SERVICE_AGENT)
    page = client.get(LIST, HTTP_ACCEPT_LANGUAGE=language)
    # The name first; the key stays, muted, for support staff.
    assert f'{name}<br><span class="muted" translate="no">welcome</span>' in page.text
    compose = client.get(COMPOSE, HTTP_ACCEPT_LANGUAGE=language)
    assert f'<option value="welcome">{name}</option>' in compose.text


def test_a_template_no_app_names_is_shown_by_its_key(staff_client):
    from cityos.core.notifications.models import MessageTemplate

    MessageTemplate.objects.create(key="city_own_note", language="en", body="A note from the city.")
    services.send_to_address("+14155550143", "sms", "city_own_note")
    _agent, client = staff_client(Role.SERVICE_AGENT)
    page = client.get(LIST, HTTP_ACCEPT_LANGUAGE="es")
    assert "<td>city_own_note</td>" in page.text


def test_staff_find_messages_by_the_name_they_see_in_their_language(staff_client, sent_messages):
    _agent, client = staff_client(Role.SERVICE_AGENT)
    found = client.get(LIST, {"q": "bienvenida"}, HTTP_ACCEPT_LANGUAGE="es")
    assert "3 mensajes" in found.text
    none = client.get(LIST, {"q": "bienvenida"}, HTTP_ACCEPT_LANGUAGE="en")  # not the name in English
    assert "No messages match." in none.text


def test_the_list_filters_by_state_and_answers_htmx_with_the_table(staff_client, sent_messages):
    _operator, client = staff_client(Role.OPERATOR)
    page = client.get(LIST, {"state": "suppressed"}, HTTP_HX_REQUEST="true")
    assert page.status_code == 200 and "<h1>" not in page.text
    assert "1 message" in page.text and "listed0@example.org" not in page.text


def test_a_bad_filter_is_refused_with_the_field_named(staff_client, sent_messages):
    _operator, client = staff_client(Role.OPERATOR)
    page = client.get(LIST, {"since": "2026-02-02", "until": "2026-01-01", "broadcast": "x"})
    errors = page.context["form"].errors
    assert "start date" in errors["until"][0] and "whole number" in errors["broadcast"][0]
    assert bad_export(client).status_code == 400


def bad_export(client):
    return client.get(EXPORT, {"state": "lost"})


def test_the_csv_export_has_every_message_and_is_audited_as_an_export(staff_client, sent_messages):
    _officer, client = staff_client(Role.HEALTH_OFFICER)
    response = client.get(EXPORT, HTTP_ACCEPT_LANGUAGE="es")
    assert response["Content-Type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(b"".join(response.streaming_content).decode())))
    assert sorted(r["state"] for r in rows) == ["sent", "sent", "suppressed"]
    # The key for machines, the name in the exporting staff member's language for people.
    assert {(r["template_key"], r["template_label"]) for r in rows} == {("welcome", "Mensaje de bienvenida")}
    assert AuditEntry.objects.get(action=AuditAction.EXPORT).changes["count"] == 3


def test_the_operations_tile_counts_todays_messages_by_state(staff_client, sent_messages):
    _operator, client = staff_client(Role.OPERATOR)
    tile = client.get(reverse("notifications:tile-today"))
    assert tile.status_code == 200
    assert dict(tile.context["rows"])["Sent"] == 2 and dict(tile.context["rows"])["Suppressed"] == 1
    ops = client.get(reverse("web:ops"))
    assert reverse("notifications:tile-today") in ops.text


# --- Webhooks: SMS replies and delivery receipts -----------------------------------------------


@pytest.fixture
def gateway_token(settings):
    settings.CITYOS_GATEWAY_TOKEN = "hook-secret"
    return {"HTTP_AUTHORIZATION": "Bearer hook-secret"}


def hook(name, data, headers, content_type="application/json"):
    body = json.dumps(data) if content_type == "application/json" else data
    return Client().post(reverse(f"notifications:{name}"), body, content_type=content_type, **headers)


def test_stop_by_sms_opts_out_and_start_opts_back_in(gateway_token):
    person = ResidentFactory(email=None, phone="+14155550140", language="es")
    stopped = hook("inbound-sms", {"from": "+1 415 555 0140", "text": " Stop "}, gateway_token)
    assert stopped.json()["action"] == "opted_out" and stopped.json()["accounts"] == 1
    assert "START" in stopped.json()["reply"] and "mensajes" in stopped.json()["reply"]
    assert preference_of(person).opted_out

    started = hook(
        "inbound-sms", "From=%2B14155550140&Body=START", gateway_token, content_type="application/x-www-form-urlencoded"
    )
    assert started.json()["action"] == "opted_in"
    assert not preference_of(person).opted_out


def test_stop_from_a_number_without_an_account_stops_texts_to_that_number(gateway_token):
    from cityos.core.notifications.models import MessageTemplate
    from cityos.core.notifications.services import send_to_address

    MessageTemplate.objects.create(key="bin_emptied", language="en", body="Bin {{ bin }} was emptied.")
    stopped = hook("inbound-sms", {"from": "+1 415 555 0177", "text": "STOP"}, gateway_token)
    assert stopped.json()["action"] == "opted_out" and stopped.json()["accounts"] == 0
    held = send_to_address("+14155550177", "sms", "bin_emptied", {"bin": "B-1"})
    assert (held.state, held.suppressed_reason, held.body) == ("suppressed", "opted_out", "")
    hook("inbound-sms", {"from": "+14155550177", "text": "START"}, gateway_token)
    assert send_to_address("+14155550177", "sms", "bin_emptied", {"bin": "B-1"}).state == "queued"


def test_other_sms_replies_are_ignored(gateway_token):
    assert hook("inbound-sms", {"from": "+14155550141", "text": "thanks!"}, gateway_token).json()["action"] == "ignored"


@pytest.mark.parametrize(
    ("data", "status"),
    [
        ({"text": "STOP"}, 400),
        ({"from": "not a number", "text": "STOP"}, 400),
    ],
)
def test_a_bad_sms_reply_is_refused(gateway_token, data, status):
    response = hook("inbound-sms", data, gateway_token)
    assert response.status_code == status and response["Content-Type"] == "application/problem+json"
    assert response.json()["errors"][0]["field"] == "from"


@pytest.mark.parametrize("name", ["inbound-sms", "delivery-report"])
def test_webhooks_need_the_gateway_token(gateway_token, name):
    assert (
        hook(name, {"from": "+14155550142", "text": "STOP"}, {"HTTP_AUTHORIZATION": "Bearer wrong"}).status_code == 401
    )
    assert hook(name, {"from": "+14155550142", "text": "STOP"}, {}).status_code == 401
    assert Client().get(reverse(f"notifications:{name}")).status_code == 405


def test_webhooks_are_off_when_no_token_is_configured(settings):
    settings.CITYOS_GATEWAY_TOKEN = ""
    assert (
        hook("inbound-sms", {"from": "+14155550142", "text": "STOP"}, {"HTTP_AUTHORIZATION": "Bearer "}).status_code
        == 401
    )


def test_a_delivery_receipt_marks_the_message_delivered(gateway_token, sent_messages):
    message = Message.objects.filter(state="sent").first()
    response = hook("delivery-report", {"id": message.provider_message_id, "status": "delivered"}, gateway_token)
    assert response.json() == {"id": message.pk, "state": "delivered"}
    assert hook("delivery-report", {"id": "unknown", "status": "delivered"}, gateway_token).status_code == 404
    assert (
        hook("delivery-report", {"id": message.provider_message_id, "status": "lost"}, gateway_token).status_code == 400
    )
