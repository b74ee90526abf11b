"""Root URLs. Apps add pages through their own urls.py and API routers through the registry."""

from __future__ import annotations

from django.conf import settings
from django.conf.urls.static import static
from django.contrib import admin
from django.urls import include, path

from cityos.core.api.site import api, api_docs

urlpatterns = [
    path("", include("cityos.core.web.urls")),
    path("accounts/", include("cityos.core.accounts.urls")),
    path("audit/", include("cityos.core.audit.urls")),
    path("places/", include("cityos.core.geo.urls")),
    path("messages/", include("cityos.core.notifications.urls")),
    path("api-tokens/", include("cityos.core.api.urls")),
    path("epi/", include("cityos.epi.urls")),
    path("i18n/", include("django.conf.urls.i18n")),
    path("admin/", admin.site.urls),
    path("api/v1/", api.urls),
    path("api/docs", api_docs, name="api-docs"),
    path("", include("django_prometheus.urls")),
]
urlpatterns += static(settings.MEDIA_URL, document_root=settings.MEDIA_ROOT)
