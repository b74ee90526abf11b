"""Every write to districts and places: validation, one transaction, events on commit.

District boundaries come from a GeoJSON FeatureCollection (EPSG:4326). An import is all or
nothing: the report says, feature by feature, what would be created or updated and what was
refused and why; a single refused feature (or a file that is not GeoJSON) saves nothing.
Places get their H3 cell and their district (point in polygon) computed here, never by hand.
"""

from __future__ import annotations

import csv
import io
import json
import math
import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

import shapely
from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import URLValidator
from django.db import transaction
from django.db.models import TextChoices
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext
from shapely.geometry import Point, mapping, shape
from shapely.strtree import STRtree

from cityos.core.accounts.models import User
from cityos.core.accounts.permissions import require_any_role
from cityos.core.events import publish
from cityos.core.geo import conf
from cityos.core.geo.events import DistrictsImported, PlaceChanged
from cityos.core.geo.h3cells import PLACE_RESOLUTION, cell_for
from cityos.core.geo.models import District, Place, PlaceKind
from cityos.core.geo.opening_hours import validate_opening_hours
from cityos.core.registry import Roles

MAX_NAME_LENGTH = 200
_CODE = re.compile(r"^[-a-zA-Z0-9_]{1,50}$")
# Coordinate systems that mean "longitude/latitude in WGS 84 degrees" in older GeoJSON files.
WGS84_NAMES = {"urn:ogc:def:crs:OGC:1.3:CRS84", "urn:ogc:def:crs:OGC::CRS84", "EPSG:4326", "urn:ogc:def:crs:EPSG::4326"}


# --- Import reports ------------------------------------------------------------------------


class ImportAction(TextChoices):
    CREATE = "create", gettext_lazy("new")
    UPDATE = "update", gettext_lazy("changed")
    UNCHANGED = "unchanged", gettext_lazy("unchanged")
    REJECTED = "rejected", gettext_lazy("refused")


@dataclass
class ItemReport:
    """What an import makes of one feature or row (``number`` counts from 1, as people do)."""

    number: int
    key: str = ""
    label: str = ""
    action: str = ImportAction.REJECTED
    errors: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)

    @property
    def accepted(self) -> bool:
        return not self.errors

    @property
    def action_label(self) -> str:
        return str(ImportAction(self.action).label)


@dataclass
class ImportReport:
    """The outcome of one import file: nothing is saved unless every item is accepted."""

    dry_run: bool
    file_errors: list[str] = field(default_factory=list)
    items: list[ItemReport] = field(default_factory=list)
    saved: bool = False
    places_reassigned: int = 0

    @property
    def ok(self) -> bool:
        return not self.file_errors and bool(self.items) and all(i.accepted for i in self.items)

    def count(self, action: str) -> int:
        return sum(1 for i in self.items if i.action == action)

    @property
    def rejected(self) -> list[ItemReport]:
        return [i for i in self.items if not i.accepted]

    def summary(self) -> str:
        if self.file_errors:
            return _("The file was refused; nothing was saved.")
        new, changed, same = (self.count(a) for a in (ImportAction.CREATE, ImportAction.UPDATE, ImportAction.UNCHANGED))
        counts = _("%(new)s new, %(changed)s changed, %(same)s unchanged") % {
            "new": new,
            "changed": changed,
            "same": same,
        }
        if not self.ok:
            refused = len(self.rejected)
            return ngettext(
                "%(count)s item was refused, so nothing was saved (%(counts)s if fixed).",
                "%(count)s items were refused, so nothing was saved (%(counts)s if fixed).",
                refused,
            ) % {"count": refused, "counts": counts}
        if self.dry_run:
            return _("Checked, nothing saved (dry run): %(counts)s.") % {"counts": counts}
        return _("Saved: %(counts)s.") % {"counts": counts}


ProgressCallback = Callable[[ItemReport], None]


def _load_json(source: bytes | str, report: ImportReport) -> Any:
    if isinstance(source, bytes):
        try:
            source = source.decode("utf-8-sig")
        except UnicodeDecodeError:
            report.file_errors.append(_("The file is not UTF-8 text; save it as UTF-8 and try again."))
            return None

    def no_constants(name: str) -> None:
        raise ValueError(_("%(value)s is not a number JSON allows") % {"value": name})

    try:
        return json.loads(source, parse_constant=no_constants)
    except json.JSONDecodeError as error:
        report.file_errors.append(
            _("The file is not valid JSON: %(problem)s at line %(line)s, column %(column)s.")
            % {"problem": error.msg, "line": error.lineno, "column": error.colno}
        )
    except ValueError as error:
        report.file_errors.append(_("The file is not valid JSON: %(problem)s.") % {"problem": error})
    return None


def _features(data: Any, report: ImportReport) -> list[Any]:
    """The feature list of a FeatureCollection, or [] with the reason in ``report.file_errors``."""
    if not isinstance(data, dict):
        report.file_errors.append(
            _('The file is JSON but not GeoJSON: expected an object with "type": "FeatureCollection".')
        )
        return []
    if data.get("type") != "FeatureCollection":
        report.file_errors.append(
            _("type: expected “FeatureCollection”, found “%(found)s”; put the features in a FeatureCollection.")
            % {"found": data.get("type", "")}
        )
        return []
    crs = data.get("crs")
    if crs is not None:
        crs_name = crs.get("properties", {}).get("name") if isinstance(crs, dict) else None
        if crs_name not in WGS84_NAMES:
            report.file_errors.append(
                _("crs: “%(crs)s” is not accepted; coordinates must be WGS 84 longitude/latitude (EPSG:4326).")
                % {"crs": crs_name or crs}
            )
            return []
    features = data.get("features")
    if not isinstance(features, list):
        report.file_errors.append(_("features: expected a list of GeoJSON features."))
        return []
    if not features:
        report.file_errors.append(_("features: the file has no features."))
    return features


# --- District boundaries -------------------------------------------------------------------


def clean_boundary(geometry: Any) -> shapely.Geometry:
    """A valid, non-empty (Multi)Polygon in EPSG:4326, or ValidationError naming the problem."""
    if not isinstance(geometry, dict):
        raise ValidationError(_("geometry: missing; each district needs a Polygon or MultiPolygon boundary."))
    geometry_type = geometry.get("type")
    if geometry_type not in ("Polygon", "MultiPolygon"):
        raise ValidationError(
            _("geometry.type: expected Polygon or MultiPolygon, found “%(found)s”.") % {"found": geometry_type or ""}
        )
    try:
        geom = shapely.force_2d(shape(geometry))
    except (ValueError, TypeError, AttributeError, KeyError, IndexError, shapely.errors.ShapelyError) as error:
        raise ValidationError(
            _("geometry.coordinates: not a valid %(type)s coordinate array (%(problem)s).")
            % {"type": geometry_type, "problem": error}
        ) from error
    if geom.is_empty:
        raise ValidationError(_("geometry: the boundary is empty."))
    for lon, lat in shapely.get_coordinates(geom):
        if not (math.isfinite(lon) and math.isfinite(lat) and -180 <= lon <= 180 and -90 <= lat <= 90):
            raise ValidationError(
                _(
                    "geometry.coordinates: [%(lon)s, %(lat)s] is not a longitude/latitude pair; "
                    "coordinates must be WGS 84 degrees (EPSG:4326), longitude first."
                )
                % {"lon": lon, "lat": lat}
            )
    if not geom.is_valid:
        raise ValidationError(
            _("geometry: the boundary is not a valid polygon (%(reason)s); fix it, e.g. remove self-intersections.")
            % {"reason": shapely.is_valid_reason(geom)}
        )
    return geom


def area_km2(geom: shapely.Geometry) -> float:
    """Area on a local equirectangular projection: accurate to well under 1% at city scale."""
    lat0 = math.radians(geom.centroid.y)
    scale = [111.320 * math.cos(lat0), 110.574]
    return round(float(shapely.transform(geom, lambda coords: coords * scale).area), 3)


def boundary_fields(geom: shapely.Geometry) -> dict[str, Any]:
    """The stored boundary and what is derived from it."""
    centroid = geom.centroid
    return {
        # json round trip: shapely's tuples become the lists a JSONField reads back
        "geometry": json.loads(json.dumps(mapping(geom))),
        "centroid_lat": round(centroid.y, 7),
        "centroid_lon": round(centroid.x, 7),
        "area_km2": area_km2(geom),
    }


def _other_languages() -> list[str]:
    return [code for code, _name in settings.LANGUAGES if code != settings.LANGUAGE_CODE]


def _clean_names(properties: Mapping[str, Any], errors: list[str], warnings: list[str], prefix: str) -> dict[str, str]:
    """Translated names from ``names: {"es": ...}`` or ``name_es``-style properties."""
    languages = _other_languages()
    found: dict[str, Any] = {}
    given = properties.get("names")
    if given is not None and not isinstance(given, dict):
        errors.append(_('%(field)s: expected an object such as {"es": "…"}.') % {"field": f"{prefix}names"})
    elif isinstance(given, dict):
        for language, value in given.items():
            if language in languages:
                found[language] = value
            else:
                warnings.append(
                    _("%(field)s ignored: “%(language)s” is not a language of this site (%(languages)s).")
                    % {"field": f"{prefix}names.{language}", "language": language, "languages": ", ".join(languages)}
                )
    for language in languages:
        if f"name_{language}" in properties:
            found[language] = properties[f"name_{language}"]
    names: dict[str, str] = {}
    for language, value in found.items():
        if value in (None, ""):
            continue
        if not isinstance(value, str) or len(value.strip()) > MAX_NAME_LENGTH:
            errors.append(
                _("%(field)s: expected a name of at most %(max)s characters.")
                % {"field": f"{prefix}names.{language}", "max": MAX_NAME_LENGTH}
            )
            continue
        names[language] = value.strip()
    return names


@dataclass
class _DistrictRow:
    code: str
    name: str
    names: dict[str, str] | None
    population: int | None
    population_given: bool
    geom: shapely.Geometry


def _clean_district_feature(feature: Any, item: ItemReport) -> _DistrictRow | None:
    if not isinstance(feature, dict) or feature.get("type") != "Feature":
        item.errors.append(_('Not a GeoJSON feature: expected an object with "type": "Feature".'))
        return None
    properties = feature.get("properties")
    if properties is None:
        properties = {}
    if not isinstance(properties, dict):
        item.errors.append(_("properties: expected an object with code and name."))
        properties = {}

    code = properties.get("code")
    if isinstance(code, int) and not isinstance(code, bool):
        code = str(code)
    if code in (None, ""):
        item.errors.append(_("properties.code: missing; give each district a short unique code such as “old-town”."))
    elif not isinstance(code, str) or not _CODE.match(code.strip()):
        item.errors.append(
            _("properties.code: “%(code)s” is not a code; use up to 50 letters, digits, hyphens or underscores.")
            % {"code": code}
        )
    else:
        item.key = code = code.strip()

    name = properties.get("name")
    if not isinstance(name, str) or not name.strip():
        item.errors.append(_("properties.name: missing; give each district its name."))
    elif len(name.strip()) > MAX_NAME_LENGTH:
        item.errors.append(_("properties.name: longer than %(max)s characters.") % {"max": MAX_NAME_LENGTH})
    else:
        item.label = name = name.strip()

    names = _clean_names(properties, item.errors, item.warnings, "properties.")
    population_given = properties.get("population") is not None
    population = properties.get("population")
    if population_given:
        if isinstance(population, float) and population.is_integer():
            population = int(population)
        if isinstance(population, bool) or not isinstance(population, int) or population < 0:
            item.errors.append(
                _("properties.population: expected a whole number of people, found “%(found)s”.")
                % {"found": population}
            )
            population = None

    try:
        geom = clean_boundary(feature.get("geometry"))
    except ValidationError as error:
        item.errors.extend(error.messages)
        return None
    if item.errors:
        return None
    return _DistrictRow(
        code=str(code),
        name=str(name),
        names=names or None,
        population=population,
        population_given=population_given,
        geom=geom,
    )


def _district_changes(row: _DistrictRow) -> dict[str, Any]:
    changes: dict[str, Any] = {"name": row.name, **boundary_fields(row.geom)}
    if row.names is not None:
        changes["names"] = row.names
    if row.population_given:
        changes["population"] = row.population
    return changes


def _require(user: User | None, roles: Roles, otherwise: str) -> None:
    """Staff writing here hold ``roles`` where they count; None is the platform itself (the
    ``cityos import-*`` commands, run by the server's operator, and the demo), as in every
    module's services."""
    if user is not None:
        require_any_role(user, roles, otherwise)


def import_districts(
    source: bytes | str, *, user: User | None, dry_run: bool = False, progress: ProgressCallback | None = None
) -> ImportReport:
    """Create or update districts (matched by code) from a GeoJSON FeatureCollection (an
    administrator, or None: the platform).

    Properties a feature leaves out (translated names, population) keep their stored values.
    After a save, every place's district is recomputed, since boundaries may have moved.
    """
    _require(user, conf.DISTRICT_ROLES, _("Only administrators may change districts."))
    report = ImportReport(dry_run=dry_run)
    data = _load_json(source, report)
    if report.file_errors:
        return report
    features = _features(data, report)
    rows: list[tuple[ItemReport, _DistrictRow | None]] = []
    first_use: dict[str, int] = {}
    for number, feature in enumerate(features, start=1):
        item = ItemReport(number=number)
        row = _clean_district_feature(feature, item)
        if item.key:
            if item.key in first_use:
                item.errors.append(
                    _("properties.code: “%(code)s” is already used by feature %(other)s; codes must be unique.")
                    % {"code": item.key, "other": first_use[item.key]}
                )
                row = None
            else:
                first_use[item.key] = number
        rows.append((item, row))

    existing = {d.code: d for d in District.objects.filter(code__in=list(first_use))}
    for item, row in rows:
        if row is not None and not item.errors:
            current = existing.get(row.code)
            if current is None:
                item.action = ImportAction.CREATE
            elif any(getattr(current, k) != v for k, v in _district_changes(row).items()):
                item.action = ImportAction.UPDATE
            else:
                item.action = ImportAction.UNCHANGED
        report.items.append(item)
        if progress is not None:
            progress(item)

    if dry_run or not report.ok:
        return report
    with transaction.atomic():
        for item, row in rows:
            if row is None or item.action == ImportAction.UNCHANGED:
                continue
            changes = _district_changes(row)
            district = existing.get(row.code) or District(code=row.code)
            for name, value in changes.items():
                setattr(district, name, value)
            district.save()
        report.places_reassigned = reassign_place_districts()
        publish(
            DistrictsImported(
                created=[i.key for i in report.items if i.action == ImportAction.CREATE],
                updated=[i.key for i in report.items if i.action == ImportAction.UPDATE],
                places_reassigned=report.places_reassigned,
            )
        )
    report.saved = True
    return report


def save_district(district: District, *, user: User | None, geometry: Any, **fields: Any) -> District:
    """Save one district edited by hand (the back office: an administrator), deriving centroid and area."""
    _require(user, conf.DISTRICT_ROLES, _("Only administrators may change districts."))
    geom = clean_boundary(geometry)
    with transaction.atomic():
        for name, value in {**fields, **boundary_fields(geom)}.items():
            setattr(district, name, value)
        district.full_clean(exclude=["geometry"])
        district.save()
        reassigned = reassign_place_districts()
        publish(DistrictsImported(updated=[district.code], places_reassigned=reassigned))
    return district


# --- Point in district ---------------------------------------------------------------------


class DistrictIndex:
    """The districts' boundaries, prepared once, to find the district holding a point."""

    def __init__(self, entries: Iterable[tuple[int, shapely.Geometry]]) -> None:
        pairs = list(entries)
        self._ids = [pk for pk, _geom in pairs]
        geometries = [geom for _pk, geom in pairs]
        shapely.prepare(geometries)
        self._tree = STRtree(geometries)

    @classmethod
    def load(cls) -> DistrictIndex:
        entries = []
        # Ordered by code, so a point on a shared border always lands in the same district.
        for pk, geometry in District.objects.order_by("code").values_list("pk", "geometry"):
            try:
                entries.append((pk, shape(geometry)))
            except (ValueError, TypeError, AttributeError, KeyError, shapely.errors.ShapelyError):
                continue  # a boundary that cannot be read holds no points
        return cls(entries)

    def locate(self, lat: float, lon: float) -> int | None:
        """The id of the district covering (lat, lon), border included, or None outside them all."""
        hits = self._tree.query(Point(lon, lat), predicate="intersects")
        return self._ids[int(min(hits))] if len(hits) else None


def reassign_place_districts(index: DistrictIndex | None = None) -> int:
    """Recompute every place's district; returns how many moved."""
    index = index or DistrictIndex.load()
    moved = 0
    for place in Place.objects.only("pk", "name", "lat", "lon", "district_id").iterator():
        district_id = index.locate(place.lat, place.lon)
        if district_id != place.district_id:
            place.district_id = district_id
            place.save(update_fields=["district", "updated_at"])
            moved += 1
    return moved


# --- Places --------------------------------------------------------------------------------

PLACE_FIELDS = ("kind", "name", "names", "address", "lat", "lon", "opening_hours", "phone", "website", "is_active")
REQUIRED_PLACE_FIELDS = ("kind", "name", "lat", "lon")
_url = URLValidator(schemes=["http", "https"])


def _coordinate(value: Any, low: float, high: float) -> float | None:
    if isinstance(value, bool):
        return None
    try:
        number = float(value)
    except (TypeError, ValueError):
        return None
    return number if math.isfinite(number) and low <= number <= high else None


def validate_place(data: Mapping[str, Any]) -> dict[str, Any]:
    """Clean a place's fields; ValidationError maps each bad field to what to fix."""
    unknown = set(data) - set(PLACE_FIELDS)
    if unknown:
        raise TypeError(f"unknown place fields: {sorted(unknown)}")
    errors: dict[str, list[str]] = {}
    cleaned: dict[str, Any] = {}

    def fail(name: str, message: str) -> None:
        errors.setdefault(name, []).append(message)

    for name in REQUIRED_PLACE_FIELDS:
        if data.get(name) in (None, ""):
            fail(name, _("This field is required."))
    kind = data.get("kind")
    if kind not in (None, ""):
        if kind in PlaceKind.values:
            cleaned["kind"] = str(kind)
        else:
            fail(
                "kind",
                _("“%(value)s” is not a kind of place; use one of: %(choices)s.")
                % {"value": kind, "choices": ", ".join(PlaceKind.values)},
            )
    for name, limit in (("name", MAX_NAME_LENGTH), ("address", 300), ("phone", 30)):
        value = data.get(name, "")
        if value is None:
            value = ""
        if not isinstance(value, str):
            fail(name, _("Expected text."))
        elif len(value.strip()) > limit:
            fail(name, _("Use at most %(max)s characters (this has %(count)s).") % {"max": limit, "count": len(value)})
        elif name == "name" and not value.strip():
            if "name" not in errors:
                fail(name, _("This field is required."))
        else:
            cleaned[name] = value.strip()
    for name, low, high, message in (
        ("lat", -90.0, 90.0, _("Latitude must be a number from -90 to 90.")),
        ("lon", -180.0, 180.0, _("Longitude must be a number from -180 to 180.")),
    ):
        if data.get(name) in (None, ""):
            continue
        number = _coordinate(data[name], low, high)
        if number is None:
            fail(name, message)
        else:
            cleaned[name] = number
    names_errors: list[str] = []
    names_warnings: list[str] = []
    names = data.get("names") or {}
    if not isinstance(names, dict):
        fail("names", _('Expected an object of translated names such as {"es": "…"}.'))
    else:
        cleaned["names"] = _clean_names({"names": names}, names_errors, names_warnings, "")
        # Through the API or a form an unknown language is a mistake, not something to skip.
        for message in names_errors + names_warnings:
            fail("names", message)
    try:
        cleaned["opening_hours"] = validate_opening_hours(data.get("opening_hours"))
    except ValidationError as error:
        for message in error.messages:
            fail("opening_hours", message)
    website = data.get("website") or ""
    if not isinstance(website, str):
        fail("website", _("Expected a web address."))
    elif website:
        try:
            _url(website.strip())
            cleaned["website"] = website.strip()
        except ValidationError:
            fail("website", _("Enter a full web address starting with https:// or http://."))
    else:
        cleaned["website"] = ""
    active = data.get("is_active", True)
    if not isinstance(active, bool):
        fail("is_active", _("Expected true or false."))
    else:
        cleaned["is_active"] = active
    if errors:
        raise ValidationError(errors)
    return cleaned


def _require_place_keeper(user: User | None) -> None:
    _require(user, conf.PLACE_ROLES, _("Only the staff who keep the city's places may change them."))


def _save_place(place: Place, data: Mapping[str, Any], action: str, index: DistrictIndex | None = None) -> Place:
    cleaned = validate_place(data)
    with transaction.atomic():
        for name, value in cleaned.items():
            setattr(place, name, value)
        place.h3_cell = cell_for(place.lat, place.lon, PLACE_RESOLUTION)
        place.district_id = (index or DistrictIndex.load()).locate(place.lat, place.lon)
        place.save()
        district_code = place.district.code if place.district_id and place.district else ""
        publish(PlaceChanged(place_id=place.pk, action=action, kind=place.kind, district_code=district_code))
    return place


def create_place(*, user: User | None, **fields: Any) -> Place:
    """Add a public place (staff of ``conf.PLACE_ROLES``, or None: the platform); its H3 cell and
    district are computed from lat/lon."""
    _require_place_keeper(user)
    return _save_place(Place(), fields, "created")


def update_place(place: Place, *, user: User | None, **changes: Any) -> Place:
    """Change some of a place's fields (staff of ``conf.PLACE_ROLES``, or None: the platform);
    the rest keep their values."""
    _require_place_keeper(user)
    current = {name: getattr(place, name) for name in PLACE_FIELDS}
    return _save_place(place, {**current, **changes}, "created" if place.pk is None else "updated")


def delete_place(place: Place, *, user: User | None) -> None:
    """Remove a place (staff of ``conf.PLACE_ROLES``, or None: the platform)."""
    _require_place_keeper(user)
    with transaction.atomic():
        event = PlaceChanged(
            place_id=place.pk,
            action="deleted",
            kind=place.kind,
            district_code=place.district.code if place.district else "",
        )
        place.delete()
        publish(event)


# --- Place import (CSV or GeoJSON points) -------------------------------------------------

# Columns the CSV export adds for reading; an import ignores them.
EXPORT_ONLY_COLUMNS = {"kind_label", "district", "district_name", "h3_cell", "opening_hours_text", "open_now", "url"}
PlaceFormat = Literal["csv", "geojson"]


def _place_row_from_csv(row: Mapping[str, str | None]) -> tuple[str, dict[str, Any], list[str]]:
    errors: list[str] = []
    data: dict[str, Any] = {}
    names: dict[str, str] = {}
    main_name = ""
    for column, raw in row.items():
        value = (raw or "").strip()
        if column in (None, "id") or column in EXPORT_ONLY_COLUMNS:
            continue
        if column == f"name_{settings.LANGUAGE_CODE}":
            main_name = value
        elif column.startswith("name_"):
            names[column.removeprefix("name_")] = value
        elif column == "opening_hours":
            try:
                data[column] = json.loads(value) if value else {}
            except ValueError:
                errors.append(_('opening_hours: not JSON; write e.g. {"mon": [["08:00", "17:00"]]}.'))
        elif column == "is_active":
            data[column] = value.lower() not in {"0", "false", "no", "n"} if value else True
        elif column in PLACE_FIELDS:
            data[column] = value
    if names:
        data["names"] = names
    if main_name:
        # The export's ``name`` is in the language it was downloaded in; this one is the main name.
        data["name"] = main_name
    return (row.get("id") or "").strip(), data, errors


def _place_row_from_feature(feature: Any) -> tuple[str, dict[str, Any], list[str]]:
    if not isinstance(feature, dict) or feature.get("type") != "Feature":
        return "", {}, [_('Not a GeoJSON feature: expected an object with "type": "Feature".')]
    geometry = feature.get("geometry") or {}
    properties = feature.get("properties") or {}
    if not isinstance(properties, dict):
        return "", {}, [_("properties: expected an object with kind and name.")]
    errors: list[str] = []
    data: dict[str, Any] = {k: v for k, v in properties.items() if k in PLACE_FIELDS and k not in ("lat", "lon")}
    names = data.get("names")
    if isinstance(names, dict) and settings.LANGUAGE_CODE in names:
        # As exported: ``name`` is in the language it was downloaded in, ``names`` holds them all.
        names = dict(names)
        main_name = names.pop(settings.LANGUAGE_CODE)
        data["names"] = names
        if main_name not in (None, ""):
            data["name"] = main_name
    coordinates = geometry.get("coordinates") if isinstance(geometry, dict) else None
    if not isinstance(geometry, dict) or geometry.get("type") != "Point":
        errors.append(
            _("geometry.type: expected Point, found “%(found)s”.")
            % {"found": geometry.get("type", "") if isinstance(geometry, dict) else ""}
        )
    elif not isinstance(coordinates, list) or len(coordinates) < 2:
        errors.append(_("geometry.coordinates: expected [longitude, latitude]."))
    else:
        data["lon"], data["lat"] = coordinates[0], coordinates[1]
    place_id = properties.get("id", feature.get("id"))
    return ("" if place_id is None else str(place_id)), data, errors


def import_places(
    source: bytes | str,
    *,
    user: User | None,
    file_format: PlaceFormat,
    dry_run: bool = False,
    progress: ProgressCallback | None = None,
) -> ImportReport:
    """Create places (or update them, by ``id``) from CSV or GeoJSON points; all or nothing
    (staff of ``conf.PLACE_ROLES``, or None: the platform, e.g. ``cityos import-places``).

    The CSV has a header row: kind, name, lat, lon, and optionally id, address, phone, website,
    is_active, opening_hours (as JSON) and name_<language> columns, as the CSV export writes;
    name_<the site's language> (name_en), when filled, is the main name rather than ``name``,
    which the export writes in the language it was downloaded in. GeoJSON alike: ``names`` with
    the site's language in it (as exported) gives the main name.
    """
    _require_place_keeper(user)
    report = ImportReport(dry_run=dry_run)
    rows: list[tuple[str, dict[str, Any], list[str]]] = []
    if file_format == "csv":
        text = source.decode("utf-8-sig", errors="replace") if isinstance(source, bytes) else source
        # newline="" lets the csv module handle quoted line breaks and \r\n itself.
        reader = csv.DictReader(io.StringIO(text, newline=""))
        try:
            missing = [c for c in REQUIRED_PLACE_FIELDS if c not in (reader.fieldnames or [])]
            if missing:
                report.file_errors.append(
                    _("The CSV header lacks the column(s): %(columns)s.") % {"columns": ", ".join(missing)}
                )
                return report
            rows = [_place_row_from_csv(r) for r in reader]
        except csv.Error as error:
            report.file_errors.append(_("The file is not valid CSV (%(problem)s).") % {"problem": error})
            return report
        if not rows:
            report.file_errors.append(_("The file has no rows."))
    else:
        data = _load_json(source, report)
        if report.file_errors:
            return report
        rows = [_place_row_from_feature(f) for f in _features(data, report)]

    ids = [int(pid) for pid, _d, _e in rows if pid.isdigit()]
    existing = Place.objects.in_bulk(ids)
    plans: list[tuple[Place, dict[str, Any]]] = []
    for number, (place_id, data, errors) in enumerate(rows, start=1):
        item = ItemReport(number=number, key=place_id, label=str(data.get("name", "")), errors=list(errors))
        place: Place | None = Place()
        if place_id:
            place = existing.get(int(place_id)) if place_id.isdigit() else None
            if place is None:
                item.errors.append(_("id: there is no place %(id)s to update.") % {"id": place_id})
        if place is not None and not item.errors:
            merged = {**({n: getattr(place, n) for n in PLACE_FIELDS} if place.pk else {}), **data}
            try:
                validate_place(merged)
            except ValidationError as error:
                item.errors.extend(f"{name}: {m}" for name, messages in error.message_dict.items() for m in messages)
            else:
                item.action = ImportAction.UPDATE if place.pk else ImportAction.CREATE
                plans.append((place, merged))
        report.items.append(item)
        if progress is not None:
            progress(item)
    if dry_run or not report.ok:
        return report
    index = DistrictIndex.load()
    with transaction.atomic():
        for place, merged in plans:
            _save_place(place, merged, "updated" if place.pk else "created", index=index)
    report.saved = True
    return report
