"""The officers' lists of the health API page like every list: ``limit``/``offset`` in,
``{count, next, previous, results}`` out, ``format=csv`` for all of it. None stops short (they
used to stop at 1,000 rows), pages neither repeat nor skip a row, and each page or export is
audited once per kind of record it shows, with the officer's reason, from the rows it shows:
the list's query runs once."""

from __future__ import annotations

import csv
import io
from typing import Any, cast

import pytest
from django.db import connection
from django.db.models import QuerySet
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from cityos.core.accounts.models import User
from cityos.core.accounts.tests.factories import ResidentFactory
from cityos.core.api.tests.paging import BAD_PAGING, assert_bad_paging_refused, documented_page, every_page
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


def resident(**fields: Any) -> User:
    return cast(User, ResidentFactory(**fields))


def entries(object_type: str, action: str = "read") -> QuerySet[AuditEntry]:
    return AuditEntry.objects.filter(object_type=object_type, action=action)


def exported(response: Any) -> list[dict[str, str]]:
    assert response.status_code == 200, response.content
    assert response["Content-Type"].startswith("text/csv")
    return list(csv.DictReader(io.StringIO(b"".join(response.streaming_content).decode())))


def selects_from(captured: CaptureQueriesContext, table: str) -> list[str]:
    """The SELECTs among ``captured`` that read ``table`` itself (not a join into it)."""
    return [
        q["sql"] for q in captured.captured_queries if q["sql"].startswith("SELECT") and f'FROM "{table}"' in q["sql"]
    ]


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


def test_each_page_of_follow_ups_names_only_the_follow_ups_and_contacts_it_shows(officer_client, case):
    made = contacts_due_today(case, ["Ana", "Bo", "Chen"])
    pages = [
        officer_client.get(f"{API}/follow-ups", {"reason": REASON, "limit": 2, "offset": offset}).json()["results"]
        for offset in (0, 2)
    ]
    follow_ups = [e.changes["ids"] for e in entries("health.FollowUp").order_by("pk")]
    assert follow_ups == [[str(f["id"]) for f in page] for page in pages]
    contacts = [e.changes["ids"] for e in entries("health.Contact").order_by("pk")]
    assert contacts == [[str(c.pk) for c in made[:2]], [str(made[2].pk)]]


def test_a_page_of_follow_ups_runs_the_list_query_once_and_writes_one_entry_per_kind(officer_client, case):
    contacts_due_today(case, ["Ana", "Bo", "Chen"])
    with CaptureQueriesContext(connection) as captured:
        officer_client.get(f"{API}/follow-ups", {"reason": REASON, "limit": 2})
    # The count and the page: the contacts audited are read off the page's rows.
    assert len(selects_from(captured, "health_followup")) == 2
    inserts = [q["sql"] for q in captured.captured_queries if 'INSERT INTO "audit_auditentry"' in q["sql"]]
    assert len(inserts) == 2 and AuditEntry.objects.filter(action="read").count() == 2


def test_follow_ups_export_every_row_as_csv_audited_as_one_export(officer_client, case):
    made = contacts_due_today(case, ["Ana", "Bo", "Chen"])
    other_day = Contact.objects.create(case=case, name="Dev", relationship="work", last_exposure=days_ago(1))
    FollowUp.objects.create(contact=other_day, day=days_ago(-1))  # tomorrow's: not exported today
    with CaptureQueriesContext(connection) as captured:
        response = officer_client.get(f"{API}/follow-ups", {"reason": REASON, "format": "csv", "limit": 1})
        rows = exported(response)
    assert [r["contact_name"] for r in rows] == ["Ana", "Bo", "Chen"] and rows[0]["case_ref"] == case.ref
    follow_ups = entries("health.FollowUp", "export").get()
    assert follow_ups.changes["ids"] == [r["id"] for r in rows] and follow_ups.reason == REASON
    contacts = entries("health.Contact", "export").get()
    assert contacts.changes["ids"] == [str(c.pk) for c in made] and contacts.reason == REASON
    assert not entries("health.FollowUp").exists() and not entries("health.Contact").exists()
    # One run of the list's query: the contacts audited are the exported rows' own.
    assert len(selects_from(captured, "health_followup")) == 1


def test_an_empty_day_is_an_empty_page_and_no_read(officer_client):
    body = officer_client.get(f"{API}/follow-ups", {"reason": REASON, "day": days_ago(30).isoformat()}).json()
    assert body == {"count": 0, "next": None, "previous": None, "results": []}
    assert not AuditEntry.objects.filter(action="read").exists()


@pytest.mark.parametrize("url", ["/follow-ups", "/declarations/flagged", "/tasks"])
@pytest.mark.parametrize(("query", "code"), BAD_PAGING)
def test_a_bad_limit_or_offset_is_a_422_naming_it(officer_client, url, query, code):
    assert_bad_paging_refused(officer_client.get(f"{API}{url}", {"reason": REASON, **query}), query, code)
    assert not AuditEntry.objects.filter(action="read").exists()


@pytest.mark.parametrize("url", ["/follow-ups", "/declarations/flagged", "/tasks"])
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
    flag(resident(), 20)  # older than 14 days: neither exported nor audited
    with CaptureQueriesContext(connection) as captured:
        rows = exported(officer_client.get(f"{API}/declarations/flagged", {"reason": REASON, "format": "csv"}))
    assert [(r["person_name"], r["case_refs"]) for r in rows] == [("Mei Chen", case.ref)] * 2
    assert entries("health.Declaration", "export").get().changes["ids"] == [r["id"] for r in rows]
    assert entries("accounts.User", "export").get().changes["ids"] == [str(mei.pk)]
    assert len(selects_from(captured, "health_declaration")) == 1


# --- tasks ------------------------------------------------------------------------------------


@pytest.fixture
def quarantine(officer: User, person: User) -> Quarantine:
    return services.start_quarantine(officer, person, start_date=days_ago(5), home_lat=40.7, home_lon=-73.9)


def test_open_tasks_page_newest_first_ties_by_id_and_export_as_csv(officer_client, quarantine):
    made = HealthTask.objects.bulk_create(
        HealthTask(quarantine=quarantine, kind=TaskKind.MISSED_CHECK_IN, day=days_ago(n)) for n in range(1, 6)
    )
    HealthTask.objects.update(created_at=timezone.now())  # all made at once: the order is by id
    pages, rows = every_page(officer_client, f"{API}/tasks", {"reason": REASON, "limit": 2})
    assert [len(p["results"]) for p in pages] == [2, 2, 1] and pages[0]["count"] == 5
    assert [t["id"] for t in rows] == sorted(t.pk for t in made)
    _pages, by_day = every_page(officer_client, f"{API}/tasks", {"reason": REASON, "limit": 2, "sort": "day"})
    assert [t["day"] for t in by_day] == sorted(t["day"] for t in by_day)
    csv_rows = exported(officer_client.get(f"{API}/tasks", {"reason": REASON, "format": "csv"}))
    assert len(csv_rows) == 5 and csv_rows[0]["person_id"] == str(quarantine.person_id)


def test_open_tasks_are_a_read_of_who_is_in_quarantine_audited_with_the_reason(officer_client, officer, quarantine):
    # Who missed a check-in tells who is in quarantine: each page or export names the quarantines
    # its tasks show, as the quarantine page does; the task holds no personal data of its own.
    other = services.start_quarantine(officer, resident(), start_date=days_ago(5), home_lat=40.7, home_lon=-73.9)
    for q, days in ((quarantine, 1), (quarantine, 2), (other, 1)):
        HealthTask.objects.create(quarantine=q, kind=TaskKind.MISSED_CHECK_IN, day=days_ago(days))
    HealthTask.objects.update(created_at=timezone.now())  # the order is by id
    first = officer_client.get(f"{API}/tasks", {"reason": REASON, "limit": 2}).json()
    assert {t["person_id"] for t in first["results"]} == {quarantine.person_id}
    [read] = entries("health.Quarantine")
    assert read.changes["ids"] == [str(quarantine.pk)] and read.fields == ["person"]
    assert read.reason == REASON and read.channel == "api"
    assert not entries("health.HealthTask").exists()
    officer_client.get(f"{API}/tasks", {"reason": REASON, "limit": 2, "offset": 2})
    assert entries("health.Quarantine").order_by("-pk")[0].changes["ids"] == [str(other.pk)]
    with CaptureQueriesContext(connection) as captured:
        exported(officer_client.get(f"{API}/tasks", {"reason": REASON, "format": "csv"}))
    export = entries("health.Quarantine", "export").get()
    assert export.changes["ids"] == [str(quarantine.pk), str(other.pk)] and export.reason == REASON
    assert len(selects_from(captured, "health_healthtask")) == 1


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
    parameters, page, item_schema = documented_page(client, path)
    assert {"reason", "limit", "offset", "format"} <= parameters
    assert page == {"count", "next", "previous", "results"} and item_schema == item
