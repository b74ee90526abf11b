from django.urls import path

from cityos.core.geo import views

app_name = "geo"
urlpatterns = [
    path("", views.places_map, name="places"),
]
