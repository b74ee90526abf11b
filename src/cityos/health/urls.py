from __future__ import annotations

from django.urls import path

from cityos.health import views

app_name = "health"
urlpatterns = [
    # residents
    path("me/", views.my_health, name="me"),
    path("declare/", views.declare, name="declare"),
    path("quarantine/check-in/", views.quarantine_check_in, name="quarantine-check-in"),
    path("hooks/sms/", views.inbound_sms, name="inbound-sms"),
    # health staff
    path("cases/", views.case_list, name="cases"),
    path("cases/export.csv", views.case_export, name="cases-export"),
    path("cases/new/", views.case_create, name="case-create"),
    path("cases/<int:pk>/", views.case_detail, name="case"),
    path("cases/<int:pk>/confirm/", views.case_confirm, name="case-confirm"),
    path("cases/<int:pk>/visits/", views.visit_add, name="visit-add"),
    path("cases/<int:pk>/contacts/", views.contact_add, name="contact-add"),
    path("cases/<int:pk>/chain.svg", views.case_chain_svg, name="case-chain-svg"),
    path("contacts/<int:pk>/", views.contact_detail, name="contact"),
    path("contacts/<int:pk>/become-case/", views.contact_become_case, name="contact-become-case"),
    path("follow-ups/", views.follow_ups_due, name="follow-ups"),
    path("follow-ups/<int:pk>/", views.follow_up_record, name="follow-up"),
    path("declarations/", views.flagged_declarations, name="declarations"),
    path("quarantines/", views.quarantine_list, name="quarantines"),
    path("tasks/<int:pk>/resolve/", views.task_resolve, name="task-resolve"),
    path("tile/", views.tile, name="tile"),
]
