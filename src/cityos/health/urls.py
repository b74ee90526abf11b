from __future__ import annotations

from django.urls import path

from cityos.health import list_views, views

app_name = "health"
urlpatterns = [
    # residents
    path("me/", views.my_health, name="me"),
    path("declare/", views.declare, name="declare"),
    path("quarantine/check-in/", views.quarantine_check_in, name="quarantine-check-in"),
    path("hooks/sms/", views.inbound_sms, name="inbound-sms"),
    # health staff
    path("cases/", list_views.case_list, name="cases"),
    path("cases/export.csv", list_views.case_export, name="cases-export"),
    path("cases/new/", views.case_create, name="case-create"),
    path("cases/<int:pk>/", views.case_detail, name="case"),
    path("cases/<int:pk>/confirm/", views.case_confirm, name="case-confirm"),
    path("cases/<int:pk>/visits/", views.visit_add, name="visit-add"),
    path("cases/<int:pk>/contacts/", views.contact_add, name="contact-add"),
    path("cases/<int:pk>/chain.svg", views.case_chain_svg, name="case-chain-svg"),
    path("contacts/", list_views.contact_list, name="contacts"),
    path("contacts/export.csv", list_views.contact_export, name="contacts-export"),
    path("contacts/<int:pk>/", views.contact_detail, name="contact"),
    path("contacts/<int:pk>/become-case/", views.contact_become_case, name="contact-become-case"),
    path("follow-ups/", list_views.follow_ups_due, name="follow-ups"),
    path("follow-ups/export.csv", list_views.follow_up_export, name="follow-ups-export"),
    path("follow-ups/<int:pk>/", views.follow_up_record, name="follow-up"),
    path("declarations/", list_views.flagged_declarations, name="declarations"),
    path("declarations/export.csv", list_views.declaration_export, name="declarations-export"),
    path("quarantines/", views.quarantine_list, name="quarantines"),
    path("quarantines/export.csv", list_views.quarantine_export, name="quarantines-export"),
    path("tasks/export.csv", list_views.task_export, name="tasks-export"),
    path("tasks/<int:pk>/resolve/", views.task_resolve, name="task-resolve"),
    path("tile/", views.tile, name="tile"),
]
