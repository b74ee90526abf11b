"""Districts and departments are named in the reader's language wherever staff see them."""

from __future__ import annotations

import importlib

import pytest
from django.apps import apps
from django.utils import translation

from cityos.core.accounts.forms import DepartmentChoiceField, ResidentSearchForm
from cityos.core.accounts.models import Department, Role
from cityos.core.accounts.tests.factories import DepartmentFactory, ResidentFactory
from cityos.core.geo.tests.factories import DistrictFactory

pytestmark = pytest.mark.django_db

MARKET = {"zh-hant": "市場區", "es": "Barrio del Mercado"}


def test_a_department_has_names_in_other_languages_like_a_district():
    water = DepartmentFactory(
        code="water", name="Water Services", names={"zh-hant": "水務處", "es": "Servicios de Agua"}
    )
    field = DepartmentChoiceField(Department.objects.all(), to_field_name="code")

    with translation.override("es"):
        assert water.display_name == "Servicios de Agua"
        assert ("water", "Servicios de Agua") in [(str(value), label) for value, label in field.choices]
    with translation.override("zh-hant"):
        assert water.display_name == "水務處"
    assert DepartmentFactory(code="parks", name="Parks").display_name == "Parks"  # no translation: its name


def test_the_demo_departments_of_an_existing_city_get_their_translated_names():
    migration = importlib.import_module("cityos.core.accounts.migrations.0002_department_names")
    demo = DepartmentFactory(code="environment", name="Environment", names={})
    renamed = DepartmentFactory(code="housing", name="Housing and Estates", names={})  # the city's own name
    named = DepartmentFactory(code="water", name="Water Services", names={"es": "Aguas"})  # already named

    migration.name_demo_departments(apps, None)

    for department in (demo, renamed, named):
        department.refresh_from_db()
    assert demo.names == {"zh-hant": "環境保護處", "es": "Medio Ambiente"}
    assert renamed.names == {} and named.names == {"es": "Aguas"}


def test_the_people_directory_names_districts_in_the_readers_language(staff_client):
    market = DistrictFactory(code="market", name="Market Quarter", names=MARKET)
    resident = ResidentFactory(first_name="Rosa", district=market)
    _agent, client = staff_client(Role.SERVICE_AGENT)

    listed = client.get("/accounts/people/", {"q": "Rosa"}, HTTP_ACCEPT_LANGUAGE="es").content.decode()
    assert "Barrio del Mercado" in listed and "Market Quarter" not in listed  # filter and list alike

    client.post(f"/accounts/people/{resident.pk}/", {"reason": "Resident asked at the counter"})
    shown = client.get(f"/accounts/people/{resident.pk}/", HTTP_ACCEPT_LANGUAGE="zh-hant").content.decode()
    assert "市場區" in shown and "Market Quarter" not in shown


def test_the_district_filter_lists_names_in_the_readers_language_and_still_filters():
    market = DistrictFactory(code="market", name="Market Quarter", names=MARKET)
    with translation.override("zh-hant"):
        form = ResidentSearchForm({"district": str(market.pk)})
        assert (str(market.pk), "市場區") in [(str(value), label) for value, label in form.fields["district"].choices]
        assert form.is_valid() and form.cleaned_data["district"] == market
