"""Daily reports: each bad value refused naming the field and why, health officers only,
a report for a day replaces the earlier one, events on commit; record_case for the health module."""

from __future__ import annotations

import datetime

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from cityos.core.accounts.models import Role
from cityos.core.accounts.tests.factories import StaffFactory
from cityos.core.registry import registry
from cityos.epi import services
from cityos.epi.models import CaseCount, HospitalReport, LabResult
from cityos.epi.tests.factories import district, hospital

pytestmark = pytest.mark.django_db
DAY = datetime.date(2026, 3, 1)


@pytest.fixture
def officer():
    return StaffFactory(roles=[Role.HEALTH_OFFICER])


def errors_of(kind, data):
    with pytest.raises(ValidationError) as caught:
        services.clean_report(kind, data)
    return {name: " ".join(messages) for name, messages in caught.value.message_dict.items()}


def hospital_data(place, **changes):
    data = {
        "hospital": place.pk,
        "date": "2026-03-01",
        "beds_total": 100,
        "beds_occupied": 80,
        "icu_total": 10,
        "icu_occupied": 5,
        "ventilators_total": 8,
        "ventilators_occupied": 2,
    }
    return {**data, **changes}


def test_a_health_officer_reports_cases_and_a_later_report_of_the_day_replaces_it(officer):
    old_town = district("old-town")
    services.save_report("cases", {"district": "old-town", "date": DAY, "local": 4, "imported": 1}, by=officer)
    services.save_report("cases", {"district": "old-town", "date": "2026-03-01", "local": 6}, by=officer)

    count = CaseCount.objects.get(district=old_town, date=DAY)
    assert (count.local, count.imported) == (6, 0)


@pytest.mark.parametrize("roles", [[Role.OPERATOR], [Role.CASEWORKER]])
def test_other_staff_may_not_enter_epidemic_data(roles):
    district("old-town")
    with pytest.raises(PermissionDenied):
        services.save_report("cases", {"district": "old-town", "date": DAY, "local": 1}, by=StaffFactory(roles=roles))
    assert not CaseCount.objects.exists()


def test_administrators_pass():
    district("old-town")
    services.save_report(
        "lab",
        {"district": "old-town", "date": DAY, "tests": 10, "positives": 1},
        by=StaffFactory(roles=[Role.ADMINISTRATOR]),
    )
    assert LabResult.objects.get().tests == 10


def test_saving_publishes_an_event_after_commit(officer, django_capture_on_commit_callbacks, monkeypatch):
    district("old-town")
    seen = []
    monkeypatch.setattr(registry, "subscriptions", [])
    registry.subscribe("epi.data_changed", lambda event: seen.append(event), durable=False)
    with django_capture_on_commit_callbacks(execute=True):
        services.save_report("cases", {"district": "old-town", "date": DAY, "local": 2}, by=officer)
    assert [(e.kind, e.rows) for e in seen] == [("cases", 1)]


@pytest.mark.parametrize(
    ("field", "value", "says"),
    [
        ("local", -1, "cannot be negative"),
        ("local", "2.5", "not a whole number"),
        ("local", 1.5, "not a whole number"),
        ("local", True, "not a whole number"),
        ("imported", 10**8, "outside 0 to"),
        ("date", "01/03/2026", "YYYY-MM-DD"),
        ("date", "1999-12-31", "check the year"),
        ("district", "atlantis", "no district with the code “atlantis”"),
        ("district", "", "Give the district's code"),
    ],
)
def test_bad_case_counts_are_refused_naming_the_field(field, value, says):
    district("old-town")
    errors = errors_of("cases", {"district": "old-town", "date": "2026-03-01", "local": 1, field: value})
    assert says in errors[field]


def test_a_day_in_the_future_is_refused():
    district("old-town")
    tomorrow = timezone.localdate() + datetime.timedelta(days=1)
    errors = errors_of("cases", {"district": "old-town", "date": tomorrow, "local": 1})
    assert "in the future" in errors["date"]


def test_more_positives_than_tests_is_refused():
    district("old-town")
    errors = errors_of("lab", {"district": "old-town", "date": DAY, "tests": 10, "positives": 12})
    assert errors == {"positives": "12 positive tests is more than the 10 tests done; positives cannot exceed tests."}


def test_lab_results_need_both_numbers():
    district("old-town")
    errors = errors_of("lab", {"district": "old-town", "date": DAY, "tests": 10})
    assert "Give the number" in errors["positives"]


@pytest.mark.parametrize("resource", ["beds", "icu", "ventilators"])
def test_more_occupied_than_total_is_refused_naming_the_value_and_why(resource):
    place = hospital()
    total = {"beds": 100, "icu": 10, "ventilators": 8}[resource]
    errors = errors_of("hospital", hospital_data(place, **{f"{resource}_occupied": total + 1}))
    assert errors == {
        f"{resource}_occupied": f"{total + 1} occupied is more than the {total} the hospital has "
        f"({resource}_total); occupied cannot exceed the total."
    }


def test_a_report_must_name_a_hospital():
    clinic = hospital()
    clinic.kind = "clinic"
    clinic.save()
    errors = errors_of("hospital", hospital_data(clinic))
    assert "no hospital with the id" in errors["hospital"]


def test_a_hospital_report_is_saved(officer):
    place = hospital()
    services.save_report("hospital", hospital_data(place), by=officer)
    assert HospitalReport.objects.get().beds_occupied == 80


def test_record_case_counts_one_case_for_the_health_module():
    old_town = district("old-town")
    services.record_case("old-town", DAY)
    services.record_case("old-town", DAY)
    count = services.record_case("old-town", DAY, imported=True)
    assert (count.local, count.imported) == (2, 1)
    assert CaseCount.objects.filter(district=old_town).count() == 1


def test_record_case_refuses_an_unknown_district():
    with pytest.raises(ValidationError) as caught:
        services.record_case("atlantis", DAY)
    assert "atlantis" in str(caught.value.message_dict["district"])
