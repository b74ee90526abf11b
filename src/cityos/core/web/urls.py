from django.urls import path

from cityos.core.web import views

app_name = "web"
urlpatterns = [
    path("", views.home, name="home"),
    path("me/", views.me, name="me"),
    path("me/edit/", views.me_edit, name="me-edit"),
    path("me/phone/", views.me_phone, name="me-phone"),
    path("ops/", views.ops, name="ops"),
    path("ops/tiles/jobs/", views.tile_jobs, name="tile-jobs"),
    path("language/", views.set_language, name="set-language"),
    path("healthz", views.healthz, name="healthz"),
]
