"""The residents' portal and its language switcher, without a browser."""

from __future__ import annotations

import pytest
from django.apps import apps
from django.urls import reverse

from cityos.core.accounts.models import Role
from cityos.core.accounts.tests.factories import ResidentFactory, StaffFactory
from cityos.core.registry import registry

pytestmark = pytest.mark.django_db


def test_the_home_page_lists_every_portal_service_and_help_without_a_smartphone(client):
    page = client.get(reverse("web:home")).content.decode()
    for item in registry.nav_for("portal"):
        if item.key != "home":
            assert f'href="{reverse(item.url_name)}"' in page
    assert 'id="help"' in page and "No smartphone?" in page
    assert '<a class="skip-link" href="#main">' in page and '<main id="main"' in page


def test_an_anonymous_visitor_switches_language_with_a_cookie(client):
    response = client.post(reverse("web:set-language"), {"language": "zh-hant", "next": "/"})
    assert response.status_code == 302 and response["Location"] == "/"
    assert client.cookies["django_language"].value == "zh-hant"
    page = client.get(reverse("web:home")).content.decode()
    assert '<html lang="zh-hant">' in page and "歡迎來到" in page


def test_a_signed_in_residents_choice_is_saved_on_the_account(client):
    resident = ResidentFactory(language="en")
    client.force_login(resident, backend="cityos.core.accounts.backends.EmailOrPhoneBackend")
    client.post(reverse("web:set-language"), {"language": "es", "next": "/me/"})
    resident.refresh_from_db()
    assert resident.language == "es"
    assert "Mi cuenta" in client.get(reverse("web:me")).content.decode()


def test_an_unknown_language_changes_nothing(client):
    resident = ResidentFactory(language="en")
    client.force_login(resident, backend="cityos.core.accounts.backends.EmailOrPhoneBackend")
    client.post(reverse("web:set-language"), {"language": "xx", "next": "/"})
    resident.refresh_from_db()
    assert resident.language == "en"
    assert "django_language" not in client.cookies


def test_staff_may_switch_language_before_their_second_step(client):
    staff = StaffFactory()
    client.force_login(staff, backend="cityos.core.accounts.backends.EmailOrPhoneBackend")
    response = client.post(reverse("web:set-language"), {"language": "es", "next": "/accounts/verify/"})
    assert response["Location"] == "/accounts/verify/"
    staff.refresh_from_db()
    assert staff.language == "es"


def test_the_switcher_offers_each_language_in_its_own_name(client):
    page = client.get(reverse("web:home")).content.decode()
    for code, name in (("en", "English"), ("zh-hant", "繁體中文"), ("es", "Español")):
        assert f'<option value="{code}" lang="{code}"' in page and name in page


def test_form_errors_are_tied_to_their_fields(client):
    page = client.post(reverse("accounts:sign-up"), {"email": "not-an-email", "password": "x", "language": "en"})
    html = page.content.decode()
    assert 'aria-invalid="true"' in html
    assert 'aria-describedby="id_email_error"' in html and 'id="id_email_error"' in html
    assert 'role="alert"' in html and 'href="#id_email"' in html


def test_a_group_of_checkboxes_is_a_fieldset_named_by_its_legend(staff_client):
    """The shared form template: a multiple choice is one group, and the error summary links to its first box."""
    _user, client = staff_client("operator")
    page = client.post("/api-tokens/new/", {"name": "Gateway"}).content.decode()
    assert "<fieldset" in page and "<legend>Scopes" in page
    assert 'href="#id_scopes_0"' in page


def test_the_operations_centre_shows_only_the_tiles_and_links_a_role_may_use(staff_client):
    people, messages_tile = reverse("accounts:people"), reverse("notifications:tile-today")
    _publisher, client = staff_client("data_publisher")
    page = client.get(reverse("web:ops")).content.decode()
    assert people not in page and messages_tile not in page
    assert reverse("web:tile-jobs") in page  # a tile for every role

    _admin, client = staff_client("administrator")
    page = client.get(reverse("web:ops")).content.decode()
    assert people in page and messages_tile in page


def test_staff_navigation_groups_a_modules_pages_under_its_name():
    from cityos.core.registry import NavItem
    from cityos.core.web.context_processors import nav_groups

    items = [
        NavItem("ops", "Operations centre", "web:ops", area="ops"),
        NavItem("epi", "Epidemic data", "epi:manage", area="ops"),
        NavItem("places", "Places", "geo:manage", area="ops"),
        NavItem("epi-reports", "Stored reports", "epi:reports", area="ops"),
    ]
    groups = nav_groups(items)
    assert [g.namespace for g in groups] == ["web", "epi", "geo"]
    epi = groups[1]
    assert [i.url_name for i in epi.items] == ["epi:manage", "epi:reports"]
    assert epi.label == str(apps.get_app_config("epi").verbose_name)


def test_a_module_with_several_pages_opens_as_a_menu_in_the_staff_navigation(staff_client):
    _admin, client = staff_client("administrator")
    page = client.get(reverse("epi:manage")).content.decode()
    assert '<li class="nav-group"><details><summary class="current">' in page  # its own module is marked
    assert f'href="{reverse("epi:reports")}"' in page


def test_a_missing_page_says_so_in_the_visitors_language_inside_the_site(client):
    response = client.get("/no-such-page/", HTTP_ACCEPT_LANGUAGE="es")
    page = response.content.decode()
    assert response.status_code == 404
    assert '<html lang="es">' in page and "<h1>Página no encontrada</h1>" in page
    assert 'class="language"' in page and f'href="{reverse("web:home")}"' in page  # the site around it


def test_a_page_outside_ones_role_says_who_to_ask_in_ones_language(staff_client):
    _, agent = staff_client(Role.SERVICE_AGENT)
    agent.cookies["django_language"] = "zh-hant"
    response = agent.get("/audit/")
    assert response.status_code == 403
    assert "<h1>無權檢視此頁面</h1>" in response.content.decode()


def test_a_server_error_and_an_expired_form_get_plain_translated_pages(rf, client):
    from django.utils import translation
    from django.views.defaults import server_error

    with translation.override("zh-hant"):
        page = server_error(rf.get("/")).content.decode()
    assert '<html lang="zh-hant">' in page and "<h1>發生錯誤</h1>" in page
    strict = type(client)(enforce_csrf_checks=True)
    expired = strict.post(reverse("web:set-language"), {"language": "es"}, HTTP_ACCEPT_LANGUAGE="es")
    assert expired.status_code == 403 and "<h1>Este formulario ha caducado</h1>" in expired.content.decode()


def test_a_nul_in_a_pages_query_is_a_clear_400_not_a_server_error(client):
    response = client.get("/monitoring/traps/?q=a%00b", HTTP_ACCEPT_LANGUAGE="es")
    assert response.status_code == 400 and "<h1>Solicitud no entendida</h1>" in response.content.decode()
    assert client.get("/monitoring/traps/?q=a%2500b").status_code == 200  # the text "%00" is fine


def test_date_fields_keep_to_years_a_record_can_have():
    from django import forms

    from cityos.core.web.fields import DayField, MomentField

    class Dates(forms.Form):
        day = DayField()
        moment = MomentField()

    far = Dates({"day": "9999-12-31", "moment": "0001-01-01 00:00"})
    assert not far.is_valid()
    assert far.errors == {"day": ["Enter a date from 1900 to 2199."], "moment": ["Enter a date from 1900 to 2199."]}
    assert Dates({"day": "2026-11-27", "moment": "2026-11-27 08:00"}).is_valid()
