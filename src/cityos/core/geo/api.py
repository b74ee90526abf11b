"""/api/v1/geo: districts and public places as GeoJSON (application/geo+json), CSV on request.

The places list pages like every list (``limit`` 1 to the maximum, ``offset``; anything else is
a 422) yet stays a FeatureCollection, with OGC API - Features' members: ``numberMatched``,
``numberReturned`` and ``links`` (``next``/``prev``, absolute), the same links in a ``Link``
header. Its CSV holds every match (up to ``CITYOS_API_CSV_MAX_ROWS``), as other lists' exports.

Errors (401, 403, 404, 422) are documented and rendered by the API layer (RFC 9457 problems).
Reads are public. Writes need an operator or administrator: a browser session after the second
factor, or a machine token of such a person.
"""

from __future__ import annotations

import json
from typing import Any, Literal

from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import HttpRequest, HttpResponse, QueryDict, StreamingHttpResponse
from django.utils import timezone
from django.utils.translation import gettext as _
from ninja import Field, Query, Router, Schema
from ninja.errors import HttpError
from ninja.errors import ValidationError as NinjaValidationError

from cityos.core.accounts.models import User
from cityos.core.accounts.permissions import holds_any_role
from cityos.core.api.auth import api_auth, require_roles
from cityos.core.api.pagination import CSV_MAX_ROWS, LimitOffsetNextPagination
from cityos.core.geo import h3cells, selectors, services
from cityos.core.geo.conf import PLACE_ROLES
from cityos.core.geo.models import Place, PlaceKind

router = Router()
WRITE_AUTH = api_auth
WRITE_ROLES = PLACE_ROLES


# --- Schemas -------------------------------------------------------------------------------


class PointGeometry(Schema):
    type: Literal["Point"]
    coordinates: list[float] = Field(..., description="[longitude, latitude], EPSG:4326")


class AreaGeometry(Schema):
    type: Literal["Polygon", "MultiPolygon"]
    coordinates: list[Any]


class PlaceProperties(Schema):
    id: int
    name: str = Field(..., description="In the request's language when a translation exists")
    names: dict[str, str] = Field(..., description='Every name by language, e.g. {"en": "…", "es": "…"}')
    kind: PlaceKind
    kind_label: str
    address: str
    phone: str
    website: str
    district: str | None = Field(None, description="District code")
    district_name: str | None
    h3_cell: str = Field(..., description="H3 cell at resolution 9")
    opening_hours: dict[str, list[list[str]]]
    opening_hours_text: str
    open_now: bool | None = Field(None, description="In the city's time zone; null when hours are not published")
    is_active: bool
    url: str
    updated_at: str | None


class PlaceFeature(Schema):
    type: Literal["Feature"]
    id: int
    geometry: PointGeometry
    properties: PlaceProperties


class PageLink(Schema):
    href: str = Field(..., description="Absolute URL of the page")
    rel: Literal["next", "prev"]
    type: Literal["application/geo+json"]


class PlaceCollection(Schema):
    type: Literal["FeatureCollection"]
    features: list[PlaceFeature]
    # OGC API - Features' names, hence camelCase.
    numberMatched: int = Field(..., description="Places matching the filters, on all pages")
    numberReturned: int = Field(..., description="Places on this page")
    links: list[PageLink] = Field(..., description="The next and previous pages, when there are")


class DistrictProperties(Schema):
    code: str
    name: str = Field(..., description="In the request's language when a translation exists")
    names: dict[str, str]
    population: int | None
    area_km2: float
    centroid: list[float] = Field(..., description="[longitude, latitude]")
    place_count: int | None


class DistrictFeature(Schema):
    type: Literal["Feature"]
    id: str
    geometry: AreaGeometry
    properties: DistrictProperties


class DistrictCollection(Schema):
    type: Literal["FeatureCollection"]
    features: list[DistrictFeature]


class CellProperties(Schema):
    cell: str
    resolution: int


class CellFeature(Schema):
    type: Literal["Feature"]
    id: str
    geometry: AreaGeometry
    properties: CellProperties


class CellCollection(Schema):
    type: Literal["FeatureCollection"]
    features: list[CellFeature]


OpeningHoursIn = dict[str, list[tuple[str, str]]]
HOURS_HELP = 'Local time per day, e.g. {"mon": [["08:00", "17:00"]], "sun": []}; 24:00 may close a day.'


class PlaceIn(Schema):
    kind: PlaceKind
    name: str = Field(..., min_length=1, max_length=200)
    names: dict[str, str] = Field(default_factory=dict, description='Translated names, e.g. {"es": "…"}')
    address: str = Field("", max_length=300)
    lat: float = Field(..., ge=-90, le=90)
    lon: float = Field(..., ge=-180, le=180)
    opening_hours: OpeningHoursIn = Field(default_factory=dict, description=HOURS_HELP)
    phone: str = Field("", max_length=30)
    website: str = Field("", max_length=200)
    is_active: bool = True


class PlacePatch(Schema):
    kind: PlaceKind | None = None
    name: str | None = Field(None, min_length=1, max_length=200)
    names: dict[str, str] | None = None
    address: str | None = Field(None, max_length=300)
    lat: float | None = Field(None, ge=-90, le=90)
    lon: float | None = Field(None, ge=-180, le=180)
    opening_hours: OpeningHoursIn | None = Field(None, description=HOURS_HELP)
    phone: str | None = Field(None, max_length=30)
    website: str | None = Field(None, max_length=200)
    is_active: bool | None = None


class PlaceFilters(Schema):
    kind: list[PlaceKind] = Field(default_factory=list, description="Repeat for several kinds")
    district: str | None = Field(None, max_length=50, description="District code")
    open_now: bool | None = Field(None, description="true: open now; false: closed now or hours unknown")
    bbox: str | None = Field(None, description="minlon,minlat,maxlon,maxlat (EPSG:4326)")
    q: str | None = Field(None, max_length=100, description="Search in names and addresses")
    format: Literal["geojson", "csv"] = "geojson"


# --- Helpers -------------------------------------------------------------------------------


def _geojson(payload: dict[str, Any], status: int = 200) -> HttpResponse:
    return HttpResponse(
        json.dumps(payload, ensure_ascii=False), status=status, content_type=selectors.GEOJSON_CONTENT_TYPE
    )


def _documented_as(schema_name: str, *, csv: bool = False, status: int = 200) -> dict[str, Any]:
    """Tells OpenAPI the ``status`` body is GeoJSON (and optionally CSV) as well as plain JSON."""
    content: dict[str, Any] = {
        selectors.GEOJSON_CONTENT_TYPE: {"schema": {"$ref": f"#/components/schemas/{schema_name}"}}
    }
    if csv:
        content["text/csv"] = {"schema": {"type": "string"}}
    return {"responses": {status: {"content": content}}}


def _page_links(request: HttpRequest, count: int, *, offset: int, limit: int) -> list[dict[str, str]]:
    """The ``next`` and ``prev`` pages of a GeoJSON list, absolute, with the request's filters."""

    def url(to: int) -> str:
        query: QueryDict = request.GET.copy()
        query["limit"], query["offset"] = str(limit), str(to)
        return request.build_absolute_uri(f"{request.path}?{query.urlencode()}")

    links = []
    if offset + limit < count:
        links.append({"href": url(offset + limit), "rel": "next", "type": selectors.GEOJSON_CONTENT_TYPE})
    if offset > 0 and count:
        links.append({"href": url(max(0, offset - limit)), "rel": "prev", "type": selectors.GEOJSON_CONTENT_TYPE})
    return links


def _require_writer(request: HttpRequest) -> User:
    return require_roles(request, WRITE_ROLES)


def _field_errors(error: DjangoValidationError, location: tuple[str, ...]) -> NinjaValidationError:
    """A service's field errors in the shape of ninja's schema errors: 422, the field in ``loc``
    (``["body", "lat"]``), so the API's problem+json layer names them alike."""
    if hasattr(error, "error_dict"):
        pairs = [(name, message) for name, messages in error.message_dict.items() for message in messages]
    else:
        pairs = [("__all__", message) for message in error.messages]
    return NinjaValidationError(
        [{"type": "value_error", "loc": [*location, name], "msg": message} for name, message in pairs]
    )


def _place_or_404(request: HttpRequest, place_id: int) -> Place:
    place = Place.objects.select_related("district").filter(pk=place_id).first()
    # Withdrawn places stay visible to the staff who may bring them back.
    if place is None or (not place.is_active and not holds_any_role(request.user, WRITE_ROLES)):
        raise HttpError(404, _("There is no place %(id)s.") % {"id": place_id})
    return place


def _hours(value: dict[str, list[tuple[str, str]]] | None) -> dict[str, list[list[str]]] | None:
    return None if value is None else {day: [list(pair) for pair in pairs] for day, pairs in value.items()}


# --- Districts -----------------------------------------------------------------------------


@router.get(
    "/districts",
    response=DistrictCollection,
    summary="Districts as GeoJSON",
    openapi_extra=_documented_as("DistrictCollection"),
)
def list_districts(request: HttpRequest) -> HttpResponse:
    """Every district with its boundary; names in the request's language (Accept-Language)."""
    return _geojson(selectors.districts_feature_collection(selectors.districts()))


@router.get(
    "/districts/{code}",
    response={200: DistrictFeature},
    summary="One district as a GeoJSON Feature",
    openapi_extra=_documented_as("DistrictFeature"),
)
def get_district(request: HttpRequest, code: str) -> HttpResponse:
    district = selectors.district_by_code(code)
    if district is None:
        raise HttpError(404, _("There is no district with the code “%(code)s”.") % {"code": code})
    return _geojson(selectors.district_feature(district))


@router.get(
    "/districts/{code}/cells",
    response={200: CellCollection},
    summary="H3 cells covering a district",
    openapi_extra=_documented_as("CellCollection"),
)
def district_cells(request: HttpRequest, code: str, resolution: int = Query(8, ge=5, le=10)) -> HttpResponse:
    """Cells whose centre lies in the district, as GeoJSON polygons, for aggregating by cell."""
    district = selectors.district_by_code(code)
    if district is None:
        raise HttpError(404, _("There is no district with the code “%(code)s”.") % {"code": code})
    cells = sorted(h3cells.cells_covering(district.geometry, resolution))
    return _geojson(h3cells.cells_feature_collection(cells))


# --- Places --------------------------------------------------------------------------------


@router.get(
    "/places",
    response=PlaceCollection,
    summary="Public places as GeoJSON (or CSV)",
    openapi_extra=_documented_as("PlaceCollection", csv=True),
)
def list_places(
    request: HttpRequest, filters: Query[PlaceFilters], page: Query[LimitOffsetNextPagination.Input]
) -> HttpResponse | StreamingHttpResponse:
    """Active public places, filtered by kind, district, bounding box and "open now", a page at a
    time: follow the ``next`` link (in ``links`` and the ``Link`` header) for the rest."""
    bbox = None
    if filters.bbox:
        try:
            bbox = selectors.BBox.parse(filters.bbox)
        except ValueError:
            raise NinjaValidationError(
                [
                    {
                        "type": "value_error",
                        "loc": ["query", "bbox"],
                        "msg": _(
                            "Give bbox as minlon,minlat,maxlon,maxlat in degrees, "
                            "minimum before maximum, e.g. -74.1,40.6,-73.8,40.8."
                        ),
                    }
                ]
            ) from None
    found = selectors.places(kinds=filters.kind, district=filters.district, bbox=bbox, search=filters.q or "")
    now = timezone.now()
    if filters.format == "csv":
        _count, items = selectors.page_of_places(found, filters.open_now, offset=0, limit=CSV_MAX_ROWS, at=now)
        export = StreamingHttpResponse(selectors.places_csv_rows(items, now), content_type="text/csv; charset=utf-8")
        export["Content-Disposition"] = 'attachment; filename="places.csv"'
        return export
    count, items = selectors.page_of_places(found, filters.open_now, offset=page.offset, limit=page.limit, at=now)
    links = _page_links(request, count, offset=page.offset, limit=page.limit)
    collection = selectors.places_feature_collection(items, now)
    collection.update(numberMatched=count, numberReturned=len(items), links=links)
    response = _geojson(collection)
    if links:
        response["Link"] = ", ".join(f'<{link["href"]}>; rel="{link["rel"]}"' for link in links)
    return response


@router.get(
    "/places/{place_id}",
    response={200: PlaceFeature},
    summary="One place as a GeoJSON Feature",
    openapi_extra=_documented_as("PlaceFeature"),
)
def get_place(request: HttpRequest, place_id: int) -> HttpResponse:
    return _geojson(selectors.place_feature(_place_or_404(request, place_id)))


@router.post(
    "/places",
    auth=WRITE_AUTH,
    response={201: PlaceFeature},
    summary="Add a place (operators, administrators)",
    openapi_extra=_documented_as("PlaceFeature", status=201),
)
def create_place(request: HttpRequest, payload: PlaceIn) -> HttpResponse:
    user = _require_writer(request)
    data = payload.model_dump()
    data["opening_hours"] = _hours(payload.opening_hours)
    try:
        place = services.create_place(user=user, **data)
    except DjangoValidationError as error:
        raise _field_errors(error, ("body",)) from None
    return _geojson(selectors.place_feature(place), status=201)


@router.put(
    "/places/{place_id}",
    auth=WRITE_AUTH,
    response={200: PlaceFeature},
    summary="Replace a place (operators, administrators)",
    openapi_extra=_documented_as("PlaceFeature"),
)
def replace_place(request: HttpRequest, place_id: int, payload: PlaceIn) -> HttpResponse:
    user = _require_writer(request)
    place = _place_or_404(request, place_id)
    data = payload.model_dump()
    data["opening_hours"] = _hours(payload.opening_hours)
    try:
        place = services.update_place(place, user=user, **data)
    except DjangoValidationError as error:
        raise _field_errors(error, ("body",)) from None
    return _geojson(selectors.place_feature(place))


@router.patch(
    "/places/{place_id}",
    auth=WRITE_AUTH,
    response={200: PlaceFeature},
    summary="Change some fields of a place (operators, administrators)",
    openapi_extra=_documented_as("PlaceFeature"),
)
def patch_place(request: HttpRequest, place_id: int, payload: PlacePatch) -> HttpResponse:
    user = _require_writer(request)
    place = _place_or_404(request, place_id)
    changes = payload.model_dump(exclude_unset=True)
    if "opening_hours" in changes:
        changes["opening_hours"] = _hours(payload.opening_hours) or {}
    # An explicit null is "leave as is" for fields that cannot be empty.
    changes = {k: v for k, v in changes.items() if v is not None}
    try:
        place = services.update_place(place, user=user, **changes)
    except DjangoValidationError as error:
        raise _field_errors(error, ("body",)) from None
    return _geojson(selectors.place_feature(place))


@router.delete(
    "/places/{place_id}",
    auth=WRITE_AUTH,
    response={204: None},
    summary="Delete a place (operators, administrators)",
)
def delete_place(request: HttpRequest, place_id: int) -> HttpResponse:
    user = _require_writer(request)
    services.delete_place(_place_or_404(request, place_id), user=user)
    return HttpResponse(status=204)
