"""Pages of the sensing app: exports now; the operations-centre pages come later."""

from __future__ import annotations

from django.urls import re_path

from cityos.sensing import views

app_name = "sensing"
urlpatterns = [
    re_path(
        r"^datastreams/(?P<pk>\d+)/observations\.(?P<fmt>csv|geojson)$",
        views.export_observations,
        name="export-observations",
    ),
]
