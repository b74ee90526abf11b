from django.urls import path

from cityos.monitoring import sms, views

app_name = "monitoring"
urlpatterns = [
    path("parking/", views.parking, name="parking"),
    path("water/", views.water, name="water"),
    path("water/what-it-means/", views.water_about, name="water-about"),
    path("air/", views.air, name="air"),
    path("traps/", views.traps, name="traps"),
    path("staff/traps/", views.trap_events, name="trap-events"),
    path("staff/traps/catches.<slug:export>", views.trap_events, name="trap-events-export"),
    path("staff/homes/", views.homes, name="homes"),
    path("staff/homes/damp-risk.<slug:export>", views.homes, name="homes-export"),
    path("staff/homes/check/", views.run_damp_check, name="damp-check"),
    path("staff/work-orders/", views.work_orders, name="work-orders"),
    path("staff/work-orders/work-orders.<slug:export>", views.work_orders, name="work-orders-export"),
    path("staff/work-orders/<int:pk>/", views.work_order, name="work-order"),
    path("tile/", views.tile, name="tile"),
    path("hooks/sms/", sms.inbound_sms, name="inbound-sms"),
]
