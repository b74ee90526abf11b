from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _
from django_otp.admin import OTPAdminSite

from cityos.core.audit.admin_reads import audited


class CityAdminSite(OTPAdminSite):
    """The back office: administrators only, and only after their second factor."""

    site_header = _("CityOS back office")
    site_title = _("CityOS back office")

    def has_permission(self, request: HttpRequest) -> bool:
        user = request.user
        return bool(
            super().has_permission(request) and (user.is_superuser or user.has_role("administrator"))  # type: ignore[union-attr]
        )

    def register(self, model_or_iterable: Any, admin_class: Any = None, **options: Any) -> None:
        # Every back-office page that shows personal data is audited, whichever app registered it.
        super().register(model_or_iterable, audited(admin_class or admin.ModelAdmin), **options)
