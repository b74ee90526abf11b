"""The health officers' list of stored reports: filtered by district, hospital and dates,
searched, sorted, paged and exported as CSV; each bad filter value is named."""

from __future__ import annotations

import csv
import datetime
import io

import pytest

from cityos.core.accounts.models import Role
from cityos.epi.models import LabResult
from cityos.epi.tests.factories import daily_cases, district, hospital, hospital_days

pytestmark = pytest.mark.django_db
START = datetime.date(2026, 3, 1)
URL = "/epi/manage/reports/"


@pytest.fixture
def stored():
    north, south = district("north"), district("south")
    daily_cases(north, START, [1, 2, 3, 4, 5])
    daily_cases(south, START, [10, 20, 30])
    LabResult.objects.create(district=north, date=START, tests=40, positives=4)
    general, harbour = hospital("General Hospital"), hospital("Harbour Clinic")
    general.district = north
    general.save()
    hospital_days(general, START, [40, 41], total=100)
    hospital_days(harbour, START, [7], total=20)
    return {"north": north, "south": south, "general": general, "harbour": harbour}


@pytest.fixture
def officer(staff_client):
    return staff_client(Role.HEALTH_OFFICER)[1]


def _csv(response) -> list[list[str]]:
    return list(csv.reader(io.StringIO(response.content.decode())))


def test_only_health_officers_and_administrators_see_the_list(client, resident, staff_client, stored):
    assert client.get(URL).status_code in {302, 403}
    _, other_staff = staff_client(Role.OPERATOR)
    assert other_staff.get(URL).status_code == 403
    _, admin = staff_client(Role.ADMINISTRATOR)
    assert admin.get(URL).status_code == 200


def test_case_counts_are_listed_newest_first_by_default(officer, stored):
    response = officer.get(URL)
    page = response.content.decode()
    assert response.status_code == 200
    assert "8 reports" in page
    assert page.index("2026-03-05") < page.index("2026-03-01")


def test_filters_by_district_and_dates_and_searches(officer, stored):
    page = officer.get(URL, {"district": "north", "date_from": "2026-03-02", "date_to": "2026-03-03"})
    assert "2 reports" in page.content.decode()
    page = officer.get(URL, {"q": "sou"})
    assert "3 reports" in page.content.decode()


def test_sorts_by_a_column_either_way(officer, stored):
    rows = _csv(officer.get(URL, {"sort": "local", "export": "csv"}))
    assert [r[2] for r in rows[1:]] == ["1", "2", "3", "4", "5", "10", "20", "30"]
    rows = _csv(officer.get(URL, {"sort": "-local", "export": "csv"}))
    assert rows[1][2] == "30"


def test_exports_every_matching_row_with_the_import_columns(officer, stored):
    response = officer.get(URL, {"kind": "cases", "district": "south", "export": "csv"})
    assert response["Content-Type"].startswith("text/csv")
    assert "epi-cases-reports.csv" in response["Content-Disposition"]
    rows = _csv(response)
    assert rows[0] == ["district", "date", "local", "imported"]
    assert rows[1:] == [
        ["south", "2026-03-03", "30", "0"],
        ["south", "2026-03-02", "20", "0"],
        ["south", "2026-03-01", "10", "0"],
    ]


def test_lab_results_and_hospital_reports_are_listed_too(officer, stored):
    rows = _csv(officer.get(URL, {"kind": "lab", "export": "csv"}))
    assert rows == [["district", "date", "tests", "positives"], ["north", "2026-03-01", "40", "4"]]
    general = stored["general"]
    rows = _csv(officer.get(URL, {"kind": "hospital", "hospital": general.pk, "export": "csv", "sort": "date"}))
    assert rows[0][:4] == ["hospital", "date", "beds_total", "beds_occupied"]
    assert [r[:4] for r in rows[1:]] == [
        [str(general.pk), "2026-03-01", "100", "40"],
        [str(general.pk), "2026-03-02", "100", "41"],
    ]
    # A hospital is in a district: the district filter finds its reports.
    rows = _csv(officer.get(URL, {"kind": "hospital", "district": "north", "export": "csv"}))
    assert len(rows) == 3
    page = officer.get(URL, {"kind": "hospital", "q": "harbour"}).content.decode()
    assert "Harbour Clinic" in page and "1 report" in page


def test_the_list_is_paged(officer, stored):
    daily_cases(district("east"), datetime.date(2025, 1, 1), [1] * 60)
    first = officer.get(URL).content.decode()
    assert "Page 1 of 2" in first and "page=2" in first
    second = officer.get(URL, {"page": "2"}).content.decode()
    assert "Page 2 of 2" in second


@pytest.mark.parametrize(
    ("params", "field", "message"),
    [
        ({"kind": "people"}, "kind", "Choose a report kind from the list."),
        ({"district": "atlantis"}, "district", "Choose a district from the list."),
        ({"kind": "hospital", "hospital": "999999"}, "hospital", "Choose a hospital from the list."),
        ({"hospital": "x"}, "hospital", "Choose a hospital from the list."),
        ({"date_from": "2026-13-01"}, "date_from", "Enter a valid date"),
        ({"date_to": "yesterday"}, "date_to", "Enter a valid date"),
        ({"date_from": "2026-03-05", "date_to": "2026-03-01"}, "date_to", "is before the start date 2026-03-05"),
        ({"sort": "name"}, "sort", "Choose a sort order from the list."),
        ({"kind": "hospital", "sort": "local"}, "sort", "cannot be sorted by “local”"),
        ({"q": "x" * 101}, "q", "at most 100 characters"),
    ],
)
def test_each_bad_filter_value_is_named(officer, stored, params, field, message):
    response = officer.get(URL, params)
    page = response.content.decode()
    assert response.status_code == 400
    assert message in page
    assert f'href="#id_{field}"' in page  # the error summary links to the field


def test_a_bad_choice_is_named_in_the_readers_language_not_in_djangos_generic_words(officer, stored):
    for params in ({"kind": "people"}, {"district": "atlantis"}, {"hospital": "x"}, {"sort": "name"}):
        assert "Select a valid choice" not in officer.get(URL, params).content.decode()
    page = officer.get(URL, {"district": "atlantis"}, HTTP_ACCEPT_LANGUAGE="es").content.decode()
    assert "Elige un distrito de la lista." in page


def test_filtering_by_hospital_needs_hospital_reports(officer, stored):
    response = officer.get(URL, {"kind": "cases", "hospital": stored["general"].pk})
    assert response.status_code == 400
    assert "Only hospital reports can be filtered by hospital" in response.content.decode()


def test_an_export_with_bad_filters_is_refused_too(officer, stored):
    response = officer.get(URL, {"district": "atlantis", "export": "csv"})
    assert response.status_code == 400
    assert not response["Content-Type"].startswith("text/csv")
