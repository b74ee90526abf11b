from __future__ import annotations

from django.urls import path, re_path

from cityos.sensing.sta import views

urlpatterns = [
    path("", views.service_root, name="sta-root"),
    re_path(r"^(?P<path>.+)$", views.resource, name="sta-resource"),
]
