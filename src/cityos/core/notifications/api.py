"""/api/v1/notifications/: message states for staff, sends to segments, a person's preferences."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.http import HttpRequest
from ninja import Field, Query, Router, Schema
from ninja.responses import Status

from cityos.core.accounts.models import User
from cityos.core.api.auth import api_auth, require_roles, require_user
from cityos.core.api.pagination import csv_export, paginate
from cityos.core.api.problems import TYPE_MISSING_ROLE, ApiProblem
from cityos.core.notifications import conf, selectors, services
from cityos.core.notifications.models import Broadcast, MessageState
from cityos.core.notifications.selectors import Segment
from cityos.core.registry import registry

# Every operation needs a token or a session; services' ValidationErrors become 422 problems.
router = Router(auth=api_auth)


def _sender(request: HttpRequest) -> User:
    return require_roles(request, conf.MESSAGING_ROLES)


# --- Schemas -----------------------------------------------------------------------------

MAX_ID = 2**63 - 1  # larger ids cannot be stored, so they are refused as input
Id = Annotated[int, Field(ge=1, le=MAX_ID)]
ChannelName = Literal["email", "sms", "whatsapp", "voice"]
StateName = Literal["queued", "sending", "sent", "delivered", "failed", "suppressed"]


# The list shows delivery state, never addresses or texts, so reading it reads no personal data.
MESSAGE_FIELDS = (
    "id",
    "channel",
    "language",
    "template_key",
    "state",
    "suppressed_reason",
    "attempts",
    "last_error",
    "recipient_id",
    "broadcast_id",
    "created_at",
    "next_attempt_at",
    "sent_at",
    "delivered_at",
    "failed_at",
)


def _template_label(obj: Any) -> str:
    key = obj["template_key"] if isinstance(obj, dict) else obj.template_key
    return registry.message_label(key)


class MessageOut(Schema):
    id: int
    channel: str
    language: str
    template_key: str
    template_label: str = Field(..., description="What the message was, in the request's language")
    state: str
    suppressed_reason: str
    attempts: int
    last_error: str
    recipient_id: int | None
    broadcast_id: int | None
    created_at: datetime
    next_attempt_at: datetime | None
    sent_at: datetime | None
    delivered_at: datetime | None
    failed_at: datetime | None

    @staticmethod
    def resolve_template_label(obj: Any) -> str:
        return _template_label(obj)


class MessageFilters(Schema):
    state: StateName | None = None
    channel: ChannelName | None = None
    broadcast: int | None = Field(None, ge=1, le=MAX_ID)
    language: Literal["en", "zh-hant", "es"] | None = None


class BroadcastIn(Schema):
    template_key: str = Field(..., min_length=1, max_length=80, examples=["service_update"])
    channels: list[str] = Field(
        default_factory=list, max_length=4, description="Empty: each person's preferred channel."
    )
    audience: str = Field("residents", max_length=20, description="residents, staff or everyone")
    district_ids: list[Id] = Field(default_factory=list, max_length=500)
    languages: list[str] = Field(default_factory=list, max_length=10)
    roles: list[str] = Field(default_factory=list, max_length=10)
    context: dict[str, str] = Field(default_factory=dict, description="Values for the template, e.g. details.")


class BroadcastOut(Schema):
    id: int
    template_key: str
    template_label: str = Field(..., description="What was sent, in the request's language")
    channels: list[str]
    segment: dict[str, Any]
    recipient_count: int
    suppressed_count: int
    created_at: datetime
    created_by_id: int | None
    states: dict[str, int]

    @staticmethod
    def resolve_template_label(obj: Broadcast) -> str:
        return _template_label(obj)

    @staticmethod
    def resolve_states(obj: Broadcast) -> dict[str, int]:
        # Lists annotate the counts (n_<state>); a single broadcast counts them here.
        if hasattr(obj, "n_queued"):
            return {state: getattr(obj, f"n_{state}") for state in MessageState.values}
        return selectors.broadcast_counts(obj)


class PreferencesIn(Schema):
    channels: list[str] = Field(..., max_length=10, description="Accepted channels, most preferred first.")
    opted_out: bool = False


class PreferencesOut(Schema):
    channels: list[str]
    opted_out: bool
    reachable_channels: list[str]


def _preferences_out(user: User) -> PreferencesOut:
    preference = selectors.preference_of(user)
    return PreferencesOut(
        channels=preference.channels,
        opted_out=preference.opted_out,
        reachable_channels=selectors.reachable_channels(user),
    )


# --- Operations --------------------------------------------------------------------------


@router.get("/messages", response=list[MessageOut], summary="Messages and their delivery state (staff)")
@csv_export(MessageOut, filename="messages")
@paginate
def list_messages(request: HttpRequest, filters: Query[MessageFilters]) -> QuerySet[Any]:
    reader = _sender(request)
    found = selectors.search_messages(reader=reader, **{k: v for k, v in filters.dict().items() if v})
    return found.values(*MESSAGE_FIELDS)


@router.get("/broadcasts", response=list[BroadcastOut], summary="Broadcasts with counts by state (staff)")
@paginate
def list_broadcasts(request: HttpRequest) -> QuerySet[Broadcast]:
    _sender(request)
    return selectors.broadcasts_with_counts(limit=None)


@router.post("/broadcasts", response={201: BroadcastOut}, summary="Send a template to a segment (staff)")
def send_broadcast(request: HttpRequest, payload: BroadcastIn) -> Status:
    user = _sender(request)
    segment = Segment(
        audience=payload.audience,
        district_ids=tuple(payload.district_ids),
        languages=tuple(payload.languages),
        roles=tuple(payload.roles),
    )
    try:
        broadcast = services.send_to_segment(
            segment, payload.template_key, payload.context, payload.channels or None, sent_by=user
        )
    except PermissionDenied as error:  # say why: the districts are outside the sender's scope
        raise ApiProblem(403, str(error), type=TYPE_MISSING_ROLE) from error
    return Status(201, broadcast)


@router.get("/preferences/me", response=PreferencesOut, summary="My channel preferences")
def my_preferences(request: HttpRequest) -> PreferencesOut:
    return _preferences_out(require_user(request))


@router.put("/preferences/me", response=PreferencesOut, summary="Change my channel preferences")
def set_my_preferences(request: HttpRequest, payload: PreferencesIn) -> PreferencesOut:
    user = require_user(request)
    services.set_preferences(user, channels=payload.channels, opted_out=payload.opted_out)
    return _preferences_out(user)
