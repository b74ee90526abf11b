"""Reads used by pages, the API and exports alike."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any

from django.db.models import Count, Q, QuerySet
from django.utils import timezone

from cityos.core.accounts.models import StaffRole, User
from cityos.core.accounts.permissions import districts_in_scope, owning_departments
from cityos.core.notifications import conf
from cityos.core.notifications.models import (
    DEFAULT_CHANNEL_ORDER,
    Audience,
    Broadcast,
    Channel,
    ChannelPreference,
    Message,
    MessageState,
    MessageTemplate,
)
from cityos.core.registry import Roles, ScopedRoles, registry, role_names


@dataclass(frozen=True)
class Segment:
    """Who a broadcast goes to: residents, staff or both, narrowed by district, language and
    (for staff) role. Empty lists mean no narrowing."""

    audience: str = Audience.RESIDENTS
    district_ids: tuple[int, ...] = ()
    languages: tuple[str, ...] = ()
    # Role names (staff of every department), or a module's roles (``module_roles``): its staff.
    roles: Roles = ()

    def as_dict(self) -> dict[str, Any]:
        stored: dict[str, Any] = {
            "audience": self.audience,
            "district_ids": list(self.district_ids),
            "languages": list(self.languages),
            "roles": list(role_names(self.roles)),
        }
        if isinstance(self.roles, ScopedRoles):
            stored["roles_module"] = self.roles.module
        return stored

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Segment:
        names = tuple(data.get("roles") or ())
        module = data.get("roles_module")
        return cls(
            audience=data.get("audience", Audience.RESIDENTS),
            district_ids=tuple(data.get("district_ids") or ()),
            languages=tuple(data.get("languages") or ()),
            roles=ScopedRoles(module, names) if module and names else names,
        )


def _roles_that_count(roles: Roles) -> QuerySet[StaffRole]:
    """Staff roles that count as one of ``roles``: a module's roles (``module_roles``) only when
    held for no department or one of the module's (docs/platform.md, "Department scope")."""
    wanted = Q(role__in=role_names(roles))
    owners = owning_departments(roles)
    if owners is not None:
        wanted &= Q(department__isnull=True) | Q(department__code__in=owners)
    return StaffRole.objects.filter(wanted)


def segment_members(segment: Segment) -> QuerySet[User]:
    """Active people in ``segment``; a role narrows to staff holding it where it counts."""
    people = User.objects.filter(is_active=True)
    if segment.roles:
        people = people.filter(is_staff=True, staff_roles__in=_roles_that_count(segment.roles))
    elif segment.audience == Audience.RESIDENTS:
        people = people.filter(is_staff=False)
    elif segment.audience == Audience.STAFF:
        people = people.filter(is_staff=True)
    if segment.district_ids:
        # Residents live in a district; staff are in it when one of their roles covers it.
        people = people.filter(
            Q(district_id__in=segment.district_ids) | Q(is_staff=True, staff_roles__districts__in=segment.district_ids)
        )
    if segment.languages:
        people = people.filter(language__in=segment.languages)
    return people.distinct().order_by("pk")


@dataclass
class Preference:
    """A person's effective preference: saved, or the default."""

    channels: list[str] = field(default_factory=lambda: list(DEFAULT_CHANNEL_ORDER))
    opted_out: bool = False
    saved: bool = False


def preference_of(user: User) -> Preference:
    saved = ChannelPreference.objects.filter(user=user).first()
    if saved is None:
        return Preference()
    return Preference(channels=list(saved.channels), opted_out=saved.opted_out, saved=True)


def preferences_of(user_ids: list[int]) -> dict[int, Preference]:
    return {
        p.user_id: Preference(channels=list(p.channels), opted_out=p.opted_out, saved=True)
        for p in ChannelPreference.objects.filter(user_id__in=user_ids)
    }


def address_for(user: User, channel: str) -> str:
    return (user.email or "") if channel == Channel.EMAIL else (user.phone or "")


def reachable_channels(user: User) -> list[str]:
    """Channels the person has an address for."""
    return [c for c in Channel.values if address_for(user, c)]


def template_keys() -> list[str]:
    return list(MessageTemplate.objects.order_by("key").values_list("key", flat=True).distinct())


def readable_messages(reader: User) -> QuerySet[Message]:
    """The message log as ``reader`` may read it: everything for a city-wide messaging role; for
    one narrowed to districts, messages to people who live in them and those the reader sent.

    A message to someone of no district (staff, a bare address) is read city-wide only: nothing
    ties it to a district, so no district's staff can be said to own it.
    """
    messages = Message.objects.all()
    covered = districts_in_scope(reader, conf.MESSAGING_ROLES)
    if covered is None:
        return messages
    return messages.filter(Q(recipient__district_id__in=covered) | Q(created_by=reader))


def search_messages(
    *,
    reader: User,
    state: str = "",
    channel: str = "",
    broadcast: int | None = None,
    language: str = "",
    q: str = "",
    since: date | None = None,
    until: date | None = None,
) -> QuerySet[Message]:
    messages = readable_messages(reader).select_related("recipient", "broadcast")
    if state:
        messages = messages.filter(state=state)
    if channel:
        messages = messages.filter(channel=channel)
    if broadcast:
        messages = messages.filter(broadcast_id=broadcast)
    if language:
        messages = messages.filter(language=language)
    if q:
        # Staff search by what they see: a template's name in their language, or its key.
        named = [key for key, kind in registry.message_kinds.items() if q.casefold() in str(kind.label).casefold()]
        messages = messages.filter(
            Q(address__icontains=q) | Q(template_key=q) | Q(template_key__in=named) | Q(provider_message_id=q)
        )
    if since:
        messages = messages.filter(created_at__date__gte=since)
    if until:
        messages = messages.filter(created_at__date__lte=until)
    return messages


def state_counts(messages: QuerySet[Message]) -> dict[str, int]:
    counts = {state: 0 for state in MessageState.values}
    for row in messages.order_by().values("state").annotate(n=Count("id")):
        counts[row["state"]] = row["n"]
    return counts


def broadcasts_with_counts(limit: int | None = 20) -> QuerySet[Broadcast]:
    annotations = {f"n_{state}": Count("messages", filter=Q(messages__state=state)) for state in MessageState.values}
    broadcasts = Broadcast.objects.select_related("created_by").annotate(**annotations)
    return broadcasts[:limit] if limit else broadcasts


def broadcast_counts(broadcast: Broadcast) -> dict[str, int]:
    return state_counts(Message.objects.filter(broadcast=broadcast))


def messages_today_by_state() -> dict[str, int]:
    start = timezone.localtime().replace(hour=0, minute=0, second=0, microsecond=0)
    return state_counts(Message.objects.filter(created_at__gte=start))
