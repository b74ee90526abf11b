"""Django's superuser flag follows the administrator role.

``is_superuser`` gives every permission in the back office; in CityOS it means "holds the
administrator role" and nothing else. Granting that role (of any department) sets it, and taking
the last one away clears it, in the same transaction as the role's own row, whatever wrote the
row: ``services.create_staff``, the back office's role lines, or code of a module. Bulk
``QuerySet.update`` of roles bypasses signals and is not used for roles.
"""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.db.models import QuerySet
from django.db.models.signals import post_delete, post_save, pre_save

from cityos.core.accounts.models import Role, StaffRole, User


def keep_superuser_in_step(user_id: int) -> bool | None:
    """Set ``is_superuser`` of person ``user_id`` to whether they hold the administrator role,
    saved (and so audited) only when it changes; what it is now, None when they are gone."""
    with transaction.atomic():
        user = User.objects.select_for_update().filter(pk=user_id).first()
        if user is None:
            return None
        holds = StaffRole.objects.filter(user_id=user_id, role=Role.ADMINISTRATOR).exists()
        if user.is_superuser != holds:
            user.is_superuser = holds
            user.save(update_fields=["is_superuser"])
        return holds


def _follow(staff_role: StaffRole) -> None:
    holds = keep_superuser_in_step(staff_role.user_id)
    if holds is not None and StaffRole.user.is_cached(staff_role):  # the caller's copy says so too
        staff_role.user.is_superuser = holds


def _on_role_saving(sender: type[StaffRole], instance: StaffRole, **kwargs: Any) -> None:
    # A role line given to another person: its former holder is kept in step too, after the save.
    if instance.pk is not None:
        before = StaffRole.objects.filter(pk=instance.pk).values_list("user_id", flat=True).first()
        instance._former_holder_id = before if before != instance.user_id else None  # type: ignore[attr-defined]


def _on_role_saved(sender: type[StaffRole], instance: StaffRole, **kwargs: Any) -> None:
    former = getattr(instance, "_former_holder_id", None)
    if former is not None:
        keep_superuser_in_step(former)
        instance._former_holder_id = None  # type: ignore[attr-defined]
    _follow(instance)


def _on_role_deleted(sender: type[StaffRole], instance: StaffRole, origin: Any = None, **kwargs: Any) -> None:
    # The person's own deletion takes their roles with them: nothing to keep in step.
    if isinstance(origin, User) or (isinstance(origin, QuerySet) and origin.model is User):
        return
    _follow(instance)


def connect() -> None:
    pre_save.connect(_on_role_saving, sender=StaffRole, dispatch_uid="cityos-accounts-superuser-before-save")
    post_save.connect(_on_role_saved, sender=StaffRole, dispatch_uid="cityos-accounts-superuser-on-save")
    post_delete.connect(_on_role_deleted, sender=StaffRole, dispatch_uid="cityos-accounts-superuser-on-delete")
