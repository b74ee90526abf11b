"""Who owns and registers the simulated devices: the departments and a provisioning account."""

from __future__ import annotations

import functools
import secrets

from cityos.core.accounts import services as accounts
from cityos.core.accounts.models import Department, Role, User
from cityos.sensing.simulators import city

PROVISIONER = "sensor-network"  # the account that registers (and reconfigures) the demo's devices


def ensure_departments() -> dict[str, Department]:
    """The departments that own the demo's devices (the core demo makes only the core ones)."""
    return {
        code: Department.objects.get_or_create(
            code=code, defaults={"name": name, "names": city.DEPARTMENT_NAMES.get(code, {})}
        )[0]
        for code, name in city.DEPARTMENTS.items()
    }


def provisioner() -> User:
    """A staff account, without a usable password, that registers devices for every department."""
    user = User.objects.filter(username=PROVISIONER).first()
    if user is None:
        user = accounts.create_staff(
            username=PROVISIONER,
            password=secrets.token_urlsafe(24),
            email=f"{PROVISIONER}@demo.cityos.invalid",
            first_name="Sensor",
            last_name="Network",
            roles=[(Role.DATA_PUBLISHER, None, [])],
        )
        user.set_unusable_password()
        user.save(update_fields=["password"])
    return user


def remember_roles(user: User) -> None:
    """Answers the services' permission checks from memory for the rest of a bulk registration.

    They ask for every entity of a deep insert (two queries each); the provisioner's roles do
    not change meanwhile, and that was half the time of creating the demo's devices.
    """
    has_role = functools.lru_cache(maxsize=None)(user.has_role)
    setattr(user, "has_role", has_role)  # noqa: B010 - an instance-level override on purpose
