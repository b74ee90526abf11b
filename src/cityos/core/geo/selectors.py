"""Reads of districts and places, shared by pages, the API and exports."""

from __future__ import annotations

import csv
import datetime
import io
import json
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.db.models import Count, Q, QuerySet
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import get_language

from cityos.core.geo.models import District, Place
from cityos.core.geo.opening_hours import describe, is_open
from cityos.core.spreadsheet import in_request_language

GEOJSON_CONTENT_TYPE = "application/geo+json"

PLACE_SORTS = {
    "name": ("name", "pk"),
    "-name": ("-name", "-pk"),
    "kind": ("kind", "name"),
    "district": ("district__name", "name"),
    "-updated": ("-updated_at", "name"),
}


def localized_name(name: str, names: dict[str, str] | None, language: str | None = None) -> str:
    """The name in ``language`` (default: the request's), falling back to the main name."""
    language = (language or get_language() or "").lower()
    return (names or {}).get(language) or name


@dataclass(frozen=True)
class BBox:
    min_lon: float
    min_lat: float
    max_lon: float
    max_lat: float

    @classmethod
    def parse(cls, text: str) -> BBox:
        """``minlon,minlat,maxlon,maxlat``; ValueError says what is wrong."""
        parts = text.split(",")
        if len(parts) != 4:
            raise ValueError("bbox needs four numbers: minlon,minlat,maxlon,maxlat")
        try:
            min_lon, min_lat, max_lon, max_lat = (float(p) for p in parts)
        except ValueError as error:
            raise ValueError("bbox needs four numbers: minlon,minlat,maxlon,maxlat") from error
        if not (-180 <= min_lon <= max_lon <= 180 and -90 <= min_lat <= max_lat <= 90):
            raise ValueError("bbox must have minlon <= maxlon within -180..180 and minlat <= maxlat within -90..90")
        return cls(min_lon, min_lat, max_lon, max_lat)


# --- Districts -----------------------------------------------------------------------------


def districts() -> QuerySet[District]:
    return District.objects.annotate(place_count=Count("places", filter=Q(places__is_active=True))).order_by("name")


def district_by_code(code: str) -> District | None:
    return districts().filter(code=code).first()


def district_feature(district: District, *, with_geometry: bool = True) -> dict[str, Any]:
    return {
        "type": "Feature",
        "id": district.code,
        "geometry": district.geometry if with_geometry else None,
        "properties": {
            "code": district.code,
            "name": localized_name(district.name, district.names),
            "names": {"en": district.name, **district.names},
            "population": district.population,
            "area_km2": district.area_km2,
            "centroid": [district.centroid_lon, district.centroid_lat],
            "place_count": getattr(district, "place_count", None),
        },
    }


def districts_feature_collection(items: Iterable[District]) -> dict[str, Any]:
    return {"type": "FeatureCollection", "features": [district_feature(d) for d in items]}


# --- Places --------------------------------------------------------------------------------


def places(
    *,
    kinds: Iterable[str] = (),
    district: str | None = None,
    bbox: BBox | None = None,
    search: str = "",
    active: bool | None = True,
    sort: str = "name",
) -> QuerySet[Place]:
    """Places matching the filters; ``active=None`` includes withdrawn ones (staff lists)."""
    queryset = Place.objects.select_related("district")
    if active is not None:
        queryset = queryset.filter(is_active=active)
    kinds = [k for k in kinds if k]
    if kinds:
        queryset = queryset.filter(kind__in=kinds)
    if district:
        queryset = queryset.filter(district__code=district)
    if bbox is not None:
        queryset = queryset.filter(
            lon__gte=bbox.min_lon, lon__lte=bbox.max_lon, lat__gte=bbox.min_lat, lat__lte=bbox.max_lat
        )
    if search:
        # A resident searches in the language they read the map in: the translated names too.
        matches = Q(name__icontains=search) | Q(address__icontains=search)
        for code, _name in settings.LANGUAGES:
            matches |= Q(**{f"names__{code}__icontains": search})
        queryset = queryset.filter(matches)
    return queryset.order_by(*PLACE_SORTS.get(sort, PLACE_SORTS["name"]))


def filter_open_now(items: Iterable[Place], open_now: bool | None, at: datetime.datetime | None = None) -> list[Place]:
    """Hours are JSON, so "open now" is decided here; ``False`` keeps closed and unknown ones."""
    items = list(items)
    if open_now is None:
        return items
    moment = at or timezone.now()
    return [p for p in items if (is_open(p.opening_hours, moment) is True) == open_now]


def page_of_places(
    found: QuerySet[Place], open_now: bool | None, *, offset: int, limit: int, at: datetime.datetime | None = None
) -> tuple[int, list[Place]]:
    """How many places match, and the ``limit`` of them after ``offset``. Only without "open
    now" (decided here, hours being JSON) can the database count and slice them."""
    if open_now is None:
        return found.count(), list(found[offset : offset + limit])
    matching = filter_open_now(found, open_now, at)
    return len(matching), matching[offset : offset + limit]


def all_names(place: Place) -> dict[str, str]:
    """Every name of a place by language, its main name under the site's own language."""
    return {settings.LANGUAGE_CODE: place.name, **(place.names or {})}


def place_properties(place: Place, at: datetime.datetime | None = None) -> dict[str, Any]:
    return {
        "id": place.pk,
        "name": localized_name(place.name, place.names),
        "names": all_names(place),
        "kind": place.kind,
        "kind_label": str(place.get_kind_display()),
        "address": place.address,
        "phone": place.phone,
        "website": place.website,
        "district": place.district.code if place.district else None,
        "district_name": localized_name(place.district.name, place.district.names) if place.district else None,
        "h3_cell": place.h3_cell,
        "opening_hours": place.opening_hours,
        "opening_hours_text": describe(place.opening_hours),
        "open_now": is_open(place.opening_hours, at),
        "is_active": place.is_active,
        "url": reverse("geo:place", args=[place.pk]),
        "updated_at": place.updated_at.isoformat() if place.updated_at else None,
    }


def place_feature(place: Place, at: datetime.datetime | None = None) -> dict[str, Any]:
    return {
        "type": "Feature",
        "id": place.pk,
        "geometry": {"type": "Point", "coordinates": [place.lon, place.lat]},
        "properties": place_properties(place, at),
    }


def places_feature_collection(items: Iterable[Place], at: datetime.datetime | None = None) -> dict[str, Any]:
    moment = at or timezone.now()
    return {"type": "FeatureCollection", "features": [place_feature(p, moment) for p in items]}


def csv_columns() -> list[str]:
    """The export's header: ``name`` in the request's language (as in GeoJSON), then every name
    by language (``name_en``, ``name_es``…), so a file exported in any language imports back
    with its names intact."""
    names = [f"name_{code}" for code, _label in settings.LANGUAGES]
    rest = ["address", "lat", "lon", "district", "h3_cell", "phone", "website", "is_active", "opening_hours"]
    return ["id", "kind", "kind_label", "name", *names, *rest, "opening_hours_text", "open_now"]


def places_csv_rows(items: Iterable[Place], at: datetime.datetime | None = None) -> Iterator[str]:
    """CSV lines (header first) that :func:`cityos.core.geo.services.import_places` reads back.

    Written in the language active now, even when streamed after the view has returned."""
    return in_request_language(_places_csv_lines(items, at or timezone.now()))


def _places_csv_lines(items: Iterable[Place], moment: datetime.datetime) -> Iterator[str]:
    languages = [code for code, _label in settings.LANGUAGES]
    buffer = io.StringIO()
    writer = csv.writer(buffer)

    def flush() -> str:
        line = buffer.getvalue()
        buffer.seek(0)
        buffer.truncate()
        return line

    writer.writerow(csv_columns())
    yield flush()
    for place in items:
        open_now = is_open(place.opening_hours, moment)
        names = all_names(place)
        writer.writerow(
            [
                place.pk,
                place.kind,
                place.get_kind_display(),
                localized_name(place.name, place.names),
                *(names.get(code, "") for code in languages),
                place.address,
                place.lat,
                place.lon,
                place.district.code if place.district else "",
                place.h3_cell,
                place.phone,
                place.website,
                "true" if place.is_active else "false",
                json.dumps(place.opening_hours, separators=(",", ":")) if place.opening_hours else "",
                describe(place.opening_hours),
                "" if open_now is None else ("true" if open_now else "false"),
            ]
        )
        yield flush()
