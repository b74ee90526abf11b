"""The demo city's geography: districts and public places, named in the city's three languages."""

from __future__ import annotations

import random

import pytest
from django.test import Client

from cityos.core.geo.models import District, Place
from cityos.core.registry import DemoContext, registry

pytestmark = pytest.mark.django_db


def test_the_demo_places_are_named_in_each_language_residents_read_the_map_in():
    ctx = DemoContext(rng=random.Random(2020), say=lambda text: None, data={})
    registry.demo_steps["geography"].build(ctx)
    assert District.objects.count() == 8
    clinic = Place.objects.filter(kind="clinic").order_by("pk").first()
    assert clinic is not None and clinic.district is not None
    district = clinic.district
    assert clinic.names["zh-hant"] == f"{district.names['zh-hant']}診所1號"
    assert clinic.names["es"] == f"Clínica {district.names['es']} 1"
    assert all(set(place.names) == {"zh-hant", "es"} for place in Place.objects.all())
    body = Client().get(f"/api/v1/geo/places/{clinic.pk}", HTTP_ACCEPT_LANGUAGE="zh-hant").json()
    assert body["properties"]["name"] == clinic.names["zh-hant"]


def test_residents_find_demo_places_by_their_name_in_chinese_or_spanish():
    ctx = DemoContext(rng=random.Random(2020), say=lambda text: None, data={})
    registry.demo_steps["geography"].build(ctx)
    clinics = Place.objects.filter(kind="clinic").count()
    for term in ("診所", "clínica", "Clinic"):
        response = Client().get("/api/v1/geo/places", {"q": term})
        assert len(response.json()["features"]) == clinics, (term, response.status_code, response.content[:300])
