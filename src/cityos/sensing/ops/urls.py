"""Pages of this part; cityos.sensing.urls adds them to the "sensing" namespace."""

from __future__ import annotations

from django.urls import URLPattern

urlpatterns: list[URLPattern] = []
