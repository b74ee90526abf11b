"""CSV imports: a report row by row; one refused row saves nothing of the file."""

from __future__ import annotations

import pytest
from django.core.exceptions import PermissionDenied

from cityos.core.accounts.models import Role
from cityos.core.accounts.tests.factories import StaffFactory
from cityos.epi import services
from cityos.epi.models import CaseCount, HospitalReport
from cityos.epi.tests.factories import district, hospital

pytestmark = pytest.mark.django_db


@pytest.fixture
def officer():
    return StaffFactory(roles=[Role.HEALTH_OFFICER])


def test_a_good_file_is_saved_with_a_report_per_row(officer):
    district("old-town")
    district("harbour")
    CaseCount.objects.create(district=district("hill"), date="2026-03-01", local=1)
    text = "district,date,local,imported\nold-town,2026-03-01,4,1\nharbour,2026-03-01,7,0\nhill,2026-03-01,3,0\n"

    report = services.import_csv("cases", text.encode(), by=officer)

    assert report.saved and report.ok
    assert [(i.key, i.action) for i in report.items] == [
        ("old-town", "create"),
        ("harbour", "create"),
        ("hill", "update"),
    ]
    assert CaseCount.objects.filter(district__code="hill").get().local == 3
    assert report.summary() == "Saved: 2 new, 1 changed, 0 unchanged."


def test_text_from_a_csv_utf8_file_with_a_capitalised_header_is_read(officer):
    district("harbour")
    text = "\ufeffDistrict, Date ,Local\nharbour,2026-03-01,7\n"  # Excel's "CSV UTF-8", pasted

    report = services.import_csv("cases", text, by=officer)

    assert report.saved and report.ok, report.file_errors
    assert CaseCount.objects.get(district__code="harbour").local == 7


def test_one_refused_row_saves_nothing_and_says_why(officer):
    district("old-town")
    text = "district,date,local,imported\nold-town,2026-03-01,4,1\natlantis,2026-03-01,2,0\nold-town,2026-03-02,-3,0\n"

    report = services.import_csv("cases", text, by=officer)

    assert not report.saved and not report.ok
    assert not CaseCount.objects.exists()
    refused = {i.number: i.errors for i in report.rejected}
    assert refused == {
        2: ["district: There is no district with the code “atlantis”."],
        3: ["local: -3 is outside 0 to 10000000; a count cannot be negative."],
    }
    assert report.summary().startswith("2 items were refused, so nothing was saved")


def test_a_hospital_file_with_more_occupied_than_beds_is_refused(officer):
    place = hospital()
    header = "hospital,date,beds_total,beds_occupied,icu_total,icu_occupied,ventilators_total,ventilators_occupied\n"
    text = header + f"{place.pk},2026-03-01,100,120,10,2,5,1\n"

    report = services.import_csv("hospital", text, by=officer)

    assert not report.saved and not HospitalReport.objects.exists()
    assert report.items[0].errors == [
        "beds_occupied: 120 occupied is more than the 100 the hospital has (beds_total); "
        "occupied cannot exceed the total."
    ]


def test_the_same_day_twice_in_a_file_is_refused(officer):
    district("old-town")
    text = "district,date,local\nold-town,2026-03-01,4\nold-town,2026-03-01,5\n"
    report = services.import_csv("cases", text, by=officer)
    assert report.items[1].errors == ["This place and day are already in row 1; give each day once."]


def test_a_dry_run_checks_and_saves_nothing(officer):
    district("old-town")
    report = services.import_csv(
        "lab", "district,date,tests,positives\nold-town,2026-03-01,10,2\n", by=officer, dry_run=True
    )
    assert report.ok and not report.saved
    assert report.summary() == "Checked, nothing saved (dry run): 1 new, 0 changed, 0 unchanged."


@pytest.mark.parametrize(
    ("source", "says"),
    [
        (b"\xff\xfe\x00", "not UTF-8"),
        ("district,date\nold-town,2026-03-01\n", "lacks the column(s): tests, positives"),
        ("district,date,tests,positives\n", "has no rows"),
    ],
)
def test_a_file_that_cannot_be_read_is_refused_whole(officer, source, says):
    report = services.import_csv("lab", source, by=officer)
    assert says in " ".join(report.file_errors) and not report.saved


def test_only_health_officers_import():
    with pytest.raises(PermissionDenied):
        services.import_csv("cases", "district,date,local\n", by=StaffFactory(roles=[Role.OPERATOR]))


def test_a_file_that_is_not_valid_csv_is_refused_and_nothing_is_saved(officer):
    from cityos.epi import services
    from cityos.epi.models import HospitalReport

    # One field longer than the csv module accepts (its field_size_limit) makes the file unreadable.
    header = "hospital,date,beds_total,beds_occupied,icu_total,icu_occupied,ventilators_total,ventilators_occupied\n"
    broken = header + '"' + "x" * 200_000 + '",2026-11-20,10,1,1,1,1,1\n'
    report = services.import_csv("hospital", broken, by=officer)
    assert not report.ok
    assert any("not valid CSV" in problem for problem in report.file_errors)
    assert not HospitalReport.objects.exists()
