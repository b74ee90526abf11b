"""Checks on the API's raw requests, before a schema reads them."""

from __future__ import annotations

import json
from collections.abc import Callable

from django.conf import settings
from django.core.validators import ProhibitNullCharactersValidator
from django.http import HttpRequest, HttpResponse

from cityos.core.api.problems import validation_problem
from cityos.core.inputs import JSON_NUL_ESCAPE, nul_path, query_nul_key

_NUL = ProhibitNullCharactersValidator()


class RefuseNulMiddleware:
    """A NUL character in an API request's query or JSON body is refused as a 422 naming its field
    (Django's own translated message), before it can reach PostgreSQL, which cannot store it. The
    bytes are looked at first, so a clean request costs one scan."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if request.path.startswith("/api/"):
            field = self._nul_field(request)
            if field is not None:
                error = {"field": field, "message": str(_NUL.message), "code": _NUL.code}
                return validation_problem(request, [error])
        return self.get_response(request)

    @staticmethod
    def _nul_field(request: HttpRequest) -> str | None:
        if (key := query_nul_key(request)) is not None:
            return f"query.{key}"
        content_type = request.META.get("CONTENT_TYPE", "")
        length = request.META.get("CONTENT_LENGTH") or "0"
        limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE
        # A body past the limit is left for the API to refuse with its 413.
        fits = length.isdigit() and (limit is None or int(length) <= limit)
        media_type = content_type.split(";")[0].strip().lower()
        is_json = media_type == "application/json" or media_type.endswith("+json")
        if is_json and request.method in ("POST", "PUT", "PATCH") and fits:
            body = request.body
            if JSON_NUL_ESCAPE in body:
                try:
                    data = json.loads(body)
                except (ValueError, RecursionError):
                    return None  # the API says what is wrong with it
                return nul_path(data, "body")
        return None
