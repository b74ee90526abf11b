from __future__ import annotations

import factory

from cityos.core.geo.models import District, Place, PlaceKind

SQUARE = {"type": "Polygon", "coordinates": [[[0, 0], [0.01, 0], [0.01, 0.01], [0, 0.01], [0, 0]]]}


class DistrictFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = District

    code = factory.Sequence(lambda n: f"district-{n}")
    name = factory.Sequence(lambda n: f"District {n}")
    geometry = factory.LazyFunction(lambda: dict(SQUARE))
    centroid_lat = 0.005
    centroid_lon = 0.005


class PlaceFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Place

    kind = PlaceKind.TESTING_SITE
    name = factory.Sequence(lambda n: f"Place {n}")
    lat = 0.005
    lon = 0.005
    h3_cell = "89754e64993ffff"
