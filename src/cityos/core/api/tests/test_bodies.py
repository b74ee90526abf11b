"""Bodies read from JSON or from a form (``core.api.bodies``), on an API of their own."""

from __future__ import annotations

import inspect
from datetime import datetime
from typing import Annotated, Any, Literal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.http import HttpRequest
from django.urls import path
from ninja import Field, Schema

from cityos.core.api.bodies import JsonOrForm, form_alternative, is_form
from cityos.core.api.site import CityNinjaAPI
from cityos.core.api.tests.conftest import assert_problem

pytestmark = [pytest.mark.django_db, pytest.mark.urls(__name__)]


class SightingIn(Schema):
    reason: Literal["blocked", "damaged"]
    note: str = Field("", max_length=20)
    at: datetime | None = None


SightingBody = Annotated[SightingIn, JsonOrForm(...)]
SIGHTING_FORM = form_alternative(
    SightingIn, files={"photo": {"description": "What was seen", "contentType": "image/jpeg, image/png"}}
)

api = CityNinjaAPI(urls_namespace="test-bodies")


def _answer(request: HttpRequest, payload: SightingIn) -> dict[str, Any]:
    photo = request.FILES.get("photo") if is_form(request) else None
    return {
        "reason": payload.reason,
        "note": payload.note,
        "at": payload.at.isoformat() if payload.at else None,
        "photo": photo.read().decode() if photo else None,
    }


@api.post("/sightings", openapi_extra=SIGHTING_FORM)
def sighting(request: HttpRequest, payload: SightingBody) -> dict[str, Any]:
    return _answer(request, payload)


@api.post("/json-only")
def json_only(request: HttpRequest, payload: SightingIn) -> dict[str, Any]:
    return _answer(request, payload)


urlpatterns = [path("api/bodies/", api.urls)]

URL = "/api/bodies/sightings"


def test_a_json_body_is_read_as_json(client):
    body = {"reason": "blocked", "note": "Red van", "at": "2026-11-28T07:30:00+08:00"}
    response = client.post(URL, body, content_type="application/json")
    assert response.status_code == 200, response.content
    assert response.json() == {
        "reason": "blocked",
        "note": "Red van",
        "at": "2026-11-28T07:30:00+08:00",
        "photo": None,
    }


def test_a_multipart_body_is_read_from_its_fields_and_its_file_is_the_operations(client):
    photo = SimpleUploadedFile("bin.jpg", b"jpeg bytes", content_type="image/jpeg")
    response = client.post(URL, {"reason": "damaged", "note": "Lid off", "photo": photo})
    assert response.status_code == 200, response.content
    assert response.json() == {"reason": "damaged", "note": "Lid off", "at": None, "photo": "jpeg bytes"}


def test_a_form_encoded_body_is_read_and_a_blank_field_counts_as_left_out(client):
    response = client.post(URL, "reason=blocked&note=&at=", content_type="application/x-www-form-urlencoded")
    assert response.status_code == 200, response.content
    assert response.json() == {"reason": "blocked", "note": "", "at": None, "photo": None}


@pytest.mark.parametrize("kind", ["json", "multipart"])
def test_a_bad_body_is_a_validation_problem_naming_the_same_fields_in_the_callers_language(client, kind):
    fields = {"reason": "lost", "note": "x" * 21}
    headers = {"Accept-Language": "es"}
    if kind == "json":
        response = client.post(URL, fields, content_type="application/json", headers=headers)
    else:
        response = client.post(URL, fields, headers=headers)
    problem = assert_problem(response, 422)
    assert problem["type"] == "urn:cityos:problem:validation-error"
    messages = {error["field"]: error["message"] for error in problem["errors"]}
    assert messages == {
        "body.reason": "Elige uno de: 'blocked', 'damaged'.",
        "body.note": "Usa como máximo 20 caracteres.",
    }


@pytest.mark.parametrize(
    ("body", "content_type"),
    [("reason=blocked", "application/x-www-form-urlencoded"), (None, "multipart/form-data")],
    ids=["form-encoded", "multipart"],
)
def test_a_form_posted_to_an_operation_that_takes_json_only_is_refused_as_before(client, body, content_type):
    if body is None:
        response = client.post("/api/bodies/json-only", {"reason": "blocked"})  # the client's multipart
    else:
        response = client.post("/api/bodies/json-only", body, content_type=content_type)
    problem = assert_problem(response, 400)
    assert problem["detail"] == "The request body could not be read. Send JSON with Content-Type: application/json."


def test_openapi_documents_the_json_body_and_the_form_with_its_file():
    operation = api.get_openapi_schema()["paths"]["/api/bodies/sightings"]["post"]
    bodies = operation["requestBody"]["content"]
    assert bodies["application/json"]["schema"] == {"$ref": "#/components/schemas/SightingIn"}
    form = bodies["multipart/form-data"]
    assert form["schema"]["title"] == "SightingInForm"
    assert set(form["schema"]["properties"]) == {"reason", "note", "at", "photo"}
    assert form["schema"]["properties"]["photo"] == {
        "type": "string",
        "format": "binary",
        "description": "What was seen",
    }
    assert form["encoding"] == {"photo": {"contentType": "image/jpeg, image/png"}}
    assert "$defs" not in form["schema"]


def test_the_ninja_internals_json_or_form_is_built_on_are_still_there():
    # If this fails after upgrading django-ninja, adapt bodies._ninja_body_param (the one place
    # that uses them) rather than the operations: see its docstring for what each one does.
    from ninja.openapi.schema import BODY_CONTENT_TYPES
    from ninja.params.models import Body, BodyModel
    from ninja.signature.details import ViewSignature

    assert issubclass(JsonOrForm, Body), "ninja.params.models.Body is no longer the body parameter class"
    assert issubclass(JsonOrForm._model, BodyModel), "Body._model is no longer a BodyModel"
    assert list(inspect.signature(BodyModel.get_request_data).parameters) == ["request", "api", "path_params"], (
        "BodyModel.get_request_data(request, api, path_params) changed"
    )
    assert BODY_CONTENT_TYPES.get("body") == "application/json", "a 'body' source is no longer documented as JSON"

    def view(request: HttpRequest, payload: SightingBody) -> None: ...

    [model] = ViewSignature("/sightings", view).models
    assert issubclass(model, JsonOrForm._model), "ninja no longer builds the operation's model from Param._model"
    assert model.__ninja_param_source__ == "body", "Param._param_source() no longer names the model's source"
    assert model.__read_from_single_attr__ == "payload", "a lone body parameter is no longer read under its name"
