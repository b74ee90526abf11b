"""Administrators: Django's superuser flag follows the role, and granting it warns what it means.

An administrator of any department counts as administrator everywhere (docs/platform.md); the
back office says so on the role's line and again when the role is granted.
"""

from __future__ import annotations

import pytest
from django.db import transaction
from django.urls import reverse

from cityos.conftest import verified_client
from cityos.core.accounts import services
from cityos.core.accounts.models import Role, StaffRole, User
from cityos.core.accounts.permissions import holds_any_role
from cityos.core.accounts.tests.factories import DepartmentFactory, StaffFactory, staff_of
from cityos.core.audit.models import AuditEntry
from cityos.core.geo.conf import PLACE_ROLES

pytestmark = pytest.mark.django_db


def _superuser(user: User) -> bool:
    return User.objects.get(pk=user.pk).is_superuser


def test_granting_the_administrator_role_makes_a_superuser():
    person = StaffFactory()
    StaffRole.objects.create(user=person, role=Role.ADMINISTRATOR, department=DepartmentFactory(code="it"))
    assert _superuser(person)


def test_create_staff_makes_an_administrator_a_superuser_and_says_so_on_the_returned_account():
    made = services.create_staff(
        username="ada", password="correct-horse-battery", email="ada@city.example.org",
        roles=[(Role.ADMINISTRATOR, None, [])],
    )  # fmt: skip
    assert made.is_superuser and _superuser(made)
    assert not services.create_staff(
        username="bo", password="correct-horse-battery", email="bo@city.example.org", roles=[(Role.OPERATOR, None, [])]
    ).is_superuser


def test_removing_the_administrator_role_clears_superuser():
    person = staff_of("it", Role.ADMINISTRATOR)
    assert _superuser(person)
    person.staff_roles.get(role=Role.ADMINISTRATOR).delete()
    assert not _superuser(person)
    # Saved, not updated in bulk: the audit log has the change, as for every change of a person.
    changes = AuditEntry.objects.filter(object_type="accounts.User", object_id=str(person.pk), action="update")
    flag = [c.changes["is_superuser"]["to"] for c in changes.order_by("pk") if "is_superuser" in c.changes]
    assert flag == [True, False]


def test_changing_the_administrator_role_into_another_clears_superuser():
    person = staff_of(None, Role.ADMINISTRATOR)
    role = person.staff_roles.get()
    role.role = Role.OPERATOR
    role.save()
    assert not _superuser(person)


def test_an_administrator_role_line_given_to_another_person_clears_its_former_holder():
    former, successor = staff_of(None, Role.ADMINISTRATOR), StaffFactory()
    role = former.staff_roles.get()
    role.user = successor
    role.save()
    assert not _superuser(former) and _superuser(successor)


def test_superuser_stays_while_another_administrator_role_remains():
    person = staff_of("it", Role.ADMINISTRATOR)
    StaffRole.objects.create(user=person, role=Role.ADMINISTRATOR, department=None)
    person.staff_roles.filter(department__code="it").get().delete()
    assert _superuser(person)


def test_the_flag_changes_in_the_roles_transaction_and_goes_back_with_it():
    person = staff_of(None, Role.ADMINISTRATOR)
    with pytest.raises(RuntimeError), transaction.atomic():
        person.staff_roles.get().delete()
        assert not _superuser(person)  # already, inside the same transaction
        raise RuntimeError("the removal fails later on")
    assert _superuser(person) and person.staff_roles.filter(role=Role.ADMINISTRATOR).exists()


def test_deleting_an_administrator_deletes_them_without_a_word_about_the_flag():
    person = staff_of(None, Role.ADMINISTRATOR)
    person.delete()
    assert not User.objects.filter(pk=person.pk).exists()


def test_an_administrator_of_one_department_counts_in_every_module():
    assert holds_any_role(staff_of("parks", Role.ADMINISTRATOR), PLACE_ROLES)


# --- The back office ------------------------------------------------------------------------


def _admin_client():
    return verified_client(staff_of(None, Role.ADMINISTRATOR))


def _change_form(person: User, **role_line: str) -> dict[str, str]:
    roles = list(person.staff_roles.all())
    data = {
        "username": person.username,
        "first_name": person.first_name,
        "last_name": "",
        "email": person.email or "",
        "phone": "",
        "language": person.language,
        "district": "",
        "is_active": "on",
        "is_staff": "on",
        "last_login_0": "",
        "last_login_1": "",
        "date_joined_0": "2026-01-01",
        "date_joined_1": "00:00:00",
        "staff_roles-TOTAL_FORMS": str(len(roles) + (1 if role_line else 0)),
        "staff_roles-INITIAL_FORMS": str(len(roles)),
        "staff_roles-MIN_NUM_FORMS": "0",
        "staff_roles-MAX_NUM_FORMS": "1000",
    }
    for index, role in enumerate(roles):
        data |= {
            f"staff_roles-{index}-id": str(role.pk),
            f"staff_roles-{index}-user": str(person.pk),
            f"staff_roles-{index}-role": role.role,
            f"staff_roles-{index}-department": str(role.department_id or ""),
        }
    if role_line:
        index = len(roles)
        data |= {
            f"staff_roles-{index}-user": str(person.pk),
            **{f"staff_roles-{index}-{k}": v for k, v in role_line.items()},
        }
    return data


def test_the_back_office_warns_on_the_role_line_and_when_administrator_is_granted():
    person = staff_of(None, Role.OPERATOR)
    client = _admin_client()
    url = reverse("admin:accounts_user_change", args=[person.pk])
    page = client.get(url).content.decode()
    assert "counts in every department and district" in page
    response = client.post(url, _change_form(person, role=Role.ADMINISTRATOR, department=""), follow=True)
    assert response.status_code == 200
    said = [str(m) for m in response.context["messages"]]
    assert any("is now an administrator" in m and "every department" in m for m in said), said
    assert _superuser(person)


def test_the_back_office_shows_superuser_but_does_not_let_it_be_ticked_apart_from_the_role():
    person = staff_of(None, Role.OPERATOR)
    client = _admin_client()
    url = reverse("admin:accounts_user_change", args=[person.pk])
    response = client.post(url, {**_change_form(person), "is_superuser": "on"}, follow=True)
    assert response.status_code == 200
    assert not _superuser(person)
    assert not any("is now an administrator" in str(m) for m in response.context["messages"])
