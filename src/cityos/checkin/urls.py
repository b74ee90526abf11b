from django.urls import path

from cityos.checkin import views

app_name = "checkin"
urlpatterns = [
    path("", views.my_visits, name="visits"),
    path("v/<str:code>/", views.checkin_page, name="page"),
    path("done/<str:token>/", views.checked_in, name="done"),
    path("out/", views.check_out, name="checkout"),
    path("visits/<int:check_in_id>/out/", views.my_check_out, name="my-checkout"),
    path("sms/", views.inbound_sms, name="sms"),
    path("venues/new/", views.register_venue, name="register"),
    path("venues/<int:venue_id>/", views.venue_detail, name="venue"),
    path("venues/<int:venue_id>/edit/", views.edit_venue, name="edit"),
    path("venues/<int:venue_id>/poster.pdf", views.venue_poster, name="poster"),
    path("venues/<int:venue_id>/reissue/", views.venue_reissue, name="reissue"),
    path("venues/<int:venue_id>/active/", views.venue_active, name="active"),
    path("ops/venues/", views.ops_venues, name="ops-venues"),
    path("ops/venues/new/", views.ops_register_venue, name="ops-register"),
    path("ops/venues/import/", views.ops_import_venues, name="ops-import"),
    path("ops/activity/", views.ops_activity, name="ops-activity"),
    path("ops/activity/map.geojson", views.ops_activity_map, name="ops-activity-map"),
    path("ops/alerts/", views.ops_alerts, name="ops-alerts"),
    path("ops/alerts/<int:alert_id>/", views.ops_alert, name="ops-alert"),
]
