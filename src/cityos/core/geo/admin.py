from __future__ import annotations

from typing import Any, cast

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.db.models import Count, QuerySet
from django.http import HttpRequest, HttpResponse
from django.template.response import TemplateResponse
from django.urls import URLPattern, path
from django.utils.translation import gettext_lazy as _

from cityos.core.accounts.models import User
from cityos.core.geo import services
from cityos.core.geo.forms import DistrictAdminForm, GeoJSONUploadForm, PlaceAdminForm
from cityos.core.geo.models import District, Place


def _staff(request: HttpRequest) -> User:
    """The person at the back office, whom the services check (never None: that is the platform)."""
    return cast(User, request.user)


def _is_administrator(request: HttpRequest) -> bool:
    user = request.user
    return bool(user.is_active and (user.is_superuser or user.has_role("administrator")))  # type: ignore[union-attr]


@admin.register(District)
class DistrictAdmin(admin.ModelAdmin):
    form = DistrictAdminForm
    change_list_template = "admin/geo/district/change_list.html"
    list_display = ("code", "name", "population", "area_km2", "place_count")
    search_fields = ("code", "name")
    readonly_fields = ("centroid_lat", "centroid_lon", "area_km2")
    fields = ("code", "name", "names", "population", "geometry", "centroid_lat", "centroid_lon", "area_km2")

    def get_queryset(self, request: HttpRequest) -> QuerySet[District]:
        return super().get_queryset(request).annotate(place_total=Count("places"))

    @admin.display(description=_("places"), ordering="place_total")
    def place_count(self, obj: District) -> int:
        return int(getattr(obj, "place_total", 0))

    def save_model(self, request: HttpRequest, obj: District, form: Any, change: bool) -> None:
        # Centroid, area and the places' districts follow the boundary.
        services.save_district(
            obj,
            user=_staff(request),
            geometry=form.cleaned_data["geometry"],
            code=obj.code,
            name=obj.name,
            names=obj.names,
            population=obj.population,
        )

    def get_urls(self) -> list[URLPattern]:
        own = [
            path(
                "import/",
                self.admin_site.admin_view(self.import_view),
                name="geo_district_import",
            )
        ]
        return own + super().get_urls()

    def import_view(self, request: HttpRequest) -> HttpResponse:
        """Upload a GeoJSON file of districts and show the per-feature report."""
        if not _is_administrator(request) or not self.has_add_permission(request):
            raise PermissionDenied
        report = None
        if request.method == "POST":
            form = GeoJSONUploadForm(request.POST, request.FILES)
            if form.is_valid():
                upload = form.cleaned_data["file"]
                report = services.import_districts(
                    upload.read(), user=_staff(request), dry_run=form.cleaned_data["dry_run"]
                )
                level = messages.SUCCESS if report.ok else messages.ERROR
                self.message_user(request, report.summary(), level)
        else:
            form = GeoJSONUploadForm()
        context = {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "title": _("Import districts from GeoJSON"),
            "form": form,
            "report": report,
        }
        return TemplateResponse(request, "admin/geo/district/import.html", context)


@admin.register(Place)
class PlaceAdmin(admin.ModelAdmin):
    form = PlaceAdminForm
    list_display = ("name", "kind", "district", "is_active", "updated_at")
    list_filter = ("kind", "is_active", "district")
    search_fields = ("name", "address")
    readonly_fields = ("h3_cell", "district", "updated_at")
    list_select_related = ("district",)

    def save_model(self, request: HttpRequest, obj: Place, form: Any, change: bool) -> None:
        # The form's instance already holds the new values; the service validates them again,
        # computes the H3 cell and the district, and publishes the event.
        services.update_place(obj, user=_staff(request), **{name: getattr(obj, name) for name in services.PLACE_FIELDS})

    def delete_model(self, request: HttpRequest, obj: Place) -> None:
        services.delete_place(obj, user=_staff(request))

    def delete_queryset(self, request: HttpRequest, queryset: QuerySet[Place]) -> None:
        for place in queryset:
            services.delete_place(place, user=_staff(request))
