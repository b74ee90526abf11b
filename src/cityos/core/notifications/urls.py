from django.urls import URLPattern, path

from cityos.core.notifications import views

app_name = "notifications"
urlpatterns: list[URLPattern] = [
    path("", views.message_list, name="list"),
    path("export.csv", views.export, name="export"),
    path("compose/", views.compose, name="compose"),
    path("preferences/", views.preferences, name="preferences"),
    path("tiles/today/", views.tile_today, name="tile-today"),
    path("hooks/sms/", views.inbound_sms, name="inbound-sms"),
    path("hooks/status/", views.delivery_report, name="delivery-report"),
]
