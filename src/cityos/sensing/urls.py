"""Pages of the sensing app: exports, and the pages of its parts (ingest, operations centre)."""

from __future__ import annotations

from django.urls import URLResolver, include, path, re_path

from cityos.sensing import views
from cityos.sensing.ingest import urls as ingest_urls
from cityos.sensing.ops import urls as ops_urls

app_name = "sensing"
urlpatterns = [
    re_path(
        r"^datastreams/(?P<pk>\d+)/observations\.(?P<fmt>csv|geojson)$",
        views.export_observations,
        name="export-observations",
    ),
    *ingest_urls.urlpatterns,
    *ops_urls.urlpatterns,
]

# The standard fixes the API's own path at the root of the server.
root_urlpatterns: list[URLResolver] = [path("sta/v1.1/", include("cityos.sensing.sta.urls"))]
