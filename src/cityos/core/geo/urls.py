from django.urls import path

from cityos.core.geo import views

app_name = "geo"
urlpatterns = [
    path("", views.places_map, name="places"),
    path("<int:place_id>/", views.place_detail, name="place"),
    path("manage/", views.manage, name="manage"),
    path("manage/export.csv", views.manage_export, {"file_format": "csv"}, name="export-csv"),
    path("manage/export.geojson", views.manage_export, {"file_format": "geojson"}, name="export-geojson"),
]
