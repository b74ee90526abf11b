"""The officers' lists of the health API page like every list: ``limit``/``offset`` in,
``{count, next, previous, results}`` out, ``format=csv`` for all of it. None stops short (they
used to stop at 1,000 rows), pages neither repeat nor skip a row, and each page or export is
audited once per kind of record it shows, with the officer's reason."""

from __future__ import annotations

import csv
import io
from typing import Any, cast

import pytest
from django.db import connection
from django.db.models import QuerySet
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from cityos.core.accounts.models import User
from cityos.core.accounts.tests.factories import ResidentFactory
from cityos.core.audit.models import AuditEntry
from cityos.health import services
from cityos.health.models import Case, Contact, Declaration, FlagReason, FollowUp, HealthTask, Quarantine, TaskKind
from cityos.health.tests.conftest import days_ago

pytestmark = pytest.mark.django_db
API = "/api/v1/health"
REASON = "Daily follow-up calls"


def contacts_due_today(case: Case, names: list[str]) -> list[Contact]:
    """Contacts of ``case`` with a follow-up due today (made directly: many, quickly)."""
    contacts = Contact.objects.bulk_create(
        Contact(case=case, name=name, relationship="household", last_exposure=days_ago(1)) for name in names
    )
    FollowUp.objects.bulk_create(FollowUp(contact=c, day=timezone.localdate()) for c in contacts)
    return contacts


def every_page(client: Client, url: str, params: dict[str, Any]) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """Each page's body and every result, following ``next`` from the first page."""
    response = client.get(url, params)
    assert response.status_code == 200, response.content
    pages = [response.json()]
    while pages[-1]["next"]:
        response = client.get(pages[-1]["next"])
        assert response.status_code == 200, response.content
        pages.append(response.json())
    return pages, [row for page in pages for row in page["results"]]


def resident(**fields: Any) -> User:
    return cast(User, ResidentFactory(**fields))


def entries(object_type: str, action: str = "read") -> QuerySet[AuditEntry]:
    return AuditEntry.objects.filter(object_type=object_type, action=action)


def exported(response: Any) -> list[dict[str, str]]:
    assert response.status_code == 200, response.content
    assert response["Content-Type"].startswith("text/csv")
    return list(csv.DictReader(io.StringIO(b"".join(response.streaming_content).decode())))


# --- follow-ups -------------------------------------------------------------------------------


def test_more_than_a_thousand_follow_ups_due_are_all_counted_and_reachable(officer_client, case):
    contacts_due_today(case, [f"Contact {n:04}" for n in range(1001)])
    first = officer_client.get(f"{API}/follow-ups", {"reason": REASON, "limit": 500}).json()
    assert first["count"] == 1001 and len(first["results"]) == 500 and first["previous"] is None
    last = officer_client.get(f"{API}/follow-ups", {"reason": REASON, "limit": 500, "offset": 1000}).json()
    assert [f["contact_name"] for f in last["results"]] == ["Contact 1000"] and last["next"] is None


def test_follow_ups_page_with_absolute_next_links_keeping_the_reason_and_filters(officer_client, case):
    contacts_due_today(case, ["Ana", "Bo", "Chen", "Dev", "Eli"])
    pages, rows = every_page(
        officer_client, f"{API}/follow-ups", {"reason": REASON, "limit": 2, "sort": "-contact_name"}
    )
    assert [len(p["results"]) for p in pages] == [2, 2, 1] and {p["count"] for p in pages} == {5}
    assert pages[0]["next"].startswith("http://testserver/api/v1/health/follow-ups?")
    assert "reason=Daily+follow-up+calls" in pages[0]["next"] and "sort=-contact_name" in pages[0]["next"]
    assert pages[2]["previous"] is not None
    assert [r["contact_name"] for r in rows] == ["Eli", "Dev", "Chen", "Bo", "Ana"]


def test_contacts_of_the_same_name_keep_one_order_across_pages(officer_client, case):
    # Ties on the sort column (here every name) are broken by id: each row once, in id order.
    made = contacts_due_today(case, ["Sam Lee"] * 5)
    for params in ({}, {"sort": "contact_name"}, {"sort": "-contact_name"}):
        _pages, rows = every_page(officer_client, f"{API}/follow-ups", {"reason": REASON, "limit": 2, **params})
        ids = [r["contact_id"] for r in rows]
        expected = sorted(c.pk for c in made)
        assert ids == (expected[::-1] if params.get("sort", "").startswith("-") else expected)


def test_a_page_of_follow_ups_is_audited_once_with_the_reason(officer_client, case):
    made = contacts_due_today(case, ["Ana", "Bo", "Chen"])
    page = officer_client.get(f"{API}/follow-ups", {"reason": REASON, "limit": 2}).json()
    shown = [f["id"] for f in page["results"]]
    [follow_ups] = entries("health.FollowUp")
    assert follow_ups.changes["ids"] == [str(pk) for pk in shown] and follow_ups.reason == REASON
    assert follow_ups.fields == ["status", "symptoms", "notes"]
    # The names shown are the contacts': their read is recorded too, once.
    [names] = entries("health.Contact")
    assert names.changes["ids"] == [str(c.pk) for c in made[:2]] and names.fields == ["name"]
    assert names.reason == REASON and names.channel == "api"


def test_follow_ups_export_every_row_as_csv_audited_as_one_export(officer_client, case):
    contacts_due_today(case, ["Ana", "Bo", "Chen"])
    rows = exported(officer_client.get(f"{API}/follow-ups", {"reason": REASON, "format": "csv", "limit": 1}))
    assert [r["contact_name"] for r in rows] == ["Ana", "Bo", "Chen"] and rows[0]["case_ref"] == case.ref
    follow_ups = entries("health.FollowUp", "export").get()
    assert follow_ups.changes["count"] == 3 and follow_ups.reason == REASON
    contacts = entries("health.Contact", "export").get()
    assert contacts.changes["count"] == 3 and contacts.reason == REASON
    assert not entries("health.FollowUp").exists() and not entries("health.Contact").exists()


def test_an_empty_day_is_an_empty_page_and_no_read(officer_client):
    body = officer_client.get(f"{API}/follow-ups", {"reason": REASON, "day": days_ago(30).isoformat()}).json()
    assert body == {"count": 0, "next": None, "previous": None, "results": []}
    assert not AuditEntry.objects.filter(action="read").exists()


@pytest.mark.parametrize("url", ["/follow-ups", "/declarations/flagged", "/tasks"])
@pytest.mark.parametrize(
    ("query", "code"),
    [({"limit": 0}, "greater_than_equal"), ({"limit": 501}, "less_than_equal"), ({"offset": -1}, "greater_than_equal")],
)
def test_a_bad_limit_or_offset_is_a_422_naming_it(officer_client, url, query, code):
    response = officer_client.get(f"{API}{url}", {"reason": REASON, **query})
    assert response.status_code == 422 and response["Content-Type"].startswith("application/problem+json")
    [error] = response.json()["errors"]
    assert (error["field"], error["code"]) == (f"query.{next(iter(query))}", code)
    assert not AuditEntry.objects.filter(action="read").exists()


@pytest.mark.parametrize("url", ["/follow-ups", "/declarations/flagged"])
def test_a_list_without_a_reason_is_refused_before_anything_is_read(officer_client, url):
    assert officer_client.get(f"{API}{url}", {"format": "csv"}).status_code == 422
    assert not AuditEntry.objects.filter(action__in=["read", "export"]).exists()


# --- flagged declarations -----------------------------------------------------------------------


def flag(person: User, days: int) -> Declaration:
    return Declaration.objects.create(
        person=person, day=days_ago(days), symptoms=["fever"], flagged=True, flag_reason=FlagReason.FEVER
    )


def test_flagged_declarations_page_newest_first_and_join_each_residents_records(officer_client, officer, case):
    mei, luis = resident(first_name="Mei"), resident(first_name="Luis")
    Case.objects.filter(pk=case.pk).update(person=mei)
    services.add_contact(officer, case, name="Luis", person=luis, relationship="work", last_exposure=days_ago(2))
    for days in (1, 2, 3):
        flag(mei, days)
        flag(luis, days)
    flag(mei, 20)  # older than 14 days: not listed
    pages, rows = every_page(officer_client, f"{API}/declarations/flagged", {"reason": REASON, "limit": 4})
    assert [len(p["results"]) for p in pages] == [4, 2] and pages[0]["count"] == 6
    assert [r["day"] for r in rows] == sorted((r["day"] for r in rows), reverse=True)
    by_name = {r["person_name"]: r for r in rows}
    assert by_name["Mei"]["case_refs"] == [case.ref] and by_name["Mei"]["contact_of"] == []
    assert by_name["Luis"]["case_refs"] == [] and by_name["Luis"]["contact_of"] == [case.ref]


def test_joining_cases_and_contacts_costs_the_same_queries_for_any_page_size(officer_client, case):
    people = [resident() for _ in range(6)]
    for person in people:
        flag(person, 1)

    def queries(limit: int) -> int:
        with CaptureQueriesContext(connection) as captured:
            assert (
                officer_client.get(f"{API}/declarations/flagged", {"reason": REASON, "limit": limit}).status_code == 200
            )
        return len(captured)

    assert queries(2) == queries(6)


def test_a_page_of_flagged_declarations_is_audited_once_with_each_resident_once(officer_client):
    mei = resident(first_name="Mei")
    shown = [flag(mei, 1), flag(mei, 2)]
    flag(mei, 3)
    officer_client.get(f"{API}/declarations/flagged", {"reason": REASON, "limit": 2})
    [declarations] = entries("health.Declaration")
    assert declarations.changes["ids"] == [str(d.pk) for d in shown] and declarations.reason == REASON
    assert declarations.fields == ["symptoms", "flag_reason"]
    [residents] = entries("accounts.User")
    assert residents.changes["ids"] == [str(mei.pk)] and residents.reason == REASON
    assert residents.fields == ["first_name", "last_name", "email", "phone"]


def test_flagged_declarations_export_as_csv(officer_client, case):
    mei = resident(first_name="Mei", last_name="Chen")
    Case.objects.filter(pk=case.pk).update(person=mei)
    flag(mei, 1)
    flag(mei, 2)
    rows = exported(officer_client.get(f"{API}/declarations/flagged", {"reason": REASON, "format": "csv"}))
    assert [(r["person_name"], r["case_refs"]) for r in rows] == [("Mei Chen", case.ref)] * 2
    assert entries("health.Declaration", "export").get().changes["count"] == 2
    assert entries("accounts.User", "export").get().changes["ids"] == [str(mei.pk)]


# --- tasks ------------------------------------------------------------------------------------


@pytest.fixture
def quarantine(officer: User, person: User) -> Quarantine:
    return services.start_quarantine(officer, person, start_date=days_ago(5), home_lat=40.7, home_lon=-73.9)


def test_open_tasks_page_newest_first_ties_by_id_and_export_as_csv(officer_client, quarantine):
    made = HealthTask.objects.bulk_create(
        HealthTask(quarantine=quarantine, kind=TaskKind.MISSED_CHECK_IN, day=days_ago(n)) for n in range(1, 6)
    )
    HealthTask.objects.update(created_at=timezone.now())  # all made at once: the order is by id
    pages, rows = every_page(officer_client, f"{API}/tasks", {"limit": 2})
    assert [len(p["results"]) for p in pages] == [2, 2, 1] and pages[0]["count"] == 5
    assert [t["id"] for t in rows] == sorted(t.pk for t in made)
    _pages, by_day = every_page(officer_client, f"{API}/tasks", {"limit": 2, "sort": "day"})
    assert [t["day"] for t in by_day] == sorted(t["day"] for t in by_day)
    csv_rows = exported(officer_client.get(f"{API}/tasks", {"format": "csv"}))
    assert len(csv_rows) == 5 and csv_rows[0]["person_id"] == str(quarantine.person_id)
    # A task names its resident by id only: no read of personal data to audit.
    assert not AuditEntry.objects.filter(action__in=["read", "export"]).exists()


# --- OpenAPI ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("path", "item"),
    [
        ("/api/v1/health/follow-ups", "FollowUpOut"),
        ("/api/v1/health/declarations/flagged", "FlaggedDeclarationOut"),
        ("/api/v1/health/tasks", "TaskOut"),
    ],
)
def test_openapi_documents_the_paged_lists(client, path, item):
    spec = client.get("/api/v1/openapi.json").json()
    operation = spec["paths"][path]["get"]
    assert {"limit", "offset", "format"} <= {p["name"] for p in operation["parameters"]}
    page = operation["responses"]["200"]["content"]["application/json"]["schema"]["$ref"].rsplit("/", 1)[-1]
    properties = spec["components"]["schemas"][page]["properties"]
    assert set(properties) == {"count", "next", "previous", "results"}
    assert properties["results"]["items"]["$ref"].endswith(f"/{item}")
