from django.urls import path

from cityos.waste import sms, views

app_name = "waste"
urlpatterns = [
    path("", views.plans, name="plans"),
    path("tile/", views.tile, name="tile"),
    path("plans/<int:plan_id>/", views.plan_detail, name="plan"),
    path("plans/jobs/<int:job_id>/", views.plan_job, name="plan-job"),
    path("plans/<int:plan_id>/routes.geojson", views.plan_geojson, name="plan-geojson"),
    path("plans/<int:plan_id>/publish/", views.plan_publish, name="plan-publish"),
    path("routes/<int:route_id>/sheet.pdf", views.route_sheet, name="route-sheet"),
    path("routes/<int:route_id>/route.gpx", views.route_gpx, name="route-gpx"),
    path("routes/<int:route_id>/breakdown/", views.route_breakdown, name="route-breakdown"),
    path("crew/<int:route_id>/", views.crew, name="crew"),
    path("stops/<int:stop_id>/collected/", views.stop_collected, name="stop-collected"),
    path("stops/<int:stop_id>/missed/", views.stop_missed, name="stop-missed"),
    path("stops/<int:stop_id>/photo.jpg", views.stop_photo, name="stop-photo"),
    path("bins/", views.bins, name="bins"),
    path("bins/new/", views.bin_new, name="bin-new"),
    path("bins/<int:bin_id>/", views.bin_detail, name="bin"),
    path("bins/<int:bin_id>/sticker.pdf", views.bin_sticker, name="bin-sticker"),
    path("bins/<slug:ref>/report/", views.report, name="bin-report"),
    path("report/", views.report, name="report"),
    path("report/done/<str:token>/", views.report_done, name="report-done"),
    path("reports/", views.reports, name="reports"),
    path("reports/<int:report_id>/resolve/", views.report_resolve, name="report-resolve"),
    path("reports/<int:report_id>/photo.jpg", views.report_photo, name="report-photo"),
    path("hooks/sms/", sms.inbound_sms, name="inbound-sms"),
    path("fleet/", views.fleet, name="fleet"),
    path("fleet/vehicles/new/", views.vehicle_form, name="vehicle-new"),
    path("fleet/vehicles/<int:vehicle_id>/", views.vehicle_form, name="vehicle"),
    path("fleet/depots/new/", views.depot_form, name="depot-new"),
    path("fleet/sites/new/", views.site_form, name="site-new"),
    path("results/", views.results, name="results"),
    path("results/progress/", views.results_progress, name="results-progress"),
]
