"""SensorThings API v1.1 entities (OGC 18-088), stored for volume.

Names follow the standard; Django fields are snake_case. Geometries are GeoJSON with a
bounding box in plain float columns, so spatial filters narrow candidates in the database
before shapely checks them exactly (no PostGIS needed). Observations carry a numeric copy of
a numeric result (``result_number``) so comparisons and rollups use a plain float column.
"""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

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
    # Kind of device ("water-quality", "parking-bay"...), copied from properties.kind by services,
    # so that rules, filters and the city services select things by a plain indexed column.
    kind = models.CharField(max_length=50, blank=True, db_index=True)
    # Private: it watches a home or a person, so its readings, place and properties are personal
    # data. Only staff whose sensing role covers it read it (and each read is audited); to anyone
    # else it and whatever only it leads to do not exist (cityos.sensing.sta.privacy). Kept by
    # services: properties.private is true, or its kind was declared private (declare_private_kind).
    private = models.BooleanField(default=False, db_index=True)
    # Device health, kept by ingest: when anything was last heard from the device.
    last_seen_at = models.DateTimeField(null=True, blank=True)
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
    # Raw observations older than this many days are deleted by a job; rollups are kept.
    # Empty: the city's default (CITYOS_SENSING_RETENTION_DAYS), which may be "forever".
    retention_days = models.PositiveIntegerField(null=True, blank=True)
    # The newest observation, kept by ingest, so maps and rules need no scan of the big table.
    last_phenomenon_time = models.DateTimeField(null=True, blank=True)
    last_result = models.JSONField(null=True, blank=True)
    last_result_number = models.FloatField(null=True, blank=True)
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
    # No database foreign-key constraints on this table (db_constraint=False): checking them
    # costs a trigger per inserted row, more than the insert itself; the write path checks
    # both links and locks them against deletion, and deletes cascade through Django.
    datastream = models.ForeignKey(
        Datastream, on_delete=models.CASCADE, related_name="observations", db_index=False, db_constraint=False
    )
    phenomenon_time_start = models.DateTimeField()
    phenomenon_time_end = models.DateTimeField(null=True, blank=True)
    result_time = models.DateTimeField(null=True, blank=True)
    result = models.JSONField(null=True)
    result_number = models.FloatField(null=True, blank=True)
    result_quality = models.JSONField(null=True, blank=True)
    valid_time_start = models.DateTimeField(null=True, blank=True)
    valid_time_end = models.DateTimeField(null=True, blank=True)
    parameters = models.JSONField(null=True, blank=True)
    feature_of_interest = models.ForeignKey(
        FeatureOfInterest, on_delete=models.CASCADE, related_name="observations", db_constraint=False
    )

    class Meta:
        indexes = [models.Index(fields=["datastream", "phenomenon_time_start"], name="sensing_obs_ds_time")]

    def __str__(self) -> str:
        return f"{self.datastream_id} @ {self.phenomenon_time_start:%Y-%m-%d %H:%M:%S}: {self.result}"


class RollupPeriod(models.TextChoices):
    HOUR = "hour", _("hour")
    DAY = "day", _("day")


class ObservationRollup(models.Model):
    """Count, sum, minimum and maximum of a datastream's numeric results per hour and per day.

    Kept up to date in the same transaction as the observations they summarise, so a year's
    chart reads 365 rows instead of millions; kept when retention deletes raw observations.
    """

    datastream = models.ForeignKey(Datastream, on_delete=models.CASCADE, related_name="rollups", db_index=False)
    period = models.CharField(max_length=4, choices=RollupPeriod.choices)
    bucket_start = models.DateTimeField()
    count = models.PositiveIntegerField()
    total = models.FloatField()
    minimum = models.FloatField()
    maximum = models.FloatField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["datastream", "period", "bucket_start"], name="sensing_rollup_bucket")
        ]

    def __str__(self) -> str:
        return f"{self.datastream_id} {self.period} {self.bucket_start:%Y-%m-%d %H:%M}"


class IngestReceipt(models.Model):
    """A fingerprint of every message ingested recently, so a redelivered one is not stored twice.

    MQTT QoS 1 is at-least-once: after a worker dies between storing a batch and acknowledging
    it, the broker sends the batch again. The fingerprint is written in the same transaction as
    the observations; a job prunes fingerprints older than the redelivery horizon.
    """

    # The minute of the message's own time (its first observation's phenomenonTime; 0 without
    # one) ahead of the 64-bit digest: a redelivered message gives the same pair, and new
    # receipts land at the end of the primary-key index instead of on random pages of it
    # (three to four times cheaper per message once the index outgrows memory).
    pk = models.CompositePrimaryKey("minute", "key")
    minute = models.IntegerField()
    key = models.BigIntegerField()
    received_at = models.DateTimeField(db_index=True)

    def __str__(self) -> str:
        return f"{self.minute}:{self.key:x}"


class DeadLetter(models.Model):
    """A message that could not be stored, with why; operators read, fix upstream and replay."""

    class Source(models.TextChoices):
        MQTT = "mqtt", "MQTT"
        HTTP = "http", "HTTP"

    source = models.CharField(max_length=8, choices=Source.choices, default=Source.MQTT)
    topic = models.CharField(max_length=500)
    payload = models.TextField()
    reason = models.TextField()
    received_at = models.DateTimeField(db_index=True)
    replayed_at = models.DateTimeField(null=True, blank=True)
    replayed_by = models.ForeignKey("accounts.User", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    replay_outcome = models.TextField(blank=True)
    # The datastream the message was for, when its topic or body names one (no link: it may not
    # exist, or be deleted since). A private Thing's dead letters are shown only to the staff
    # who see its datastream (ingest.selectors.visible_dead_letters).
    datastream_id = models.BigIntegerField(null=True, blank=True, db_index=True)

    def __str__(self) -> str:
        return f"{self.topic}: {self.reason[:60]}"


class PublishGrant(models.Model):
    """Limits a machine token to publishing observations to the datastreams it is granted.

    A token with no grant publishes wherever its owner may; a token with grants publishes only
    to those datastreams (over HTTP and MQTT) and may change nothing else.
    """

    token = models.ForeignKey("api.ApiToken", on_delete=models.CASCADE, related_name="sensing_grants")
    datastream = models.ForeignKey(Datastream, on_delete=models.CASCADE, related_name="publish_grants")

    class Meta:
        constraints = [models.UniqueConstraint(fields=["token", "datastream"], name="sensing_grant_unique")]

    def __str__(self) -> str:
        return f"token {self.token_id} -> Datastream({self.datastream_id})"


class RuleKind(models.TextChoices):
    THRESHOLD = "threshold", _("Threshold")
    RATE = "rate", _("Rate of change")
    SILENCE = "silence", _("Silence")


class Comparison(models.TextChoices):
    ABOVE = "gt", _("above")
    AT_OR_ABOVE = "ge", _("at or above")
    BELOW = "lt", _("below")
    AT_OR_BELOW = "le", _("at or below")


class Severity(models.TextChoices):
    INFO = "info", _("Information")
    WARNING = "warning", _("Warning")
    CRITICAL = "critical", _("Critical")


class AlertRule(models.Model):
    """When to raise an alert: for one datastream, or for every datastream of a kind of thing.

    - threshold: the result compared with ``threshold`` (``comparison``);
    - rate: the change per minute between consecutive results compared with ``threshold``;
    - silence: no observation for ``silence_minutes``.
    The condition must hold for ``min_duration_seconds`` before the alert opens.
    """

    name = models.CharField(_("name"), max_length=200)
    kind = models.CharField(_("kind"), max_length=10, choices=RuleKind.choices)
    datastream = models.ForeignKey(
        Datastream, null=True, blank=True, on_delete=models.CASCADE, related_name="alert_rules"
    )
    # Or every datastream of things of this kind measuring this property (e.g. water-quality, pH).
    thing_kind = models.CharField(_("kind of thing"), max_length=50, blank=True)
    observed_property = models.ForeignKey(
        ObservedProperty, null=True, blank=True, on_delete=models.CASCADE, related_name="alert_rules"
    )
    comparison = models.CharField(_("comparison"), max_length=2, choices=Comparison.choices, blank=True)
    threshold = models.FloatField(_("threshold"), null=True, blank=True)
    silence_minutes = models.PositiveIntegerField(_("silence (minutes)"), null=True, blank=True)
    min_duration_seconds = models.PositiveIntegerField(_("minimum duration (seconds)"), default=0)
    severity = models.CharField(_("severity"), max_length=10, choices=Severity.choices, default=Severity.WARNING)
    # Nobody acknowledged within this many minutes: the alert goes to the next level up.
    escalate_after_minutes = models.PositiveIntegerField(_("escalate after (minutes)"), default=30)
    enabled = models.BooleanField(_("enabled"), default=True)
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return self.name


class RuleState(models.Model):
    """Where a rule stands for one datastream: since when its condition holds (for min duration)."""

    rule = models.ForeignKey(AlertRule, on_delete=models.CASCADE, related_name="states")
    datastream = models.ForeignKey(Datastream, on_delete=models.CASCADE, related_name="+")
    breaching_since = models.DateTimeField(null=True, blank=True)
    last_value = models.FloatField(null=True, blank=True)
    last_time = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["rule", "datastream"], name="sensing_rule_state_unique")]

    def __str__(self) -> str:
        return f"{self.rule_id}/{self.datastream_id}"


class AlertState(models.TextChoices):
    OPEN = "open", _("Open")
    ACKNOWLEDGED = "acknowledged", _("Acknowledged")
    RESOLVED = "resolved", _("Resolved")


class Alert(models.Model):
    """One firing of a rule for one datastream: open -> acknowledged -> resolved, with who and when."""

    rule = models.ForeignKey(AlertRule, on_delete=models.CASCADE, related_name="alerts")
    datastream = models.ForeignKey(Datastream, on_delete=models.CASCADE, related_name="alerts")
    thing = models.ForeignKey(Thing, on_delete=models.CASCADE, related_name="alerts")
    state = models.CharField(max_length=12, choices=AlertState.choices, default=AlertState.OPEN, db_index=True)
    severity = models.CharField(max_length=10, choices=Severity.choices)
    message = models.TextField()
    value = models.FloatField(null=True, blank=True)
    opened_at = models.DateTimeField(db_index=True)
    acknowledged_at = models.DateTimeField(null=True, blank=True)
    acknowledged_by = models.ForeignKey(
        "accounts.User", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    resolved_at = models.DateTimeField(null=True, blank=True)
    # Empty with a resolved_at: the condition cleared by itself.
    resolved_by = models.ForeignKey("accounts.User", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    escalation_level = models.PositiveSmallIntegerField(default=0)
    escalated_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [models.Index(fields=["rule", "datastream", "state"], name="sensing_alert_rule_ds")]

    def __str__(self) -> str:
        return f"{self.rule} @ {self.datastream_id} ({self.state})"


__all__ = [
    "Alert",
    "AlertRule",
    "AlertState",
    "Comparison",
    "Datastream",
    "DeadLetter",
    "FeatureOfInterest",
    "HistoricalLocation",
    "IngestReceipt",
    "Location",
    "Observation",
    "ObservationRollup",
    "ObservationType",
    "ObservedProperty",
    "PublishGrant",
    "RollupPeriod",
    "RuleKind",
    "RuleState",
    "Sensor",
    "Severity",
    "Thing",
]
