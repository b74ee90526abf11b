"""Writing the audit log. Reads of personal data are recorded explicitly by the code that
shows them (views, API, exports); changes are recorded by model signals for every model.

A read that repeats by itself (a map redrawn every 30 seconds) is recorded with ``dedupe=True``:
an entry that would be identical, but for its time, to one written in the last
``CITYOS_AUDIT_DEDUPE_SECONDS`` is not written again. Identical means everything an auditor
can find in it: who, from which address, through which door, why, what (type, ids, fields),
how (read or export) and where (the description). So every distinct read is still in the log,
and a long-open map at least once per window."""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from datetime import timedelta
from typing import Any

from django.db import models
from django.utils import timezone

from cityos.core.audit.context import current_actor
from cityos.core.audit.models import AuditAction, AuditEntry
from cityos.core.conf import module_setting
from cityos.core.registry import registry


def dedupe_window() -> timedelta:
    """How long a repeated read (``dedupe=True``) is not written again; zero: always written."""
    return timedelta(seconds=max(0, int(module_setting("CITYOS_AUDIT_DEDUPE_SECONDS", "300"))))


def _recent_identical(entry: dict[str, Any]) -> AuditEntry | None:
    """An entry written within the window that holds exactly ``entry``'s values, if any.

    One query on the (object_type, object_id, at) index; the JSON values (fields, changes) are
    compared here, which reads the same on PostgreSQL and SQLite."""
    window = dedupe_window()
    if not window:
        return None
    columns = {name: value for name, value in entry.items() if name not in ("fields", "changes")}
    recent = AuditEntry.objects.filter(at__gte=timezone.now() - window, **columns).order_by("-at", "-id")
    # A handful at most: identical reads within the window are exactly what is not written.
    for candidate in recent[:20]:
        if candidate.fields == entry["fields"] and candidate.changes == entry["changes"]:
            return candidate
    return None


def _write(
    action: str,
    object_type: str,
    object_id: str,
    object_repr: str,
    *,
    fields: Iterable[str] = (),
    changes: dict[str, Any] | None = None,
    dedupe: bool = False,
) -> AuditEntry:
    actor = current_actor()
    entry: dict[str, Any] = {
        "actor_id": actor.user_id,
        "actor_label": actor.label[:200],
        "ip": actor.ip,
        "channel": actor.channel,
        "action": action,
        "object_type": object_type,
        "object_id": object_id[:64],
        "object_repr": object_repr[:200],
        "fields": list(fields),
        "changes": changes or {},
        "reason": actor.reason[:500],
    }
    if dedupe and (earlier := _recent_identical(entry)) is not None:
        return earlier
    return AuditEntry.objects.create(**entry)


def record_access(
    instance: models.Model,
    fields: Iterable[str] | None = None,
    *,
    action: str = AuditAction.READ,
    dedupe: bool = False,
) -> AuditEntry:
    """Record that the current actor read (or exported) personal data of ``instance``.

    ``dedupe``: a read that repeats by itself; the entry of an identical read within the window
    (``dedupe_window``) is returned instead of writing another."""
    label = instance._meta.label
    read = list(fields) if fields is not None else list(registry.personal_fields(label))
    return _write(action, label, str(instance.pk), str(instance), fields=read, dedupe=dedupe)


# Ids listed in a bulk entry; the log stays readable for a list of a whole city.
BULK_IDS_KEPT = 1000


def record_bulk_access(
    model: type[models.Model],
    ids: Iterable[Any],
    fields: Iterable[str],
    *,
    action: str = AuditAction.READ,
    description: str = "",
    dedupe: bool = False,
) -> AuditEntry:
    """One entry for a list or export that showed personal data of many records.

    The entry lists the first ``BULK_IDS_KEPT`` ids; past that it also holds a digest of them
    all, so two reads that differ only further down are still two entries. ``dedupe`` as for
    ``record_access``: the same ids (in the same order) and fields again."""
    id_list = [str(i) for i in ids]
    changes: dict[str, Any] = {"ids": id_list[:BULK_IDS_KEPT], "count": len(id_list)}
    if len(id_list) > BULK_IDS_KEPT:
        changes["ids_sha256"] = hashlib.sha256(",".join(id_list).encode()).hexdigest()
    return _write(
        action,
        model._meta.label,
        ",".join(id_list)[:64],
        description or f"{len(id_list)} records",
        fields=list(fields),
        changes=changes,
        dedupe=dedupe,
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
