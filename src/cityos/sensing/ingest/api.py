"""JSON API of this part, mounted under /api/v1/sensing/ by cityos.sensing.api.

/dead-letters (list with filters, replay, delete) and /device-tokens (issue a token limited
to given datastreams). Operators only.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, ClassVar, cast

from django.core.exceptions import ValidationError
from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja import Field, Query, Router, Schema

from cityos.core.api.auth import api_auth, require_roles
from cityos.core.api.pagination import paginate
from cityos.core.api.problems import ApiProblem, django_validation_errors
from cityos.core.api.schemas import CLEAN_TEXT, Day
from cityos.sensing.ingest import dynsec, selectors, services
from cityos.sensing.ingest.registration import INGEST_ROLES
from cityos.sensing.models import DeadLetter

router = Router(auth=api_auth, tags=["sensing ingest"])


class DeadLetterOut(Schema):
    id: int
    source: str
    topic: str
    payload: str
    reason: str = Field(..., description="Why it could not be stored (the SensorThings-style message).")
    received_at: datetime
    replayed_at: datetime | None
    replayed_by: str | None
    replay_outcome: str

    @staticmethod
    def resolve_replayed_by(obj: DeadLetter) -> str | None:
        return obj.replayed_by.get_username() if obj.replayed_by else None


class DeadLetterFilters(Schema):
    reason: str = Field("", max_length=200, description="Reason contains (case-insensitive).")
    topic: str = Field("", max_length=200, description="Topic contains.")
    q: str = Field("", max_length=200, description="Search in topic, reason and payload.")
    since: Day | None = Field(None, description="Received on or after this day.")
    until: Day | None = Field(None, description="Received on or before this day.")
    replayed: str = Field("", pattern="^(|yes|no)$", description='"yes", "no" or empty for both.')


class Selection(Schema):
    ids: list[int] = Field(..., min_length=1, max_length=1000, description="Dead letter ids.")


class DeletedOut(Schema):
    deleted: int


class DeviceTokenIn(Schema):
    # As typed, without the bidi controls (a name of only those is an empty one).
    name: Annotated[str, Field(min_length=1, max_length=100), CLEAN_TEXT] = Field(
        ..., description="What uses it, e.g. 'River gauge 4'."
    )
    datastream_ids: list[int] = Field(..., min_length=1, max_length=1000)


class DeviceTokenOut(Schema):
    id: int
    name: str
    prefix: str
    token: str = Field(..., description="The secret: shown once. Use it as MQTT password or Bearer token.")
    datastream_ids: list[int]


class DeviceTokenRowOut(Schema):
    id: int
    name: str
    prefix: str
    active: bool
    datastream_ids: list[int]

    # A token's name and prefix, not its owner: listing tokens is no read of personal data.
    shows_personal: ClassVar[frozenset[str]] = frozenset()


@router.get("/dead-letters", response=list[DeadLetterOut], summary="Messages that could not be stored")
@paginate
def list_dead_letters(request: HttpRequest, filters: Query[DeadLetterFilters]) -> object:
    user = require_roles(request, INGEST_ROLES)
    return selectors.dead_letters(
        user,
        selectors.DeadLetterFilter(
            reason=filters.reason,
            topic=filters.topic,
            search=filters.q,
            since=filters.since,
            until=filters.until,
            replayed=filters.replayed,
        ),
    )


@router.post(
    "/dead-letters/replay",
    response=list[DeadLetterOut],
    summary="Run dead letters through ingest again; each records when, by whom and the outcome",
)
def replay_dead_letters(request: HttpRequest, body: Selection) -> list[DeadLetter]:
    user = require_roles(request, INGEST_ROLES)
    # A private Thing's letter the operator may not see answers as a missing one.
    found = set(selectors.visible_dead_letters(user).filter(pk__in=body.ids).values_list("pk", flat=True))
    missing = sorted(set(body.ids) - found)
    if missing:
        raise ApiProblem(404, _("There is no dead letter %(ids)s.") % {"ids": ", ".join(map(str, missing))})
    return services.replay_dead_letters(body.ids, by=user)


@router.post("/dead-letters/delete", response=DeletedOut, summary="Delete dead letters")
def delete_dead_letters(request: HttpRequest, body: Selection) -> dict[str, int]:
    user = require_roles(request, INGEST_ROLES)
    return {"deleted": services.delete_dead_letters(body.ids, by=user)}


@router.get("/device-tokens", response=list[DeviceTokenRowOut], summary="Tokens limited to given datastreams, paged")
@paginate
def list_device_tokens(request: HttpRequest) -> list[dict[str, object]]:
    """The tokens you may see, newest first (ties by id), a page at a time: follow ``next``."""
    user = require_roles(request, INGEST_ROLES)
    rows = sorted(selectors.device_tokens(user), key=lambda row: (row.token.created_at, row.token.pk), reverse=True)
    return [
        {
            "id": row.token.pk,
            "name": row.token.name,
            "prefix": row.token.prefix,
            "active": row.token.is_active,
            "datastream_ids": row.datastream_ids,
        }
        for row in rows
    ]


@router.post(
    "/device-tokens",
    response={201: DeviceTokenOut},
    summary="Issue a token that may publish only to the given datastreams (HTTP and MQTT)",
)
def issue_device_token(request: HttpRequest, body: DeviceTokenIn) -> tuple[int, dict[str, object]]:
    user = require_roles(request, INGEST_ROLES)
    try:
        device = services.issue_device_token(name=body.name, datastream_ids=body.datastream_ids, by=user)
    except ValidationError as error:
        # The service names the field as its page form does ("datastreams"); here it is datastream_ids.
        errors = [
            {**e, "field": e["field"].replace("body.datastreams", "body.datastream_ids")}
            for e in django_validation_errors(error)
        ]
        raise ApiProblem(422, cast(str, errors[0]["message"]), errors=errors) from error
    except dynsec.BrokerError as error:
        reason = _("The MQTT broker did not take the device's login, so no token was issued: %(reason)s")
        raise ApiProblem(503, reason % {"reason": error}) from error
    token = device.issued.token
    return 201, {
        "id": token.pk,
        "name": token.name,
        "prefix": token.prefix,
        "token": device.issued.secret,
        "mqtt_username": token.prefix,
        "datastream_ids": device.datastream_ids,
    }
