"""Every create, change and delete of a record is written to the audit log.

Old values are read in ``pre_save`` so the entry says what changed. Personal-data fields
(declared in the registry) are named but their values are not copied into the log.
A model opts out with ``audit_log = False`` (machine bookkeeping such as job rows).
"""

from __future__ import annotations

import datetime
import decimal
import json
import uuid
from typing import Any

from django.db import models
from django.db.models.signals import post_delete, post_save, pre_save

from cityos.core.audit.models import AuditAction, AuditEntry
from cityos.core.registry import registry

SKIPPED_APPS = {"migrations", "contenttypes", "sessions", "admin", "django_tasks_db", "axes", "otp_static"}
SKIPPED_MODELS = {"auth.Permission", "otp_totp.TOTPDevice"}
REDACTED = "[personal data]"
NOT_LOGGED = {"password", "last_login", "key", "token_hash"}


def _audited(sender: type[models.Model]) -> bool:
    meta = sender._meta
    return (
        getattr(sender, "audit_log", True)
        and sender is not AuditEntry
        and meta.app_label not in SKIPPED_APPS
        and meta.label not in SKIPPED_MODELS
    )


def _plain(value: Any) -> Any:
    if isinstance(value, datetime.datetime | datetime.date | datetime.time):
        return value.isoformat()
    if isinstance(value, decimal.Decimal | uuid.UUID):
        return str(value)
    if isinstance(value, str) and len(value) > 200:
        return value[:200] + "…"
    if isinstance(value, dict | list):
        # Boundaries and other large documents would bloat every entry: note their size only.
        size = len(json.dumps(value, default=str))
        if size > 500:
            return f"[{type(value).__name__} of {size} characters]"
    return value


def _values(instance: models.Model) -> dict[str, Any]:
    return {f.attname: getattr(instance, f.attname) for f in instance._meta.concrete_fields}


def _on_pre_save(sender: type[models.Model], instance: models.Model, raw: bool = False, **_: Any) -> None:
    if raw or not _audited(sender) or instance._state.adding or instance.pk is None:
        return
    old = sender._base_manager.filter(pk=instance.pk).values(*[f.attname for f in sender._meta.concrete_fields]).first()
    instance._audit_old = old  # type: ignore[attr-defined]


def _on_post_save(
    sender: type[models.Model], instance: models.Model, created: bool, raw: bool = False, **_: Any
) -> None:
    from cityos.core.audit.services import record_change

    if raw or not _audited(sender):
        return
    personal = set(registry.personal_fields(sender._meta.label))
    personal |= {f + "_id" for f in personal}
    new = _values(instance)
    old: dict[str, Any] | None = getattr(instance, "_audit_old", None)
    changes: dict[str, Any] = {}
    for name, value in new.items():
        if name in NOT_LOGGED:
            if old is not None and old.get(name) != value:
                changes[name] = "[changed]"
            continue
        if old is not None and old.get(name) == value:
            continue
        if created and value in (None, "", [], {}):
            continue
        if name in personal:
            changes[name] = REDACTED
        else:
            changes[name] = (
                _plain(value) if created else {"from": _plain(old.get(name) if old else None), "to": _plain(value)}
            )
    if not created and not changes:
        return
    record_change(AuditAction.CREATE if created else AuditAction.UPDATE, instance, changes)


def _on_post_delete(sender: type[models.Model], instance: models.Model, **_: Any) -> None:
    from cityos.core.audit.services import record_change

    if _audited(sender):
        record_change(AuditAction.DELETE, instance)


def connect() -> None:
    pre_save.connect(_on_pre_save, dispatch_uid="cityos-audit-pre-save")
    post_save.connect(_on_post_save, dispatch_uid="cityos-audit-post-save")
    post_delete.connect(_on_post_delete, dispatch_uid="cityos-audit-post-delete")
