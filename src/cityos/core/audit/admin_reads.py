"""The back office audits what it shows: a record's page or a list of records with personal data.

Mixed into every ModelAdmin by :class:`cityos.core.web.admin_site.CityAdminSite`, so a domain
app's admin is audited without doing anything. Only models that declare personal data (in the
registry) are recorded; only fields the page actually shows are named.
"""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest
from django.http.response import HttpResponseBase

from cityos.core.audit.services import record_access, record_bulk_access
from cityos.core.registry import registry


class AuditedReadsMixin:
    model: Any

    def _personal_fields(self) -> tuple[str, ...]:
        return registry.personal_fields(self.model._meta.label)

    def change_view(
        self, request: HttpRequest, object_id: str, form_url: str = "", extra_context: dict[str, Any] | None = None
    ) -> HttpResponseBase:
        response: HttpResponseBase = super().change_view(request, object_id, form_url, extra_context)  # type: ignore[misc]
        shown = getattr(response, "context_data", None) or {}
        if request.method == "GET" and self._personal_fields() and shown.get("original") is not None:
            record_access(shown["original"])
        return response

    def changelist_view(self, request: HttpRequest, extra_context: dict[str, Any] | None = None) -> HttpResponseBase:
        response: HttpResponseBase = super().changelist_view(request, extra_context)  # type: ignore[misc]
        changelist = (getattr(response, "context_data", None) or {}).get("cl")
        listed = set(self.get_list_display(request))  # type: ignore[attr-defined]
        fields = [f for f in self._personal_fields() if f in listed]
        if changelist is not None and fields:
            ids = [obj.pk for obj in changelist.result_list]
            if ids:
                record_bulk_access(self.model, ids, fields, description=f"{len(ids)} records listed in the back office")
        return response


def audited(admin_class: type[admin.ModelAdmin[Any]]) -> type[admin.ModelAdmin[Any]]:
    """``admin_class`` with its reads of personal data audited (once, however often it is wrapped)."""
    if issubclass(admin_class, AuditedReadsMixin):
        return admin_class
    return type(admin_class.__name__, (AuditedReadsMixin, admin_class), {"__module__": admin_class.__module__})
