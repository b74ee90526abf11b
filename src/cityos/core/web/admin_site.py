from __future__ import annotations

from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _
from django_otp.admin import OTPAdminSite


class CityAdminSite(OTPAdminSite):
    """The back office: administrators only, and only after their second factor."""

    site_header = _("CityOS back office")
    site_title = _("CityOS back office")

    def has_permission(self, request: HttpRequest) -> bool:
        user = request.user
        return bool(
            super().has_permission(request) and (user.is_superuser or user.has_role("administrator"))  # type: ignore[union-attr]
        )
