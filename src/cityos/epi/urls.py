"""Pages of the epi app. None yet: the first slice is the Rt engine and its API; the public
dashboard and staff pages come with issue 5's later points."""

from __future__ import annotations

from django.urls import URLPattern

app_name = "epi"
urlpatterns: list[URLPattern] = []
