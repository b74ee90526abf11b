"""Every GeoJSON answer is documented as what it is sent as: ``application/geo+json`` only."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from cityos.core.accounts.models import Role
from cityos.core.api.site import GEOJSON_CONTENT_TYPE, openapi_document

pytestmark = pytest.mark.django_db

GEOJSON_TYPES = {"FeatureCollection", "Feature"}
# Beside a GeoJSON body, only the CSV of ``?format=csv`` is another answer.
OTHER_ANSWERS = {"text/csv"}


def _component(document: dict[str, Any], schema: dict[str, Any]) -> dict[str, Any]:
    ref = schema.get("$ref", "")
    return document["components"]["schemas"][ref.rsplit("/", 1)[1]] if ref else schema


def _is_geojson_schema(document: dict[str, Any], schema: dict[str, Any]) -> bool:
    """A FeatureCollection or Feature: its ``type`` property may only be one of those."""
    kind = _component(document, schema).get("properties", {}).get("type", {})
    allowed = set(kind.get("enum", [])) | ({kind["const"]} if "const" in kind else set())
    return bool(allowed) and allowed <= GEOJSON_TYPES


def _geojson_answers(document: dict[str, Any]) -> Iterator[tuple[str, str, str, dict[str, Any]]]:
    """(path, method, status, content) of every answer that is GeoJSON by its media type, its
    schema or its address, whatever media types it is documented with."""
    for path, item in document["paths"].items():
        for method, operation in item.items():
            for status, answer in operation.get("responses", {}).items():
                content = answer.get("content", {})
                if (
                    GEOJSON_CONTENT_TYPE in content
                    or any(_is_geojson_schema(document, media.get("schema", {})) for media in content.values())
                    or ("geojson" in path and status.startswith("2"))
                ):
                    yield path, method, status, content


def test_every_geojson_answer_is_documented_as_geojson_only():
    document = openapi_document()
    answers = list(_geojson_answers(document))
    wrong = {
        f"{method.upper()} {path} {status}": sorted(content)
        for path, method, status, content in answers
        if set(content) - OTHER_ANSWERS != {GEOJSON_CONTENT_TYPE} or "schema" not in content[GEOJSON_CONTENT_TYPE]
    }
    assert wrong == {}
    documented = {path for path, *_rest in answers}
    # The modules' map layers are all found (the walk finds what it should).
    assert {
        "/api/v1/monitoring/parking/geojson",
        "/api/v1/monitoring/air/geojson",
        "/api/v1/monitoring/water/geojson",
        "/api/v1/monitoring/traps/geojson",
        "/api/v1/waste/bins.geojson",
        "/api/v1/waste/plans/{plan_id}/routes.geojson",
        "/api/v1/geo/places",
        "/api/v1/epi/risk",
        "/api/v1/sensing/map",
    } <= documented


def test_every_geojson_list_without_parameters_answers_as_documented(make_token, token_client):
    # What the document says, checked against what is sent, for each operation an administrator
    # can ask without naming anything (the others' tests check theirs).
    document = openapi_document()
    client = token_client(make_token(scopes=("read",), roles=(Role.ADMINISTRATOR,)).secret)
    asked = []
    for path, method, status, _content in _geojson_answers(document):
        operation = document["paths"][path][method]
        if method != "get" or status != "200" or "{" in path:
            continue
        if any(p.get("required") for p in operation.get("parameters", [])):
            continue
        response = client.get(path)
        asked.append(path)
        assert response.status_code == 200, (path, response.content[:300])
        assert response["Content-Type"].split(";")[0] == GEOJSON_CONTENT_TYPE, path
    assert "/api/v1/monitoring/parking/geojson" in asked and "/api/v1/waste/bins.geojson" in asked
