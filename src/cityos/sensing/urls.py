"""Pages of the sensing app: exports now; the operations-centre pages come later."""

from __future__ import annotations

from django.urls import URLResolver, include, path, re_path

from cityos.sensing import views

app_name = "sensing"
urlpatterns = [
    re_path(
        r"^datastreams/(?P<pk>\d+)/observations\.(?P<fmt>csv|geojson)$",
        views.export_observations,
        name="export-observations",
    ),
]

# The standard fixes the API's own path at the root of the server.
root_urlpatterns: list[URLResolver] = [path("sta/v1.1/", include("cityos.sensing.sta.urls"))]
