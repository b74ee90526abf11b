from django.urls import path

from cityos.epi import sms, views, voice

app_name = "epi"
urlpatterns = [
    path("", views.dashboard, name="dashboard"),
    path("data/<slug:name>.csv", views.download, name="download"),
    path("manage/", views.manage, name="manage"),
    path("manage/import/", views.import_file, name="import"),
    path("manage/reports/", views.reports, name="reports"),
    path("tile/", views.tile, name="tile"),
    path("hooks/sms/", sms.inbound_sms, name="inbound-sms"),
    path("hooks/voice/", voice.inbound_voice, name="inbound-voice"),
]
