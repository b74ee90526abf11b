"""Pages of this part; cityos.sensing.urls adds them to the "sensing" namespace."""

from __future__ import annotations

from django.urls import URLPattern, path

from cityos.sensing.ingest import views

urlpatterns: list[URLPattern] = [
    path("ops/dead-letters/", views.dead_letters, name="ingest-dead-letters"),
    path("ops/dead-letters.csv", views.dead_letters_csv, name="ingest-dead-letters-csv"),
    path("ops/dead-letters/action/", views.dead_letters_action, name="ingest-dead-letters-action"),
    path("ops/device-tokens/", views.grants, name="ingest-grants"),
]
