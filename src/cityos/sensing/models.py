"""SensorThings API v1.1 entities (OGC 18-088), stored for volume.

Names follow the standard; Django fields are snake_case. Geometries are GeoJSON with a
bounding box in plain float columns, so spatial filters narrow candidates in the database
before shapely checks them exactly (no PostGIS needed). Observations carry a numeric copy of
a numeric result (``result_number``) so comparisons and rollups use a plain float column.
"""

from __future__ import annotations

from django.db import models

GEOJSON = "application/geo+json"


class BoundingBoxMixin(models.Model):
    """Bounding box of the entity's geometry, kept by services, for spatial prefilters."""

    bbox_min_x = models.FloatField(null=True, blank=True)
    bbox_min_y = models.FloatField(null=True, blank=True)
    bbox_max_x = models.FloatField(null=True, blank=True)
    bbox_max_y = models.FloatField(null=True, blank=True)

    class Meta:
        abstract = True


class Location(BoundingBoxMixin):
    name = models.CharField(max_length=255)
    description = models.TextField(blank=True)
    encoding_type = models.CharField(max_length=100, default=GEOJSON)
    location = models.JSONField()
    properties = models.JSONField(null=True, blank=True)

    def __str__(self) -> str:
        return self.name


class Thing(models.Model):
    name = models.CharField(max_length=255)
    description = models.TextField(blank=True)
    properties = models.JSONField(null=True, blank=True)
    # Who owns it: staff of this department manage it; empty means any sensing staff.
    department = models.ForeignKey(
        "accounts.Department", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    district = models.ForeignKey("geo.District", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    locations = models.ManyToManyField(Location, related_name="things", blank=True)

    def __str__(self) -> str:
        return self.name


class HistoricalLocation(models.Model):
    thing = models.ForeignKey(Thing, on_delete=models.CASCADE, related_name="historical_locations")
    time = models.DateTimeField()
    locations = models.ManyToManyField(Location, related_name="historical_locations")

    class Meta:
        indexes = [models.Index(fields=["thing", "time"])]

    def __str__(self) -> str:
        return f"{self.thing_id} @ {self.time:%Y-%m-%d %H:%M}"


class Sensor(models.Model):
    name = models.CharField(max_length=255)
    description = models.TextField(blank=True)
    encoding_type = models.CharField(max_length=100)
    metadata = models.JSONField(null=True, blank=True)
    properties = models.JSONField(null=True, blank=True)

    def __str__(self) -> str:
        return self.name


class ObservedProperty(models.Model):
    name = models.CharField(max_length=255)
    definition = models.CharField(max_length=500)
    description = models.TextField(blank=True)
    properties = models.JSONField(null=True, blank=True)

    class Meta:
        verbose_name_plural = "observed properties"

    def __str__(self) -> str:
        return self.name


class ObservationType(models.TextChoices):
    MEASUREMENT = "http://www.opengis.net/def/observationType/OGC-OM/2.0/OM_Measurement"
    COUNT = "http://www.opengis.net/def/observationType/OGC-OM/2.0/OM_CountObservation"
    TRUTH = "http://www.opengis.net/def/observationType/OGC-OM/2.0/OM_TruthObservation"
    CATEGORY = "http://www.opengis.net/def/observationType/OGC-OM/2.0/OM_CategoryObservation"
    ANY = "http://www.opengis.net/def/observationType/OGC-OM/2.0/OM_Observation"


class Datastream(BoundingBoxMixin):
    name = models.CharField(max_length=255)
    description = models.TextField(blank=True)
    unit_of_measurement = models.JSONField()
    observation_type = models.CharField(max_length=200, choices=ObservationType.choices)
    observed_area = models.JSONField(null=True, blank=True)
    # Ranges over its observations, kept by services as observations arrive or go.
    phenomenon_time_start = models.DateTimeField(null=True, blank=True)
    phenomenon_time_end = models.DateTimeField(null=True, blank=True)
    result_time_start = models.DateTimeField(null=True, blank=True)
    result_time_end = models.DateTimeField(null=True, blank=True)
    properties = models.JSONField(null=True, blank=True)
    thing = models.ForeignKey(Thing, on_delete=models.CASCADE, related_name="datastreams")
    sensor = models.ForeignKey(Sensor, on_delete=models.CASCADE, related_name="datastreams")
    observed_property = models.ForeignKey(ObservedProperty, on_delete=models.CASCADE, related_name="datastreams")

    def __str__(self) -> str:
        return self.name


class FeatureOfInterest(BoundingBoxMixin):
    name = models.CharField(max_length=255)
    description = models.TextField(blank=True)
    encoding_type = models.CharField(max_length=100, default=GEOJSON)
    feature = models.JSONField()
    properties = models.JSONField(null=True, blank=True)
    # The Location this feature was made from, when the server made it (one per Location).
    from_location = models.OneToOneField(
        Location, null=True, blank=True, on_delete=models.SET_NULL, related_name="generated_feature"
    )

    class Meta:
        verbose_name_plural = "features of interest"

    def __str__(self) -> str:
        return self.name


class Observation(models.Model):
    """One observation; the table that grows to billions of rows.

    The composite index serves "this datastream, this time range, newest first", which is
    nearly every read; on PostgreSQL a BRIN index on the time column (added in the migration)
    serves cross-datastream time scans at a tiny fraction of a B-tree's size, since rows
    arrive roughly in time order.
    """

    id = models.BigAutoField(primary_key=True)
    datastream = models.ForeignKey(Datastream, on_delete=models.CASCADE, related_name="observations", db_index=False)
    phenomenon_time_start = models.DateTimeField()
    phenomenon_time_end = models.DateTimeField(null=True, blank=True)
    result_time = models.DateTimeField(null=True, blank=True)
    result = models.JSONField(null=True)
    result_number = models.FloatField(null=True, blank=True)
    result_quality = models.JSONField(null=True, blank=True)
    valid_time_start = models.DateTimeField(null=True, blank=True)
    valid_time_end = models.DateTimeField(null=True, blank=True)
    parameters = models.JSONField(null=True, blank=True)
    feature_of_interest = models.ForeignKey(FeatureOfInterest, on_delete=models.CASCADE, related_name="observations")

    class Meta:
        indexes = [models.Index(fields=["datastream", "phenomenon_time_start"], name="sensing_obs_ds_time")]

    def __str__(self) -> str:
        return f"{self.datastream_id} @ {self.phenomenon_time_start:%Y-%m-%d %H:%M:%S}: {self.result}"


__all__ = [
    "Datastream",
    "FeatureOfInterest",
    "HistoricalLocation",
    "Location",
    "Observation",
    "ObservationType",
    "ObservedProperty",
    "Sensor",
    "Thing",
]
