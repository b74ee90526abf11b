"""Request bodies that an operation takes as JSON or as a form (a phone's camera upload).

ninja reads a body parameter from JSON only (``request.body``) and a ``Form`` parameter from form
fields only. :data:`JsonOrForm` reads one schema from either, by the request's Content-Type::

    from cityos.core.api.bodies import JsonOrForm, form_alternative

    ReportBody = Annotated[ReportIn, JsonOrForm(...)]

    @router.post("/reports", openapi_extra=form_alternative(ReportIn, files={"photo": {...}}))
    def report(request, payload: ReportBody): ...  # files: request.FILES (if is_form(request))

Errors name the same fields for both bodies (``body.reason``) and are the usual validation
problem (422, in the request's language). A form is never read through ``request.body``: Django
streams a multipart body into ``request.POST`` and ``FILES`` (a session's CSRF check may already
have), after which ``request.body`` raises, and a 10 MB photo would be held in memory whole. A
blank form field counts as left out (a form's blank time is "now", not a bad time). Any other
Content-Type is read as JSON, as every other operation reads it.

ninja has no public hook for this: :func:`_ninja_body_param` is the one place that touches its
internals, and ``tests/test_bodies.py`` fails loudly if they change.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any

from django.http import HttpRequest
from ninja import Schema

if TYPE_CHECKING:
    from ninja import NinjaAPI

FORM_CONTENT_TYPES = ("multipart/form-data", "application/x-www-form-urlencoded")

FormReader = Callable[[HttpRequest], dict[str, Any]]


def is_form(request: HttpRequest) -> bool:
    """Whether the body is a form (read from ``request.POST`` and ``FILES``), not JSON."""
    return request.content_type in FORM_CONTENT_TYPES


def form_fields(request: HttpRequest) -> dict[str, Any]:
    """The form's fields, without the blank ones (a field not filled in is one left out)."""
    return {key: value for key, value in request.POST.items() if value != ""}


def _ninja_body_param(read_form: FormReader) -> type[Any]:
    """A ninja body parameter class (used as ``Annotated[Model, Param(...)]``) that reads JSON as
    ``Body`` does, and a form's fields with ``read_form`` instead.

    Pinned to django-ninja 1.7 internals, all of them here:

    - ``ninja.params.models.Body`` is a parameter class whose ``_model`` (a ``BodyModel``
      subclass) ninja subclasses per operation, then calls
      ``get_request_data(request, api, path_params)`` on to get the data it validates;
    - ``_param_source()`` is the model's ``__ninja_param_source__``: ``"body"`` makes OpenAPI
      document it as the JSON request body and errors be located at ``body.<field>`` (a subclass
      would otherwise be named after itself);
    - the generated model has ``__read_from_single_attr__``: the parameter's name when it is the
      operation's only body parameter, whose data is then given under that name.
    """
    from ninja.params.models import Body, BodyModel

    class JsonOrFormModel(BodyModel):
        @classmethod
        def get_request_data(
            cls, request: HttpRequest, api: NinjaAPI, path_params: dict[str, Any]
        ) -> dict[str, Any] | None:
            if not is_form(request):
                return super().get_request_data(request, api, path_params)
            fields = read_form(request)
            name = getattr(cls, "__read_from_single_attr__", None)
            return {name: fields} if name else fields

    class JsonOrFormParam(Body):  # type: ignore[misc]
        _model = JsonOrFormModel

        @classmethod
        def _param_source(cls) -> str:
            return "body"

    return JsonOrFormParam


JsonOrForm = _ninja_body_param(form_fields)
"""A body parameter read from JSON or from form fields; the operation reads files itself."""


def form_alternative(
    schema: type[Schema],
    *,
    title: str = "",
    files: Mapping[str, Mapping[str, Any]] | None = None,
    content_type: str = "multipart/form-data",
) -> dict[str, Any]:
    """``openapi_extra`` documenting ``schema``'s fields as a form, beside the JSON body ninja
    documents: ``files`` maps each file field to its ``description`` and, optionally, the media
    types it takes (``contentType``, e.g. ``"image/jpeg, image/png"``)."""
    form = schema.model_json_schema(ref_template="#/components/schemas/{model}")
    # The same schema is the operation's JSON body, so ninja has made its $defs components.
    form.pop("$defs", None)
    form["title"] = title or f"{schema.__name__}Form"
    encoding: dict[str, Any] = {}
    for name, file in (files or {}).items():
        form.setdefault("properties", {})[name] = {
            "type": "string",
            "format": "binary",
            "description": str(file.get("description", "")),
        }
        if file.get("contentType"):
            encoding[name] = {"contentType": file["contentType"]}
    media: dict[str, Any] = {"schema": form}
    if encoding:
        media["encoding"] = encoding
    return {"requestBody": {"content": {content_type: media}}}
