"""Writing the audit log. Reads of personal data are recorded explicitly by the code that
shows them (views, API, exports); changes are recorded by model signals for every model."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.db import models

from cityos.core.audit.context import current_actor
from cityos.core.audit.models import AuditAction, AuditEntry
from cityos.core.registry import registry


def _write(
    action: str,
    object_type: str,
    object_id: str,
    object_repr: str,
    *,
    fields: Iterable[str] = (),
    changes: dict[str, Any] | None = None,
) -> AuditEntry:
    actor = current_actor()
    return AuditEntry.objects.create(
        actor_id=actor.user_id,
        actor_label=actor.label[:200],
        ip=actor.ip,
        channel=actor.channel,
        action=action,
        object_type=object_type,
        object_id=object_id[:64],
        object_repr=object_repr[:200],
        fields=list(fields),
        changes=changes or {},
        reason=actor.reason[:500],
    )


def record_access(
    instance: models.Model, fields: Iterable[str] | None = None, *, action: str = AuditAction.READ
) -> AuditEntry:
    """Record that the current actor read (or exported) personal data of ``instance``."""
    label = instance._meta.label
    read = list(fields) if fields is not None else list(registry.personal_fields(label))
    return _write(action, label, str(instance.pk), str(instance), fields=read)


def record_bulk_access(
    model: type[models.Model],
    ids: Iterable[Any],
    fields: Iterable[str],
    *,
    action: str = AuditAction.READ,
    description: str = "",
) -> AuditEntry:
    """One entry for a list or export that showed personal data of many records."""
    id_list = [str(i) for i in ids]
    return _write(
        action,
        model._meta.label,
        ",".join(id_list)[:64],
        description or f"{len(id_list)} records",
        fields=list(fields),
        changes={"ids": id_list[:1000], "count": len(id_list)},
    )


def record_change(action: str, instance: models.Model, changes: dict[str, Any] | None = None) -> AuditEntry:
    return _write(
        action,
        instance._meta.label,
        str(instance.pk),
        str(instance)[:200],
        fields=sorted((changes or {}).keys()),
        changes=changes or {},
    )


def record_retention(model_label: str, count: int, description: str) -> AuditEntry:
    return _write(AuditAction.RETENTION, model_label, "", description, changes={"deleted": count})
