from __future__ import annotations

from django.contrib import admin
from django.http import HttpRequest

from cityos.core.audit.models import AuditEntry


@admin.register(AuditEntry)
class AuditEntryAdmin(admin.ModelAdmin):
    list_display = ("at", "actor_label", "action", "object_type", "object_id", "object_repr", "ip", "reason")
    list_filter = ("action", "channel", "object_type")
    search_fields = ("actor_label", "object_id", "object_repr", "reason")
    date_hierarchy = "at"

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False
