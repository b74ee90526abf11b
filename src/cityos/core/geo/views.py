from __future__ import annotations

import json
from typing import Any
from urllib.parse import urlencode

from django.conf import settings
from django.core.paginator import Paginator
from django.db.models import QuerySet
from django.http import Http404, HttpRequest, HttpResponse, StreamingHttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone

from cityos.core.accounts.permissions import holds_any_role, staff_required
from cityos.core.geo import selectors
from cityos.core.geo.conf import PLACE_ROLES
from cityos.core.geo.forms import ManagePlacesForm, PlaceFilterForm
from cityos.core.geo.models import Place
from cityos.core.geo.opening_hours import describe, is_open, weekly_table

MANAGE_ROLES = PLACE_ROLES


def _api_query(data: dict[str, Any]) -> str:
    """The API query string for the filters a form holds, so the map shows what the list shows."""
    query: dict[str, Any] = {}
    if data.get("kind"):
        query["kind"] = data["kind"]
    if data.get("district"):
        query["district"] = data["district"]
    if data.get("open_now"):
        query["open_now"] = "true"
    if data.get("q"):
        query["q"] = data["q"]
    return urlencode(query, doseq=True)


def _filtered(form: PlaceFilterForm, *, active: bool | None = True) -> tuple[dict[str, Any], list[Place]]:
    data: dict[str, Any] = form.cleaned_data if form.is_bound and form.is_valid() else {}
    if form.is_bound and form.errors:
        return data, []
    if isinstance(form, ManagePlacesForm):
        active = {"yes": True, "no": False}.get(data.get("active") or "")
    found: QuerySet[Place] = selectors.places(
        kinds=data.get("kind") or (),
        district=data.get("district") or None,
        search=data.get("q") or "",
        active=active,
        sort=data.get("sort") or "name",
    )
    return data, selectors.filter_open_now(found, True if data.get("open_now") else None)


def _with_hours(places: list[Place]) -> list[Place]:
    now = timezone.now()
    for place in places:
        place.open_now = is_open(place.opening_hours, now)  # type: ignore[attr-defined]
        place.hours_text = describe(place.opening_hours)  # type: ignore[attr-defined]
        place.display_name = selectors.localized_name(place.name, place.names)  # type: ignore[attr-defined]
        district = place.district
        place.district_name = selectors.localized_name(district.name, district.names) if district else ""  # type: ignore[attr-defined]
    return places


def places_map(request: HttpRequest) -> HttpResponse:
    """The public map: filters as GET parameters, a list that works alone, and the map beside it."""
    form = PlaceFilterForm(request.GET or None)
    data, places = _filtered(form)
    query = _api_query(data)
    # The map follows the API's next links; the largest page makes that one request in most cities.
    page = urlencode({"limit": settings.NINJA_PAGINATION_MAX_LIMIT})
    context = {
        "form": form,
        "places": _with_hours(places),
        "places_url": reverse("api:list_places") + (f"?{query}&{page}" if query else f"?{page}"),
        "filtered": bool(query),
    }
    return render(request, "geo/places.html", context)


def place_detail(request: HttpRequest, place_id: int) -> HttpResponse:
    place = Place.objects.select_related("district").filter(pk=place_id).first()
    if place is None or (not place.is_active and not holds_any_role(request.user, MANAGE_ROLES)):
        raise Http404
    _with_hours([place])
    context = {
        "place": place,
        "week": weekly_table(place.opening_hours),
        "district_name": selectors.localized_name(place.district.name, place.district.names) if place.district else "",
        "place_url": reverse("api:get_place", args=[place.pk]),
    }
    return render(request, "geo/place_detail.html", context)


@staff_required(MANAGE_ROLES)
def manage(request: HttpRequest) -> HttpResponse:
    """Staff list of every place, withdrawn ones included, with search, sort and exports."""
    form = ManagePlacesForm(request.GET or None)
    _data, places = _filtered(form)
    page = Paginator(_with_hours(places), 50).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    template = "geo/_manage_table.html" if getattr(request, "htmx", False) else "geo/manage.html"
    return render(request, template, {"form": form, "page": page, "query": query.urlencode()})


@staff_required(MANAGE_ROLES)
def manage_export(request: HttpRequest, file_format: str) -> HttpResponse | StreamingHttpResponse:
    form = ManagePlacesForm(request.GET or None)
    _data, places = _filtered(form)
    stamp = timezone.localdate().isoformat()
    if file_format == "csv":
        response: HttpResponse | StreamingHttpResponse = StreamingHttpResponse(
            selectors.places_csv_rows(places), content_type="text/csv; charset=utf-8"
        )
        response["Content-Disposition"] = f'attachment; filename="places-{stamp}.csv"'
        return response
    response = HttpResponse(
        json.dumps(selectors.places_feature_collection(places), ensure_ascii=False),
        content_type=selectors.GEOJSON_CONTENT_TYPE,
    )
    response["Content-Disposition"] = f'attachment; filename="places-{stamp}.geojson"'
    return response
