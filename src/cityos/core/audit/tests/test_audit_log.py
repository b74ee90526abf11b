"""Every change and every staff read of personal data is in an append-only log."""

from __future__ import annotations

import pytest
from django.db import DatabaseError, transaction

from cityos.core.accounts.models import Role
from cityos.core.accounts.tests.factories import ResidentFactory
from cityos.core.audit.context import Actor, acting_as, with_reason
from cityos.core.audit.models import AuditAction, AuditEntry
from cityos.core.audit.services import record_access

pytestmark = pytest.mark.django_db


def test_creating_and_changing_a_record_is_logged_without_copying_personal_values():
    with acting_as(Actor(user_id=None, label="clerk", ip="10.0.0.9", channel="web")):
        person = ResidentFactory(email="p@example.org", first_name="Ana")
        person.email = "new@example.org"
        person.is_active = False
        person.save()
    update = AuditEntry.objects.filter(
        object_type="accounts.User", object_id=str(person.pk), action=AuditAction.UPDATE
    ).latest("id")
    assert update.actor_label == "clerk" and update.ip == "10.0.0.9"
    assert update.changes["email"] == "[personal data]"
    assert update.changes["is_active"] == {"from": True, "to": False}
    assert "new@example.org" not in str(update.changes)


def test_a_read_of_personal_data_is_logged_with_its_reason():
    person = ResidentFactory()
    with acting_as(Actor(label="officer", channel="web")), with_reason("case follow-up"):
        entry = record_access(person)
    assert entry.action == AuditAction.READ
    assert "email" in entry.fields and entry.reason == "case follow-up"


def test_the_log_cannot_be_changed_or_deleted():
    entry = record_access(ResidentFactory())
    with pytest.raises(PermissionError):
        entry.save()
    with pytest.raises(PermissionError):
        AuditEntry.objects.all().delete()


def test_on_postgresql_the_database_itself_refuses_changes():
    from django.db import connection

    if connection.vendor != "postgresql":
        pytest.skip("the database-level guard is a PostgreSQL trigger")
    record_access(ResidentFactory())
    with pytest.raises(DatabaseError), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("UPDATE audit_auditentry SET reason = 'x'")


def test_administrators_search_and_export_the_log(staff_client):
    person = ResidentFactory(first_name="Searchable")
    record_access(person)
    _admin, client = staff_client(Role.ADMINISTRATOR)
    page = client.get("/audit/", {"object_type": "accounts.User", "action": "read"})
    assert page.status_code == 200 and str(person) in page.content.decode()
    export = client.get("/audit/export.csv", {"action": "read"})
    body = b"".join(export.streaming_content).decode()
    assert body.splitlines()[0].startswith("at,actor_label")
    assert str(person.pk) in body


def test_only_administrators_see_the_log(staff_client):
    _operator, client = staff_client(Role.OPERATOR)
    assert client.get("/audit/").status_code == 403


def test_large_documents_are_summarised_not_copied():
    from cityos.core.geo.tests.factories import DistrictFactory

    ring = [[i / 1000, (i % 7) / 1000] for i in range(200)]
    district = DistrictFactory()
    district.geometry = {"type": "Polygon", "coordinates": [[*ring, ring[0]]]}
    district.save()
    entry = AuditEntry.objects.filter(object_type="geo.District", action=AuditAction.UPDATE).latest("id")
    assert entry.changes["geometry"]["to"].startswith("[dict of ")


def test_the_back_office_audits_the_people_it_lists_and_opens(staff_client):
    listed = ResidentFactory(email="listed@example.org")
    admin_user, client = staff_client(Role.ADMINISTRATOR)
    admin_user.is_superuser = True  # as accounts.services.create_staff makes administrators
    admin_user.save()

    assert client.get("/admin/accounts/user/").status_code == 200
    listing = AuditEntry.objects.filter(action=AuditAction.READ, object_type="accounts.User").latest("id")
    assert listing.actor_id == admin_user.pk and str(listed.pk) in listing.changes["ids"]
    assert {"email", "phone", "first_name"} <= set(listing.fields)

    assert client.get(f"/admin/accounts/user/{listed.pk}/change/").status_code == 200
    opened = AuditEntry.objects.filter(action=AuditAction.READ, object_id=str(listed.pk)).latest("id")
    assert opened.actor_id == admin_user.pk and "email" in opened.fields


def test_back_office_pages_of_records_without_personal_data_are_not_logged_as_reads(staff_client):
    admin_user, client = staff_client(Role.ADMINISTRATOR)
    admin_user.is_superuser = True
    admin_user.save()
    before = AuditEntry.objects.filter(action=AuditAction.READ).count()
    assert client.get("/admin/accounts/department/").status_code == 200
    assert AuditEntry.objects.filter(action=AuditAction.READ).count() == before


def test_behind_the_citys_proxy_the_client_is_the_address_it_appended(rf, settings):
    from cityos.core.audit.middleware import client_ip

    forged = rf.get("/", HTTP_X_FORWARDED_FOR="1.2.3.4, 203.0.113.9", REMOTE_ADDR="10.0.0.2")
    assert client_ip(forged) == "10.0.0.2"  # no proxy configured: the socket
    settings.CITYOS_TRUST_X_FORWARDED_FOR = True
    assert client_ip(forged) == "203.0.113.9"  # not the client's own (forgeable) first entry
    assert client_ip(rf.get("/", REMOTE_ADDR="10.0.0.2")) == "10.0.0.2"
