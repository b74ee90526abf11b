from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from cityos.core.geo.models import Place


def places_map(request: HttpRequest) -> HttpResponse:
    places = Place.objects.filter(is_active=True).select_related("district")
    return render(request, "geo/places.html", {"places": places})
