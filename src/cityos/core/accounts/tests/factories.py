from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any

import factory
from django_otp.plugins.otp_totp.models import TOTPDevice

from cityos.core.accounts.models import Department, Language, StaffRole, User

TEST_PASSWORD = "correct-horse-battery"


class DepartmentFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Department
        django_get_or_create = ("code",)

    code = factory.Sequence(lambda n: f"dept-{n}")
    name = factory.Sequence(lambda n: f"Department {n}")


class ResidentFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"resident-{n}")
    email = factory.Sequence(lambda n: f"resident{n}@example.org")
    first_name = "Alex"
    language = Language.ENGLISH
    password = factory.PostGenerationMethodCall("set_password", TEST_PASSWORD)

    @factory.post_generation
    def _save(obj: User, create: bool, extracted: Any, **kwargs: Any) -> None:
        if create:
            obj.save()


class StaffFactory(ResidentFactory):
    username = factory.Sequence(lambda n: f"staff-{n}")
    email = factory.Sequence(lambda n: f"staff{n}@city.example.org")
    is_staff = True

    @factory.post_generation
    def roles(obj: User, create: bool, extracted: list[str] | None, **kwargs: Any) -> None:
        for role in extracted or []:
            StaffRole.objects.create(user=obj, role=role)

    @factory.post_generation
    def totp(obj: User, create: bool, extracted: Any, **kwargs: Any) -> None:
        if create:
            TOTPDevice.objects.create(user=obj, name="test", confirmed=True)


def staff_of(department: str | None, *roles: str, districts: Iterable[Any] = ()) -> User:
    """Staff (with a confirmed TOTP device) holding ``roles`` for the department of that code
    (None: every department) in ``districts`` (none: the whole city), e.g. the demo's water
    operator: ``staff_of("water", Role.OPERATOR)``."""
    user: User = StaffFactory()
    scope = DepartmentFactory(code=department, name=department.title()) if department else None
    for role in roles:
        StaffRole.objects.create(user=user, role=role, department=scope).districts.set(list(districts))
    return user


def texted_code(phone: str) -> str:
    """The confirmation code in the latest text queued to ``phone`` (the outbox of the tests)."""
    from cityos.core.accounts.services import TEMPLATE_PHONE_CODE
    from cityos.core.notifications.models import Message

    message = Message.objects.filter(address=phone, template_key=TEMPLATE_PHONE_CODE).latest("id")
    found = re.search(r"\b\d{6}\b", message.body)
    assert found, message.body
    return found.group()
