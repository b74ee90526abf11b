"""Root URLs. Apps add pages through their own urls.py and API routers through the registry.

A domain app's ``urls.py`` is mounted at ``/<label>/`` without this file changing; patterns a
standard fixes at the root (e.g. SensorThings' ``/sta/v1.1/``) go in its ``root_urlpatterns``.
"""

from __future__ import annotations

import importlib
import importlib.util

from django.apps import apps
from django.conf import settings
from django.contrib import admin
from django.http import HttpRequest
from django.http.response import HttpResponseBase
from django.urls import URLPattern, URLResolver, include, path, re_path
from django.views.static import serve

from cityos.core.api.site import api, api_docs
from cityos.modules import domain_apps


def domain_urlpatterns() -> list[URLPattern | URLResolver]:
    patterns: list[URLPattern | URLResolver] = []
    for name in domain_apps():
        if importlib.util.find_spec(f"{name}.urls") is None:
            continue
        module = importlib.import_module(f"{name}.urls")
        patterns.append(path(f"{apps.get_containing_app_config(name).label}/", include(module)))  # type: ignore[union-attr]
        patterns += getattr(module, "root_urlpatterns", [])
    return patterns


# A department refusal's 403 page says whose work it is, without the general advice (core.web.errors).
handler403 = "cityos.core.web.errors.permission_denied"

urlpatterns = [
    path("", include("cityos.core.web.urls")),
    path("accounts/", include("cityos.core.accounts.urls")),
    path("audit/", include("cityos.core.audit.urls")),
    path("places/", include("cityos.core.geo.urls")),
    path("messages/", include("cityos.core.notifications.urls")),
    path("api-tokens/", include("cityos.core.api.urls")),
    *domain_urlpatterns(),
    path("i18n/", include("django.conf.urls.i18n")),
    path("admin/", admin.site.urls),
    path("api/v1/", api.urls),
    path("open311/v2/", include("cityos.core.api.open311")),
    path("api/docs", api_docs, name="api-docs"),
    path("", include("django_prometheus.urls")),
]


# MEDIA_ROOT holds only public files (voice clips a phone gateway fetches; private files live in
# PRIVATE_MEDIA_ROOT), so the app serves it itself, not only in debug: a deployment works without a
# proxy rule, and a proxy that serves /media/ first simply takes the load off.
def public_media(request: HttpRequest, path: str) -> HttpResponseBase:
    return serve(request, path, document_root=str(settings.MEDIA_ROOT))


urlpatterns.append(re_path(rf"^{settings.MEDIA_URL.lstrip('/')}(?P<path>.*)$", public_media))
