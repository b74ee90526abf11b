"""Pages of this part; cityos.sensing.urls adds them to the "sensing" namespace."""

from __future__ import annotations

from django.urls import URLPattern, path

from cityos.sensing.ops import views

urlpatterns: list[URLPattern] = [
    path("ops/map/", views.ops_map, name="ops-map"),
    path("ops/alerts/", views.alert_feed, name="ops-alerts"),
    path("ops/alerts/stream/", views.alert_stream, name="ops-alert-stream"),
    path("ops/alerts/<int:pk>/", views.alert_detail, name="ops-alert"),
    path("ops/alerts/<int:pk>/acknowledge/", views.alert_acknowledge, name="ops-alert-acknowledge"),
    path("ops/alerts/<int:pk>/resolve/", views.alert_resolve, name="ops-alert-resolve"),
    path("ops/tile/", views.tile, name="ops-tile"),
    path("ops/health/", views.health, name="ops-health"),
    path("ops/datastreams/<int:pk>/chart/", views.datastream_chart, name="ops-chart"),
    path("ops/rules/", views.rule_list, name="ops-rules"),
    path("ops/rules/new/", views.rule_form, name="ops-rule-new"),
    path("ops/rules/<int:pk>/", views.rule_form, name="ops-rule-edit"),
    path("ops/rules/<int:pk>/delete/", views.rule_delete, name="ops-rule-delete"),
]
