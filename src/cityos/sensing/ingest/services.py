"""Operators' actions on ingest: replaying and deleting dead letters, issuing device tokens."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from cityos.core.accounts.models import User
from cityos.core.api.models import ApiToken
from cityos.core.api.services import ApiTokenRevoked, IssuedToken, issue_token
from cityos.sensing.ingest import dynsec, selectors, store
from cityos.sensing.models import Datastream, DeadLetter, PublishGrant
from cityos.sensing.services import can_write
from cityos.sensing.sta.privacy import Visibility


def replay_dead_letters(ids: Iterable[int], *, by: User) -> list[DeadLetter]:
    """Replays each letter ``by`` may see through the ingest path as ``by``, in id order; each
    gets replayed_at/by/outcome. A private Thing's letter they may not see is not there."""
    letters = selectors.visible_dead_letters(by).filter(pk__in=list(ids)).order_by("pk")
    return [store.replay(letter, by=by) for letter in letters]


def delete_dead_letters(ids: Iterable[int], *, by: User) -> int:
    """Deletes the letters among ``ids`` that ``by`` may see; returns how many."""
    deleted, _detail = selectors.visible_dead_letters(by).filter(pk__in=list(ids)).delete()
    return deleted


@dataclass(frozen=True)
class DeviceToken:
    issued: IssuedToken
    datastream_ids: list[int]


def issue_device_token(*, name: str, datastream_ids: Iterable[int], by: User) -> DeviceToken:
    """A write token acting as ``by`` that may publish only to ``datastream_ids`` (HTTP and MQTT).

    ``by`` must be allowed to write to every one of them. Where CityOS manages Mosquitto's
    logins (dynsec), the broker learns the token in the same transaction: if it refuses,
    :class:`dynsec.BrokerError` is raised and nothing is saved.
    """
    wanted = sorted(set(datastream_ids))
    if not wanted:
        raise ValidationError({"datastreams": [_("Choose at least one datastream.")]})
    # A private Thing's datastream that ``by`` may not see is missing to them, as it is on every
    # SensorThings path: "another department owns it" would confirm that a home exists.
    visible = Visibility.of(by).restrict("Datastream", Datastream.objects.select_related("thing"))
    found = visible.in_bulk(wanted)
    missing = [pk for pk in wanted if pk not in found]
    if missing:
        raise ValidationError(
            {"datastreams": [_("There is no datastream %(ids)s.") % {"ids": ", ".join(map(str, missing))}]}
        )
    refused = [pk for pk, datastream in found.items() if not can_write(by, datastream.thing.department_id)]
    if refused:
        raise ValidationError(
            {
                "datastreams": [
                    _("You may not publish to datastream %(ids)s: another department owns it.")
                    % {"ids": ", ".join(map(str, sorted(refused)))}
                ]
            }
        )
    with transaction.atomic():
        issued = issue_token(name=name, owner=by, scopes=["sensing:write"], created_by=by)
        PublishGrant.objects.bulk_create(PublishGrant(token=issued.token, datastream_id=pk) for pk in wanted)
        if dynsec.enabled():
            try:
                dynsec.add_device(issued.token, issued.secret, wanted)
            except ConnectionError as error:
                raise dynsec.BrokerError(str(error)) from error
    return DeviceToken(issued, wanted)


def forget_revoked_device(event: ApiTokenRevoked) -> None:
    """A revoked token's Mosquitto login goes at once (the periodic reconcile catches the rest)."""
    if not dynsec.enabled():
        return
    token = ApiToken.objects.filter(pk=event.token_id, sensing_grants__isnull=False).distinct().first()
    if token is not None:
        dynsec.remove_device(token.pk, token.prefix)
