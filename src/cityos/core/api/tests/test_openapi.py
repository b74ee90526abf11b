"""The OpenAPI document and its interactive docs, served by the app itself."""

from __future__ import annotations

import json
import re

import pytest

pytestmark = pytest.mark.django_db


def test_the_openapi_document_has_no_duplicate_keys(client):
    # json.loads keeps the last of two equal keys; Swagger UI and other OpenAPI tools refuse them.
    def no_duplicates(pairs: list[tuple[str, object]]) -> dict[str, object]:
        keys = [key for key, _value in pairs]
        assert len(keys) == len(set(keys)), sorted(k for k in keys if keys.count(k) > 1)
        return dict(pairs)

    schema = json.loads(client.get("/api/v1/openapi.json").content, object_pairs_hook=no_duplicates)
    imported = schema["paths"]["/api/v1/checkin/venues/import"]["post"]["responses"]
    assert {"200", "201", "422"} <= set(imported)  # declared (int) and problem (str) codes merged


def test_each_schema_in_the_openapi_document_is_one_model(client):
    # Components are keyed by class name: two apps' `AlertOut` would silently become one, and
    # clients generated from the document would read one app's answers with the other's model.
    from pydantic import BaseModel

    names = set(client.get("/api/v1/openapi.json").json()["components"]["schemas"])
    models: dict[str, set[str]] = {}
    pending = list(BaseModel.__subclasses__())
    while pending:
        model = pending.pop()
        pending.extend(model.__subclasses__())
        if model.__module__.startswith("cityos.") and ".tests" not in model.__module__:
            models.setdefault(model.__name__, set()).add(model.__module__)
    shared = {name: sorted(modules) for name, modules in models.items() if name in names and len(modules) > 1}
    assert shared == {}
    assert "ExposureAlertOut" in names and "AlertOut" in names


def test_the_openapi_document_describes_security_and_problems(client):
    schema = client.get("/api/v1/openapi.json").json()
    schemes = schema["components"]["securitySchemes"]
    assert (schemes["TokenAuth"]["type"], schemes["TokenAuth"]["scheme"]) == ("http", "bearer")
    assert "/api-tokens/" in schemes["TokenAuth"]["description"]
    assert schemes["SessionAuth"]["in"] == "cookie"
    me = schema["paths"]["/api/v1/accounts/me"]["get"]
    assert me["security"] == [{"TokenAuth": []}, {"SessionAuth": []}]
    languages = schema["paths"]["/api/v1/meta/languages"]["get"]
    assert {} in languages["security"]  # public, but a token or session is recognised
    assert "application/problem+json" in languages["responses"]["default"]["content"]
    assert "errors" in schema["components"]["schemas"]["ValidationProblem"]["properties"]


def test_the_openapi_document_lists_every_content_type_an_operation_answers_with(client):
    paths = client.get("/api/v1/openapi.json").json()["paths"]
    # ?format=csv (pagination's @csv_export) streams CSV.
    for path in ("/api/v1/waste/bins", "/api/v1/accounts/staff", "/api/v1/meta/languages"):
        assert "text/csv" in paths[path]["get"]["responses"]["200"]["content"], path
    # An operation's own 422 report and the validation problem of an unreadable request.
    refused = paths["/api/v1/checkin/venues/import"]["post"]["responses"]["422"]["content"]
    assert {"application/json", "application/problem+json"} <= refused.keys()


@pytest.mark.parametrize("url", ["/api/docs", "/api/v1/docs"])
def test_swagger_ui_is_served_from_our_static_files_not_a_cdn(client, url):
    response = client.get(url)
    assert response.status_code == 200
    html = response.content.decode()
    assert "/static/ninja/swagger-ui" in html
    assert '<html lang="en">' in html  # WCAG 3.1.1
    # Every script and stylesheet comes from this server; a CSRF token may spell "cdn" by chance.
    sources = re.findall(r'(?:src|href)="([^"]*)"', html)
    assert sources and all(source.startswith("/") or source.startswith("#") for source in sources), sources
