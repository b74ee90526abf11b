"""The resident's own pages: /me/ shows their details, /me/edit/ changes them, /me/phone/ takes the
code texted to a new number."""

from __future__ import annotations

import pytest
from django.conf import settings
from django.test import Client
from django.urls import reverse

from cityos.core.accounts.models import PhoneConfirmation, User
from cityos.core.accounts.tests.factories import TEST_PASSWORD, ResidentFactory, texted_code
from cityos.core.audit.models import AuditAction, AuditEntry
from cityos.core.notifications.models import Message

pytestmark = pytest.mark.django_db

ME, EDIT, PHONE = reverse("web:me"), reverse("web:me-edit"), reverse("web:me-phone")
OLD, NEW = "+14155552671", "+12125550142"


def form_data(user: User, **changes: str) -> dict[str, str]:
    """What the edit form posts when only ``changes`` were typed in."""
    return {
        "first_name": user.first_name,
        "last_name": user.last_name,
        "phone": user.phone or "",
        "email": user.email or "",
        "language": user.language,
        "current_password": "",
        **changes,
    }


@pytest.fixture
def resident() -> User:
    return ResidentFactory(email="ana@example.org", phone=OLD, first_name="Ana", language="en")


@pytest.fixture
def signed_in(client: Client, resident: User) -> Client:
    client.force_login(resident)
    return client


@pytest.mark.parametrize("path", [ME, EDIT, PHONE])
def test_someone_not_signed_in_is_sent_to_sign_in(client, path):
    response = client.get(path)
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("accounts:sign-in")) and "next=" in response["Location"]


def test_my_account_links_to_the_edit_page(signed_in):
    page = signed_in.get(ME).content.decode()
    assert f'href="{EDIT}"' in page


def test_the_form_shows_my_details_with_labelled_fields(signed_in):
    response = signed_in.get(EDIT)
    page = response.content.decode()
    assert response.status_code == 200 and response["Cache-Control"].startswith("max-age=0")
    for field in ("first_name", "last_name", "phone", "email", "language", "current_password"):
        assert f'<label for="id_{field}"' in page
    assert 'type="tel"' in page and 'autocomplete="tel"' in page
    assert f'value="{OLD}"' in page and 'value="ana@example.org"' in page


def test_saving_a_name_and_language_needs_no_password_and_switches_the_pages_language(signed_in, resident):
    response = signed_in.post(EDIT, form_data(resident, first_name="Ana María", language="es"))
    assert response.status_code == 302 and response["Location"] == ME
    assert response.cookies[settings.LANGUAGE_COOKIE_NAME].value == "es"
    resident.refresh_from_db()
    assert (resident.first_name, resident.language) == ("Ana María", "es")
    page = signed_in.get(ME).content.decode()
    assert "Tus datos están guardados." in page


def test_a_new_email_with_the_password_is_saved_and_recorded_in_the_accounts_history(signed_in, resident):
    response = signed_in.post(EDIT, form_data(resident, email="ana.new@example.org", current_password=TEST_PASSWORD))
    assert response.status_code == 302
    resident.refresh_from_db()
    assert resident.email == "ana.new@example.org"
    entry = AuditEntry.objects.filter(
        object_type="accounts.User", object_id=str(resident.pk), action=AuditAction.UPDATE
    ).latest("id")
    assert (entry.actor_id, entry.channel) == (resident.pk, "web")


def test_errors_are_shown_next_to_their_fields_and_nothing_is_saved(signed_in, resident):
    response = signed_in.post(
        EDIT, form_data(resident, email="not an email", phone="12", first_name="Changed", current_password="x")
    )
    assert response.status_code == 200
    form = response.context["form"]
    assert form.errors["email"] == ["Enter a valid email address."]
    assert "phone" in form.errors and "current_password" in form.errors
    page = response.content.decode()
    assert 'aria-invalid="true"' in page and 'aria-describedby="id_email_error' in page
    assert 'href="#id_phone"' in page  # the summary links to the field
    resident.refresh_from_db()
    assert (resident.first_name, resident.email) == ("Ana", "ana@example.org")


def test_without_the_password_the_page_does_not_say_an_address_has_an_account(signed_in, resident):
    ResidentFactory(email="taken@example.org")
    response = signed_in.post(EDIT, form_data(resident, email="taken@example.org", current_password="wrong"))
    assert set(response.context["form"].errors) == {"current_password"}
    with_password = signed_in.post(EDIT, form_data(resident, email="taken@example.org", current_password=TEST_PASSWORD))
    assert with_password.context["form"].errors["email"] == ["Another account already uses this email address."]


def test_errors_are_in_the_residents_language(signed_in, resident):
    signed_in.cookies[settings.LANGUAGE_COOKIE_NAME] = "zh-hant"
    response = signed_in.post(EDIT, form_data(resident, email="new@example.org"))
    expected = "請輸入目前的密碼，才能變更電子郵件地址或電話號碼。"  # noqa: RUF001 - Chinese punctuation
    assert response.context["form"].errors["current_password"] == [expected]


def test_a_new_phone_number_is_confirmed_with_the_texted_code(signed_in, resident):
    response = signed_in.post(EDIT, form_data(resident, phone="(212) 555-0142", current_password=TEST_PASSWORD))
    assert response.status_code == 302 and response["Location"] == PHONE
    resident.refresh_from_db()
    assert resident.phone == OLD  # not used until confirmed

    page = signed_in.get(PHONE).content.decode()
    assert NEW in page and 'autocomplete="one-time-code"' in page
    assert NEW in signed_in.get(ME).content.decode()  # my account says it waits

    wrong = signed_in.post(PHONE, {"code": "000000" if texted_code(NEW) != "000000" else "111111"})
    assert wrong.status_code == 200 and "code" in wrong.context["form"].errors

    response = signed_in.post(PHONE, {"code": texted_code(NEW)})
    assert response.status_code == 302 and response["Location"] == ME
    resident.refresh_from_db()
    assert resident.phone == NEW


def test_saving_the_name_alone_leaves_a_waiting_number_waiting_without_a_new_text(signed_in, resident):
    signed_in.post(EDIT, form_data(resident, phone=NEW, current_password=TEST_PASSWORD))
    form = signed_in.get(EDIT).context["form"]
    assert form["phone"].value() == NEW  # the number waiting is what the field shows
    response = signed_in.post(EDIT, form_data(resident, phone=NEW, first_name="Ana María"))
    assert response.status_code == 302
    assert Message.objects.filter(address=NEW).count() == 1
    assert PhoneConfirmation.objects.get(user=resident).phone == NEW


def test_a_new_code_can_be_sent_and_the_change_cancelled(signed_in, resident):
    signed_in.post(EDIT, form_data(resident, phone=NEW, current_password=TEST_PASSWORD))
    assert signed_in.post(PHONE, {"action": "resend"})["Location"] == PHONE
    assert Message.objects.filter(address=NEW).count() == 2
    assert signed_in.post(PHONE, {"action": "cancel"})["Location"] == ME
    assert not PhoneConfirmation.objects.exists()
    resident.refresh_from_db()
    assert resident.phone == OLD
    assert signed_in.get(PHONE)["Location"] == ME  # nothing left to confirm


def test_the_pages_refuse_a_post_without_the_csrf_token(resident):
    client = Client(enforce_csrf_checks=True)
    client.force_login(resident)
    assert client.post(EDIT, form_data(resident, first_name="Changed")).status_code == 403
    assert client.post(PHONE, {"code": "123456"}).status_code == 403
    resident.refresh_from_db()
    assert resident.first_name == "Ana"


def test_message_preferences_link_to_where_a_phone_number_is_added(client):
    client.force_login(ResidentFactory(phone=None))
    page = client.get(reverse("notifications:preferences")).content.decode()
    assert f'<a href="{EDIT}">Add a phone number to your account to use this.</a>' in page
