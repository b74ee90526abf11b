"""Reads of the operations centre, always narrowed to what the reader may see (ops.scope)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.db.models import Count, F, Max, OuterRef, Prefetch, Q, QuerySet, Subquery
from django.db.models.functions import Coalesce, Greatest
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from cityos.sensing.models import Alert, AlertRule, AlertState, Datastream, Observation, RuleKind, Thing
from cityos.sensing.ops import conf, rules
from cityos.sensing.ops.scope import rules_q, scope_of

BATTERY = "battery"


class ThingState:
    OK = "ok"
    ALERT = "alert"
    SILENT = "silent"
    LOW_BATTERY = "low_battery"


STATE_LABELS = {
    ThingState.OK: _("OK"),
    ThingState.ALERT: _("Alert open"),
    ThingState.SILENT: _("Silent"),
    ThingState.LOW_BATTERY: _("Low battery"),
}
# Worst first: a thing shows the worst state it is in.
STATE_ORDER = (ThingState.ALERT, ThingState.SILENT, ThingState.LOW_BATTERY, ThingState.OK)


@dataclass(frozen=True)
class ThingRow:
    id: int
    name: str
    kind: str
    department: str
    department_code: str
    district: str
    district_code: str
    last_seen_at: datetime | None
    battery: float | None
    open_alerts: int
    state: str
    longitude: float | None
    latitude: float | None
    private: bool = False  # a home's sensor (Thing.private): showing it is audited

    @property
    def state_label(self) -> str:
        return str(STATE_LABELS[self.state])


def thing_state(
    open_alerts: int, last_seen: datetime | None, battery: float | None, now: datetime, silent_after: int
) -> str:
    if open_alerts:
        return ThingState.ALERT
    if last_seen is None or now - last_seen > timedelta(minutes=silent_after):
        return ThingState.SILENT
    if battery is not None and battery < conf.low_battery_percent():
        return ThingState.LOW_BATTERY
    return ThingState.OK


def visible_things(user: Any) -> QuerySet[Thing]:
    return Thing.objects.filter(scope_of(user).q())


def _filtered(things: QuerySet[Thing], district: str = "", department: str = "", kind: str = "") -> QuerySet[Thing]:
    if district:
        things = things.filter(district__code=district)
    if department:
        things = things.filter(department__code=department)
    if kind:
        things = things.filter(kind=kind)
    return things


def thing_rows(
    user: Any,
    *,
    district: str = "",
    department: str = "",
    kind: str = "",
    state: str = "",
    now: datetime | None = None,
) -> list[ThingRow]:
    """Every thing the user may see, with its state, battery and last-seen time, by name."""
    now = now or timezone.now()
    battery_streams = Datastream.objects.filter(thing=OuterRef("pk"), observed_property__name=BATTERY)
    latest_battery_obs = Observation.objects.filter(datastream_id=OuterRef("pk"), result_number__isnull=False).order_by(
        "-phenomenon_time_start"
    )
    battery_value = Subquery(
        battery_streams.annotate(
            value=Coalesce(F("last_result_number"), Subquery(latest_battery_obs.values("result_number")[:1]))
        )
        .order_by("pk")
        .values("value")[:1]
    )
    things = (
        _filtered(visible_things(user), district, department, kind)
        .annotate(
            # distinct: the datastreams join below would count each alert once per datastream.
            open_alerts=Count(
                "alerts", filter=Q(alerts__state__in=[AlertState.OPEN, AlertState.ACKNOWLEDGED]), distinct=True
            ),
            stream_last=Max("datastreams__last_phenomenon_time"),
        )
        .annotate(battery=battery_value)
        .select_related("department", "district")
        .prefetch_related("locations", Prefetch("datastreams", queryset=Datastream.objects.only("id", "thing_id")))
        .order_by("name", "pk")
    )
    index = rules.rule_index().by_datastream
    default_silence = conf.silent_after_minutes()
    rows = []
    for thing in things:
        # A silence rule on one of its datastreams knows this device's cadence better than the default.
        limits = [
            spec.silence_minutes
            for datastream in thing.datastreams.all()
            for spec in index.get(datastream.pk, ())
            if spec.kind == RuleKind.SILENCE and spec.silence_minutes
        ]
        seen_values = [t for t in (thing.last_seen_at, thing.stream_last) if t is not None]  # type: ignore[attr-defined]
        last_seen = max(seen_values) if seen_values else None
        point = _point(thing)
        silent_after = min(limits, default=default_silence)
        row_state = thing_state(thing.open_alerts, last_seen, thing.battery, now, silent_after)  # type: ignore[attr-defined]
        if state and row_state != state:
            continue
        rows.append(
            ThingRow(
                id=thing.pk,
                name=thing.name,
                kind=thing.kind,
                # Names in the reader's language; codes for filters and exports.
                department=thing.department.display_name if thing.department else "",
                department_code=thing.department.code if thing.department else "",
                district=thing.district.display_name if thing.district else "",
                district_code=thing.district.code if thing.district else "",
                last_seen_at=last_seen,
                battery=thing.battery,  # type: ignore[attr-defined]
                open_alerts=thing.open_alerts,  # type: ignore[attr-defined]
                state=row_state,
                longitude=point[0] if point else None,
                latitude=point[1] if point else None,
                private=thing.private,
            )
        )
    return rows


def _point(thing: Thing) -> tuple[float, float] | None:
    """A representative (longitude, latitude): the centre of the first location's box."""
    for location in thing.locations.all():
        if None not in (location.bbox_min_x, location.bbox_max_x, location.bbox_min_y, location.bbox_max_y):
            return (
                (location.bbox_min_x + location.bbox_max_x) / 2,  # type: ignore[operator]
                (location.bbox_min_y + location.bbox_max_y) / 2,  # type: ignore[operator]
            )
    return None


SORTS = {
    "name": lambda r: (r.name.lower(), r.id),
    "kind": lambda r: (r.kind, r.name.lower()),
    "state": lambda r: (STATE_ORDER.index(r.state), r.name.lower()),
    # Unknown batteries and never-seen devices sort first: they need a look.
    "battery": lambda r: (r.battery if r.battery is not None else -1.0, r.name.lower()),
    "last_seen": lambda r: (r.last_seen_at.timestamp() if r.last_seen_at else 0.0, r.name.lower()),
}


def sort_rows(rows: Iterable[ThingRow], key: str) -> list[ThingRow]:
    descending = key.startswith("-")
    sorter = SORTS.get(key.lstrip("-"), SORTS["name"])
    return sorted(rows, key=sorter, reverse=descending)


def geojson(rows: Iterable[ThingRow]) -> dict[str, Any]:
    """A FeatureCollection of things with a position, their state in properties."""
    from django.urls import reverse

    features = []
    for row in rows:
        if row.longitude is None or row.latitude is None:
            continue
        features.append(
            {
                "type": "Feature",
                "id": row.id,
                "geometry": {"type": "Point", "coordinates": [row.longitude, row.latitude]},
                "properties": {
                    "name": row.name,
                    "kind": row.kind,
                    "state": row.state,
                    "state_label": row.state_label,
                    "department": row.department,
                    "district": row.district,
                    "battery": row.battery,
                    "last_seen_at": row.last_seen_at.isoformat() if row.last_seen_at else None,
                    "open_alerts": row.open_alerts,
                    "url": reverse("sensing:ops-health") + f"?thing={row.id}",
                },
            }
        )
    return {"type": "FeatureCollection", "features": features}


# --- Alerts and rules ----------------------------------------------------------------------


def visible_alerts(user: Any) -> QuerySet[Alert]:
    return Alert.objects.filter(scope_of(user).q("thing__")).select_related(
        "rule__observed_property",
        "rule__datastream__observed_property",
        "datastream",
        "thing__district",
        "thing__department",
        "acknowledged_by",
        "resolved_by",
    )


def alerts(
    user: Any,
    *,
    state: str = "",
    severity: str = "",
    district: str = "",
    department: str = "",
    kind: str = "",
    thing: int | None = None,
) -> QuerySet[Alert]:
    result = visible_alerts(user)
    if state == "active":
        result = result.filter(state__in=[AlertState.OPEN, AlertState.ACKNOWLEDGED])
    elif state:
        result = result.filter(state=state)
    if severity:
        result = result.filter(severity=severity)
    if district:
        result = result.filter(thing__district__code=district)
    if department:
        result = result.filter(thing__department__code=department)
    if kind:
        result = result.filter(thing__kind=kind)
    if thing is not None:
        result = result.filter(thing_id=thing)
    return result.order_by("-opened_at", "-pk")


def last_change(alert: Alert) -> datetime:
    times = [t for t in (alert.opened_at, alert.acknowledged_at, alert.resolved_at, alert.escalated_at) if t]
    return max(times)


def alerts_changed_since(user: Any, since: datetime, limit: int = 100) -> list[Alert]:
    """Alerts opened, acknowledged, resolved or escalated after ``since``, oldest change first."""
    changed = (
        visible_alerts(user)
        .filter(
            Q(opened_at__gt=since) | Q(acknowledged_at__gt=since) | Q(resolved_at__gt=since) | Q(escalated_at__gt=since)
        )
        .annotate(
            changed=Greatest(
                "opened_at",
                Coalesce("acknowledged_at", "opened_at"),
                Coalesce("resolved_at", "opened_at"),
                Coalesce("escalated_at", "opened_at"),
            )
        )
        .order_by("changed", "pk")
    )
    return list(changed[:limit])


def visible_rules(user: Any) -> QuerySet[AlertRule]:
    return (
        AlertRule.objects.filter(rules_q(user))
        .select_related("datastream__thing", "datastream__observed_property", "observed_property")
        .order_by("name", "pk")
    )


def kinds() -> list[str]:
    return list(Thing.objects.exclude(kind="").values_list("kind", flat=True).distinct().order_by("kind"))


def visible_datastreams(user: Any) -> QuerySet[Datastream]:
    return Datastream.objects.filter(scope_of(user).q("thing__")).select_related("thing", "observed_property")
