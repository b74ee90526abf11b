"""JSON API of this part, mounted under /api/v1/sensing/ by cityos.sensing.api.

/rules (CRUD), /alerts (list with filters, acknowledge, resolve) and /map (things with their
state, GeoJSON). Staff of sensing roles only; every answer narrowed to the caller's scope.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Annotated, Literal, TypeVar

from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404
from django.utils.translation import gettext as _
from ninja import Field, Query, Router, Schema, Status

from cityos.core.accounts.models import User
from cityos.core.api.auth import api_auth, require_roles
from cityos.core.api.pagination import paginate
from cityos.core.api.problems import ApiProblem
from cityos.sensing.models import (
    Alert,
    AlertRule,
    Comparison,
    Datastream,
    ObservedProperty,
    RuleKind,
    Severity,
)
from cityos.sensing.ops import selectors, services, texts
from cityos.sensing.ops.scope import SENSING_ROLES
from cityos.sensing.sta.privacy import Visibility

router = Router(auth=api_auth, tags=["sensing alerts"])

Code = Annotated[str, Field(max_length=50, pattern=r"^[A-Za-z0-9_.\-]*$")]


# --- Schemas -------------------------------------------------------------------------------


class RuleIn(Schema):
    name: str = Field(..., min_length=1, max_length=200)
    kind: Literal["threshold", "rate", "silence"]
    datastream_id: int | None = Field(
        None, ge=1, le=2**53, description="One datastream; or thing_kind + observed_property."
    )
    thing_kind: str = Field("", max_length=50, description='A kind of thing, e.g. "water-quality".')
    observed_property: str = Field("", max_length=255, description='The observed property\'s name, e.g. "turbidity".')
    comparison: Literal["gt", "ge", "lt", "le", ""] = ""
    threshold: float | None = Field(None, allow_inf_nan=False, ge=-1e15, le=1e15)
    silence_minutes: int | None = Field(None, ge=1, le=525_600)
    min_duration_seconds: int = Field(0, ge=0, le=31_536_000)
    severity: Literal["info", "warning", "critical"] = "warning"
    escalate_after_minutes: int = Field(30, ge=0, le=525_600, description="0: never escalate.")
    enabled: bool = True


class RuleOut(Schema):
    id: int
    name: str
    kind: str
    datastream_id: int | None
    thing_kind: str
    observed_property: str
    comparison: str
    threshold: float | None
    silence_minutes: int | None
    min_duration_seconds: int
    severity: str
    escalate_after_minutes: int
    enabled: bool
    condition: str
    created_at: datetime

    @staticmethod
    def resolve_observed_property(obj: AlertRule) -> str:
        return obj.observed_property.name if obj.observed_property else ""

    @staticmethod
    def resolve_condition(obj: AlertRule) -> str:
        return texts.condition(obj)


class RuleFilters(Schema):
    kind: Literal["threshold", "rate", "silence", ""] = ""
    datastream_id: int | None = Field(None, ge=1, le=2**53)
    thing_kind: Code = ""
    enabled: bool | None = None


class AlertOut(Schema):
    id: int
    rule_id: int
    rule_name: str
    datastream_id: int
    thing_id: int
    thing_name: str
    thing_kind: str
    department: str | None
    district: str | None
    state: str
    severity: str
    text: str
    message: str
    value: float | None
    opened_at: datetime
    acknowledged_at: datetime | None
    acknowledged_by: str | None
    resolved_at: datetime | None
    resolved_by: str | None
    escalation_level: int
    escalated_at: datetime | None

    @staticmethod
    def resolve_rule_name(obj: Alert) -> str:
        return obj.rule.name

    @staticmethod
    def resolve_thing_name(obj: Alert) -> str:
        return obj.thing.name

    @staticmethod
    def resolve_thing_kind(obj: Alert) -> str:
        return obj.thing.kind

    @staticmethod
    def resolve_department(obj: Alert) -> str | None:
        return obj.thing.department.code if obj.thing.department else None

    @staticmethod
    def resolve_district(obj: Alert) -> str | None:
        return obj.thing.district.code if obj.thing.district else None

    @staticmethod
    def resolve_text(obj: Alert) -> str:
        return texts.alert_text(obj)

    @staticmethod
    def resolve_acknowledged_by(obj: Alert) -> str | None:
        return obj.acknowledged_by.display_name if obj.acknowledged_by else None

    @staticmethod
    def resolve_resolved_by(obj: Alert) -> str | None:
        return obj.resolved_by.display_name if obj.resolved_by else None


class AlertFilters(Schema):
    state: Literal["open", "acknowledged", "resolved", "active", ""] = Field(
        "", description='"active": open or acknowledged.'
    )
    severity: Literal["info", "warning", "critical", ""] = ""
    district: Code = ""
    department: Code = ""
    kind: Code = Field("", description="Kind of thing.")
    thing: int | None = Field(None, ge=1, le=2**53)


class MapFilters(Schema):
    district: Code = ""
    department: Code = ""
    kind: Code = ""
    state: Literal["ok", "alert", "silent", "low_battery", ""] = ""


T = TypeVar("T")


def _allowed(call: Callable[[], T]) -> T:
    """Run a service; its refusal becomes a 403 problem that says why."""
    try:
        return call()
    except PermissionDenied as error:
        raise ApiProblem(403, str(error) or _("You may not do this.")) from error


# --- Rules ---------------------------------------------------------------------------------


def _rule_input(payload: RuleIn, user: User) -> services.RuleInput:
    datastream = None
    if payload.datastream_id is not None:
        datastream = Datastream.objects.select_related("thing").filter(pk=payload.datastream_id).first()
        # A private Thing's datastream the user may not see is not there for them ("belongs to a
        # department you do not manage" would confirm that a home exists).
        if datastream is None or not Visibility.of(user).sees("Datastream", datastream.pk):
            raise ApiProblem(
                422,
                errors=[
                    {"field": "body.datastream_id", "message": _("There is no such datastream."), "code": "unknown"}
                ],
            )
    observed_property = None
    if payload.observed_property:
        observed_property = ObservedProperty.objects.filter(name=payload.observed_property).order_by("pk").first()
        if observed_property is None:
            raise ApiProblem(
                422,
                errors=[
                    {
                        "field": "body.observed_property",
                        "message": _("There is no observed property with this name."),
                        "code": "unknown",
                    }
                ],
            )
    return services.RuleInput(
        name=payload.name,
        kind=RuleKind(payload.kind),
        datastream=datastream,
        thing_kind=payload.thing_kind,
        observed_property=observed_property,
        comparison=Comparison(payload.comparison) if payload.comparison else "",
        threshold=payload.threshold,
        silence_minutes=payload.silence_minutes,
        min_duration_seconds=payload.min_duration_seconds,
        severity=Severity(payload.severity),
        escalate_after_minutes=payload.escalate_after_minutes,
        enabled=payload.enabled,
    )


@router.get("/rules", response=list[RuleOut], summary="Alert rules you may see")
@paginate
def list_rules(request: HttpRequest, filters: Query[RuleFilters]) -> object:
    user = require_roles(request, SENSING_ROLES)
    rules = selectors.visible_rules(user)
    if filters.kind:
        rules = rules.filter(kind=filters.kind)
    if filters.datastream_id is not None:
        rules = rules.filter(datastream_id=filters.datastream_id)
    if filters.thing_kind:
        rules = rules.filter(thing_kind=filters.thing_kind)
    if filters.enabled is not None:
        rules = rules.filter(enabled=filters.enabled)
    return rules


@router.post("/rules", response={201: RuleOut}, summary="Create an alert rule")
def create_rule(request: HttpRequest, payload: RuleIn) -> Status:
    user = require_roles(request, SENSING_ROLES)
    data = _rule_input(payload, user)
    return Status(201, _allowed(lambda: services.create_rule(user, data)))


def _rule(request: HttpRequest, rule_id: int) -> AlertRule:
    user = require_roles(request, SENSING_ROLES)
    return get_object_or_404(selectors.visible_rules(user), pk=rule_id)


@router.get("/rules/{rule_id}", response=RuleOut, summary="One alert rule")
def get_rule(request: HttpRequest, rule_id: int) -> AlertRule:
    return _rule(request, rule_id)


@router.put("/rules/{rule_id}", response=RuleOut, summary="Replace an alert rule")
def update_rule(request: HttpRequest, rule_id: int, payload: RuleIn) -> AlertRule:
    rule = _rule(request, rule_id)
    data = _rule_input(payload, request.user)  # type: ignore[arg-type]
    return _allowed(lambda: services.update_rule(request.user, rule, data))  # type: ignore[arg-type]


@router.delete("/rules/{rule_id}", response={204: None}, summary="Delete an alert rule and its alerts")
def delete_rule(request: HttpRequest, rule_id: int) -> Status:
    rule = _rule(request, rule_id)
    _allowed(lambda: services.delete_rule(request.user, rule))  # type: ignore[arg-type]
    return Status(204, None)


# --- Alerts --------------------------------------------------------------------------------


@router.get("/alerts", response=list[AlertOut], summary="Alerts you may see, newest first")
@paginate
def list_alerts(request: HttpRequest, filters: Query[AlertFilters]) -> object:
    user = require_roles(request, SENSING_ROLES)
    return selectors.alerts(user, **filters.dict())


def _alert(request: HttpRequest, alert_id: int) -> Alert:
    user = require_roles(request, SENSING_ROLES)
    return get_object_or_404(selectors.visible_alerts(user), pk=alert_id)


@router.get("/alerts/{alert_id}", response=AlertOut, summary="One alert")
def get_alert(request: HttpRequest, alert_id: int) -> Alert:
    return _alert(request, alert_id)


@router.post("/alerts/{alert_id}/acknowledge", response=AlertOut, summary="Acknowledge an open alert")
def acknowledge_alert(request: HttpRequest, alert_id: int) -> Alert:
    alert = _alert(request, alert_id)
    _allowed(lambda: services.acknowledge(request.user, alert))  # type: ignore[arg-type]
    return _alert(request, alert_id)


@router.post("/alerts/{alert_id}/resolve", response=AlertOut, summary="Resolve an alert")
def resolve_alert(request: HttpRequest, alert_id: int) -> Alert:
    alert = _alert(request, alert_id)
    _allowed(lambda: services.resolve(request.user, alert))  # type: ignore[arg-type]
    return _alert(request, alert_id)


# --- Map -----------------------------------------------------------------------------------


@router.get(
    "/map",
    response={200: dict},
    summary="Things with their state (ok, alert, silent, low_battery) as GeoJSON",
    url_name="sensing_things_map",
    openapi_extra={"responses": {200: {"content": {"application/geo+json": {}}}}},
)
def things_map(request: HttpRequest, filters: Query[MapFilters]) -> HttpResponse:
    import json

    user = require_roles(request, SENSING_ROLES)
    rows = selectors.thing_rows(user, **filters.dict())
    # The map page redraws from here every 30 seconds: a repeat of the same read is one entry.
    services.audit_private_rows(rows, request.get_full_path(), dedupe=True)
    return HttpResponse(json.dumps(selectors.geojson(rows)), content_type="application/geo+json")
