"""The staff lists: filter, search, sort (headers as links with aria-sort), pages, and a CSV
export of each, audited as an export with the list's reason. Bad sort and filter values fall
back to the whole list in its default order."""

from __future__ import annotations

import pytest
from django.utils import timezone

from cityos.core.accounts.models import Role
from cityos.core.audit.models import AuditAction, AuditEntry
from cityos.health import selectors, services
from cityos.health.models import Case, Declaration, HealthTask, Quarantine, TaskKind
from cityos.health.tests.conftest import at, days_ago

pytestmark = pytest.mark.django_db

LISTS = {
    # list page: its exports
    "/health/cases/": ["/health/cases/export.csv"],
    "/health/contacts/": ["/health/contacts/export.csv"],
    "/health/follow-ups/": ["/health/follow-ups/export.csv"],
    "/health/declarations/": ["/health/declarations/export.csv"],
    "/health/quarantines/": ["/health/quarantines/export.csv", "/health/tasks/export.csv"],
}
EXPORTS = [export for exports in LISTS.values() for export in exports]


@pytest.fixture
def three_cases(officer):
    made = [
        services.record_case(officer, name=name, onset_date=days_ago(onset))
        for name, onset in (("Bea Lin", 2), ("Ann Wu", 5), ("Cai Ho", 1))
    ]
    services.confirm_case(officer, made[2])
    return made


@pytest.mark.parametrize("role", [Role.CASEWORKER, Role.OPERATOR, Role.DATA_PUBLISHER])
def test_other_staff_can_neither_list_nor_export(staff_client, role):
    _user, client = staff_client(role)
    for url in [*LISTS, *EXPORTS]:
        assert client.get(url).status_code == 403, url


def test_residents_can_neither_list_nor_export(client, resident):
    client.force_login(resident)
    for url in [*LISTS, *EXPORTS]:
        assert client.get(url).status_code == 403, url


def test_every_export_needs_the_lists_reason_first(officer_client):
    for page, exports in LISTS.items():
        for export in exports:
            response = officer_client.get(export)
            assert response.status_code == 302 and response["Location"] == page, export


def test_the_case_list_sorts_by_a_column_both_ways_and_marks_it(reasoned, three_cases):
    client = reasoned("/health/cases/")
    page = client.get("/health/cases/", {"sort": "name"}).content.decode()
    assert page.index("Ann Wu") < page.index("Bea Lin") < page.index("Cai Ho")
    assert 'aria-sort="ascending"' in page and "?sort=-name" in page  # a second click reverses

    page = client.get("/health/cases/", {"sort": "-onset"}).content.decode()
    assert page.index("Cai Ho") < page.index("Bea Lin") < page.index("Ann Wu")
    assert 'aria-sort="descending"' in page


def test_an_unknown_sort_or_filter_shows_the_whole_list_newest_first(reasoned, three_cases):
    client = reasoned("/health/cases/")
    response = client.get("/health/cases/", {"sort": "password", "classification": "dead"})
    assert response.status_code == 200
    page = response.content.decode()
    assert page.index("Cai Ho") < page.index("Ann Wu") < page.index("Bea Lin")
    assert 'aria-sort="descending"' in page  # the default column, "recorded"


def test_the_case_list_filters_searches_and_pages(reasoned, officer, three_cases, settings):
    client = reasoned("/health/cases/")
    page = client.get("/health/cases/", {"classification": "confirmed"}).content.decode()
    assert "Cai Ho" in page and "Ann Wu" not in page
    page = client.get("/health/cases/", {"q": "ann"}).content.decode()
    assert "Ann Wu" in page and "Bea Lin" not in page

    for n in range(25):
        services.record_case(officer, name=f"Extra {n:02}")
    first = client.get("/health/cases/", {"sort": "name"}).content.decode()
    assert "Page 1 of 2" in first and "page=2" in first and "sort=name" in first
    second = client.get("/health/cases/", {"sort": "name", "page": "2"}).content.decode()
    assert "Extra 24" in second and "Ann Wu" not in second


def test_the_case_export_keeps_the_sort(reasoned, three_cases):
    client = reasoned("/health/cases/")
    lines = client.get("/health/cases/export.csv", {"sort": "name"}).content.decode().splitlines()
    assert [line.split(",")[1] for line in lines[1:]] == ["Ann Wu", "Bea Lin", "Cai Ho"]


def test_the_contact_list_filters_sorts_and_exports_audited(reasoned, officer, case, contact):
    services.add_contact(officer, case, name="Ana Ruiz", relationship="work", last_exposure=days_ago(1))
    client = reasoned("/health/contacts/")
    page = client.get("/health/contacts/", {"sort": "-name"}).content.decode()
    assert page.index("Luis Pérez") < page.index("Ana Ruiz")
    page = client.get("/health/contacts/", {"relationship": "work"}).content.decode()
    assert "Ana Ruiz" in page and "Luis Pérez" not in page
    assert client.get("/health/contacts/", {"relationship": "enemy"}).content.decode().count("Luis Pérez") == 1

    lines = client.get("/health/contacts/export.csv", {"q": "ana"}).content.decode().splitlines()
    assert lines[0] == "name,contact_details,case,relationship,last_exposure"
    assert lines[1].startswith(f"Ana Ruiz,,{case.ref},work,")
    entry = AuditEntry.objects.get(action=AuditAction.EXPORT, object_type="health.Contact")
    assert entry.reason == "Calling contacts of this case"


def test_follow_ups_list_a_chosen_day_and_refuse_a_bad_one(reasoned, contact):
    client = reasoned("/health/follow-ups/")
    tomorrow = contact.follow_ups.order_by("day").last().day
    page = client.get("/health/follow-ups/", {"day": tomorrow.isoformat()}).content.decode()
    assert "Luis Pérez" in page and f"Follow-ups due on {tomorrow:%Y-%m-%d}" in page

    response = client.get("/health/follow-ups/", {"day": "2026-02-31"})
    assert response.status_code == 200
    assert "The day must be a date like 2026-05-31; showing today." in response.content.decode()

    lines = client.get("/health/follow-ups/export.csv", {"day": tomorrow.isoformat()}).content.decode().splitlines()
    assert lines[0] == "day,contact,contact_details,case,status"
    assert lines[1] == f"{tomorrow},Luis Pérez,,{contact.case.ref},due"
    assert AuditEntry.objects.filter(action=AuditAction.EXPORT, object_type="health.Contact").exists()


def test_flagged_declarations_filter_by_why_and_export_joined_with_cases(reasoned, person, resident, officer):
    for someone, first, last in ((person, "Quinn", "Zhao"), (resident, "Rosa", "Yáñez")):
        someone.first_name, someone.last_name = first, last
        someone.save()
    services.declare(person, symptoms=["breath"])
    services.declare(resident, symptoms=[], contact_with_case=True)
    case = services.record_case(officer, name="Same person", person=person)
    client = reasoned("/health/declarations/")
    page = client.get("/health/declarations/", {"why": "breath"}).content.decode()
    assert "Quinn Zhao" in page and "Rosa Yáñez" not in page
    assert client.get("/health/declarations/", {"why": "boredom", "sort": "x"}).status_code == 200

    lines = client.get("/health/declarations/export.csv", {"why": "breath"}).content.decode().splitlines()
    assert len(lines) == 2 and lines[1].endswith(f"breath,breath,False,False,{case.ref},")
    entry = AuditEntry.objects.get(action=AuditAction.EXPORT, object_type="health.Declaration")
    assert entry.reason == "Calling contacts of this case"


def test_quarantines_and_tasks_sort_and_export_separately(reasoned, officer, person, resident):
    first = services.start_quarantine(officer, person, start_date=days_ago(3), home_lat=40.7, home_lon=-73.9)
    services.start_quarantine(officer, resident, start_date=days_ago(1), home_lat=40.7, home_lon=-73.9)
    HealthTask.objects.create(quarantine=first, day=days_ago(2), kind=TaskKind.MISSED_CHECK_IN)
    HealthTask.objects.create(quarantine=first, day=days_ago(1), kind=TaskKind.OUTSIDE_GEOFENCE)
    client = reasoned("/health/quarantines/")

    page = client.get("/health/quarantines/", {"task_sort": "-day", "sort": "-start"}).content.decode()
    page = page[page.index('id="tasks-heading"') :]
    assert page.count('aria-sort="descending"') == 2
    assert page.index("Checked in away from home") < page.index("Missed quarantine check-in")

    tasks = client.get("/health/tasks/export.csv", {"kind": "missed"}).content.decode().splitlines()
    assert len(tasks) == 2 and tasks[1].startswith(f"{days_ago(2)},") and tasks[1].split(",")[2] == "missed"
    quarantines = client.get("/health/quarantines/export.csv", {"sort": "start"}).content.decode().splitlines()
    assert quarantines[0] == "person,start_date,end_date,checked_in_today" and len(quarantines) == 3
    assert quarantines[1].split(",")[1] == str(first.start_date)
    assert AuditEntry.objects.filter(action=AuditAction.EXPORT, object_type="health.Quarantine").count() == 2

    person.first_name, person.last_name = "Quinn", "Zhao"
    person.save()
    found = client.get("/health/tasks/export.csv", {"q": "zhao"}).content.decode().splitlines()
    assert len(found) == 3 and all("Quinn Zhao" in line for line in found[1:])
    assert len(client.get("/health/tasks/export.csv", {"q": "nobody"}).content.decode().splitlines()) == 1
    assert client.get("/health/quarantines/", {"kind": "party", "task_sort": "-who"}).status_code == 200


def test_a_cell_that_a_spreadsheet_would_run_is_defused(reasoned, officer):
    services.record_case(officer, name="=HYPERLINK(1)")
    client = reasoned("/health/cases/")
    assert ",'=HYPERLINK(1)," in client.get("/health/cases/export.csv").content.decode()


def test_headers_are_links_a_keyboard_reaches(reasoned, three_cases):
    page = reasoned("/health/cases/").get("/health/cases/").content.decode()
    assert '<th scope="col"><a href="?sort=name">Name' in page
    assert Case.objects.count() == 3 and Declaration.objects.count() == 0 and Quarantine.objects.count() == 0


def test_the_case_list_charts_new_cases_per_day_with_the_numbers_as_a_table(reasoned, officer, three_cases):
    old = services.record_case(officer, name="Old case")
    Case.objects.filter(pk=old.pk).update(created_at=at(2))
    page = reasoned("/health/cases/").get("/health/cases/").content.decode()
    assert 'role="img"' in page and "4 cases in all; at most 3 in a day." in page
    table = page[page.index("The numbers as a table") :]
    assert f"<td>{timezone.localdate():%Y-%m-%d}</td><td>3</td>" in table
    assert f"<td>{days_ago(2):%Y-%m-%d}</td><td>1</td>" in table
    assert table.count("<tr><td>") == 28


def test_new_cases_per_day_counts_only_the_window(officer, three_cases):
    Case.objects.filter(pk=three_cases[0].pk).update(created_at=at(28))  # noon, 28 of the city's days ago
    per_day = selectors.new_cases_per_day(28)
    assert len(per_day) == 28 and per_day[-1] == (timezone.localdate(), 2) and sum(n for _d, n in per_day) == 2
