from __future__ import annotations

from django.db import models
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _


class District(models.Model):
    """An administrative area of the city; geometry is GeoJSON in EPSG:4326."""

    code = models.SlugField(_("code"), max_length=50, unique=True)
    name = models.CharField(_("name"), max_length=200)
    # Names in other languages, e.g. {"zh-hant": "...", "es": "..."}.
    names = models.JSONField(_("translated names"), default=dict, blank=True)
    geometry = models.JSONField(_("boundary (GeoJSON)"))
    population = models.PositiveIntegerField(_("population"), null=True, blank=True)
    centroid_lat = models.FloatField(_("centroid latitude"))
    centroid_lon = models.FloatField(_("centroid longitude"))
    area_km2 = models.FloatField(_("area (km²)"), default=0)

    class Meta:
        verbose_name = _("district")
        verbose_name_plural = _("districts")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    @property
    def display_name(self) -> str:
        """Its name in the active language, else its main name (as ``selectors.localized_name``)."""
        return (self.names or {}).get((get_language() or "").lower()) or self.name


class PlaceKind(models.TextChoices):
    TESTING_SITE = "testing_site", _("Testing site")
    CLINIC = "clinic", _("Clinic")
    HOSPITAL = "hospital", _("Hospital")
    VACCINATION_SITE = "vaccination_site", _("Vaccination site")
    WIFI_HOTSPOT = "wifi_hotspot", _("Free Wi-Fi hotspot")
    MASK_MACHINE = "mask_machine", _("Mask vending machine")
    SHELTER = "shelter", _("Shelter")
    FOOD_BANK = "food_bank", _("Food bank")
    LIBRARY = "library", _("Library")
    SERVICE_CENTRE = "service_centre", _("City service centre")


class Place(models.Model):
    """A public place residents can go to, with opening hours, on the public map."""

    kind = models.CharField(_("kind"), max_length=30, choices=PlaceKind.choices)
    name = models.CharField(_("name"), max_length=200)
    names = models.JSONField(_("translated names"), default=dict, blank=True)
    address = models.CharField(_("address"), max_length=300, blank=True)
    lat = models.FloatField(_("latitude"))
    lon = models.FloatField(_("longitude"))
    h3_cell = models.CharField(_("H3 cell"), max_length=20, db_index=True, editable=False)
    district = models.ForeignKey(
        District, verbose_name=_("district"), null=True, blank=True, on_delete=models.SET_NULL, related_name="places"
    )
    # Weekly hours: {"mon": [["08:00", "17:00"]], ..., "sun": []}; empty dict = not published.
    opening_hours = models.JSONField(_("opening hours"), default=dict, blank=True)
    phone = models.CharField(_("phone"), max_length=30, blank=True)
    website = models.URLField(_("website"), blank=True)
    is_active = models.BooleanField(_("active"), default=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        verbose_name = _("place")
        verbose_name_plural = _("places")
        ordering = ["name"]
        indexes = [models.Index(fields=["kind", "is_active"])]
        # Services validate first; the database refuses coordinates that are not on the Earth.
        constraints = [
            models.CheckConstraint(condition=models.Q(lat__gte=-90, lat__lte=90), name="place_lat_in_range"),
            models.CheckConstraint(condition=models.Q(lon__gte=-180, lon__lte=180), name="place_lon_in_range"),
        ]

    def __str__(self) -> str:
        return self.name
