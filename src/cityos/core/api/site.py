"""The one NinjaAPI instance. Routers come from the registry, so a new domain app's API
appears under /api/v1/<prefix>/ without this file changing."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from ninja import NinjaAPI
from ninja.openapi.views import openapi_view

from cityos import __version__
from cityos.core.registry import registry

api = NinjaAPI(
    title="CityOS API",
    version=__version__,
    description="The open API of CityOS. Errors are RFC 9457 problem+json; lists take limit/offset.",
    urls_namespace="api",
    docs_url="/docs",
)


@api.get("/", tags=["meta"], summary="API index")
def index(request: HttpRequest) -> dict[str, object]:
    return {"version": __version__, "modules": sorted(registry.api_routers)}


def mount_registered_routers() -> None:
    for prefix, entry in sorted(registry.api_routers.items()):
        api.add_router(f"/{prefix}/", entry.router, tags=list(entry.tags) or [prefix])


mount_registered_routers()


def api_docs(request: HttpRequest) -> HttpResponse:
    """Interactive OpenAPI documentation at /api/docs."""
    return openapi_view(request, api)
