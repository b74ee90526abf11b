"""The public dashboard (reads the hourly snapshot, small counts hidden, CSV per chart), the
health officers' data entry and import pages, and the operations-centre tile."""

from __future__ import annotations

import datetime

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from cityos.conftest import verified_client
from cityos.core.accounts.models import Role
from cityos.core.accounts.tests.factories import StaffFactory
from cityos.core.geo.models import PlaceKind
from cityos.core.geo.tests.factories import PlaceFactory
from cityos.core.registry import registry
from cityos.epi import refresh
from cityos.epi.models import CaseCount, HospitalReport
from cityos.epi.tests.factories import daily_cases, district, hospital, hospital_days

pytestmark = pytest.mark.django_db
START = datetime.date(2026, 1, 1)


@pytest.fixture
def refreshed():
    big, small = district("big", 200_000), district("small", 3_000)
    daily_cases(big, START, [20 + i for i in range(60)])
    daily_cases(small, START, [0] * 58 + [3, 0])
    hospital_days(hospital(), START, [40 + i // 3 for i in range(60)], total=100)
    PlaceFactory(kind=PlaceKind.TESTING_SITE, name="Harbour testing tent")
    return refresh.refresh_dashboard(START + datetime.timedelta(days=59), seed=1)


def test_the_dashboard_before_the_first_update_says_so(client):
    response = client.get("/epi/")
    assert response.status_code == 200
    assert "No figures yet" in response.content.decode()


def test_the_dashboard_shows_figures_charts_and_sites(client, refreshed):
    response = client.get("/epi/")
    page = response.content.decode()
    assert response.status_code == 200
    assert page.count('role="img"') == 6  # cases, forecast, Rt, tests, hospital, district map
    assert page.count("<title id=") == 6 and page.count("<desc id=") == 6
    # Every line chart can be read as a table (the map has the district table).
    assert page.count("Show as a table") == 5 and "<caption>Hospital beds occupied</caption>" in page
    assert f"Rt</dt><dd>{refreshed.data['rt']['mean']:.2f}" in page.replace("Reproduction number ", "")
    assert "Harbour testing tent" in page
    assert "/api/v1/epi/risk" in page  # the map's district layer is the risk layer
    assert 'data-layers="districts,places"' in page
    # The small district has too few cases for Rt: said so, never "None (None-None)".
    assert "None" not in page and "too few cases for an estimate" in page


def test_the_dashboard_is_listed_in_the_portal_nav():
    assert registry.nav["portal:epi"].url_name == "epi:dashboard"


def test_the_dashboard_speaks_spanish(client, refreshed):
    page = client.get("/epi/", HTTP_ACCEPT_LANGUAGE="es").content.decode()
    assert 'lang="es"' in page


def test_small_counts_never_reach_the_page_or_the_csv(client, refreshed):
    page = client.get("/epi/").content.decode()
    assert "&lt;5" in page  # the small district's week
    rows = client.get("/epi/data/districts.csv").content.decode().splitlines()
    assert rows[0] == "code,name,population,cases_7d,incidence,trend,rt,rt_lower,rt_upper,risk"
    small = next(r for r in rows if r.startswith("small,"))
    assert small.split(",")[3:5] == ["", ""]
    cases = client.get("/epi/data/cases.csv").content.decode().splitlines()
    assert all(
        not line.split(",")[1] or int(line.split(",")[1]) == 0 or int(line.split(",")[1]) >= 5 for line in cases[1:]
    )


@pytest.mark.parametrize(
    "name", ["cases", "tests", "rt", "forecast", "hospital", "hospital-forecast", "districts", "accuracy"]
)
def test_every_chart_downloads_as_csv(client, refreshed, name):
    response = client.get(f"/epi/data/{name}.csv")
    assert response.status_code == 200 and response["Content-Type"].startswith("text/csv")
    assert len(response.content.decode().splitlines()) >= 2


def test_an_unknown_download_is_not_found(client):
    assert client.get("/epi/data/people.csv").status_code == 404


def test_data_entry_is_for_health_officers(client, staff_client):
    assert client.get("/epi/manage/").status_code == 302
    _user, operator = staff_client(Role.OPERATOR)
    assert operator.get("/epi/manage/").status_code == 403
    _user, officer = staff_client(Role.HEALTH_OFFICER)
    assert officer.get("/epi/manage/").status_code == 200


def test_a_health_officer_enters_a_hospital_report_and_sees_what_to_fix(staff_client):
    place = hospital()
    _user, officer = staff_client(Role.HEALTH_OFFICER)
    form = {
        "kind": "hospital",
        "hospital-hospital": place.pk,
        "hospital-date": "2026-03-01",
        "hospital-beds_total": 100,
        "hospital-beds_occupied": 120,
        "hospital-icu_total": 10,
        "hospital-icu_occupied": 2,
        "hospital-ventilators_total": 5,
        "hospital-ventilators_occupied": 1,
    }
    refused = officer.post("/epi/manage/", form)
    assert refused.status_code == 200
    assert "120 occupied is more than the 100 the hospital has" in refused.content.decode()
    assert not HospitalReport.objects.exists()

    saved = officer.post("/epi/manage/", {**form, "hospital-beds_occupied": 90})
    assert saved.status_code == 302 and HospitalReport.objects.get().beds_occupied == 90


def test_a_health_officer_enters_cases_by_form(staff_client):
    district("old-town")
    _user, officer = staff_client(Role.HEALTH_OFFICER)
    response = officer.post(
        "/epi/manage/",
        {
            "kind": "cases",
            "cases-district": "old-town",
            "cases-date": "2026-03-01",
            "cases-local": 3,
            "cases-imported": 0,
        },
    )
    assert response.status_code == 302 and CaseCount.objects.get().local == 3


def test_a_report_for_no_district_or_hospital_says_to_choose_one_from_the_list(staff_client):
    _user, officer = staff_client(Role.HEALTH_OFFICER)
    cases = officer.post(
        "/epi/manage/", {"kind": "cases", "cases-district": "atlantis", "cases-date": "2026-03-01", "cases-local": 3}
    ).content.decode()
    hospital_report = officer.post("/epi/manage/", {"kind": "hospital", "hospital-hospital": "x"}).content.decode()
    upload = officer.post("/epi/manage/import/", {"kind": "people"}).content.decode()
    assert "Choose a district from the list." in cases
    assert "Choose a hospital from the list." in hospital_report
    assert "Choose from the list what the file holds." in upload
    assert not any("Select a valid choice" in page for page in (cases, hospital_report, upload))


def test_a_csv_upload_shows_the_report_row_by_row(staff_client):
    district("old-town")
    _user, officer = staff_client(Role.HEALTH_OFFICER)
    upload = SimpleUploadedFile(
        "cases.csv", b"district,date,local,imported\nold-town,2026-03-01,4,1\nnowhere,2026-03-01,1,0\n"
    )
    response = officer.post("/epi/manage/import/", {"kind": "cases", "file": upload})
    page = response.content.decode()
    assert "nothing was saved" in page and "There is no district with the code “nowhere”" in page
    assert not CaseCount.objects.exists()


def test_the_tile_shows_city_rt_and_the_highest_risk_districts(refreshed, staff_client):
    assert registry.tiles["epi"].url_name == "epi:tile"
    _user, operator = staff_client(Role.OPERATOR)
    page = operator.get("/epi/tile/").content.decode()
    assert f"{refreshed.data['rt']['mean']:.2f}" in page and "Big" in page
    assert "None" not in page  # a district without an estimate shows none


def test_the_tile_is_for_staff(client, resident):
    assert client.get("/epi/tile/").status_code == 302
    assert verified_client(StaffFactory(is_staff=False)).get("/epi/tile/").status_code == 403


def test_a_page_view_reads_the_cache_and_a_refresh_clears_it(
    client, refreshed, django_assert_num_queries, django_capture_on_commit_callbacks
):
    client.get("/epi/")
    with django_assert_num_queries(0):
        assert client.get("/epi/").status_code == 200
    CaseCount.objects.filter(district__code="big").update(local=1000)
    with django_capture_on_commit_callbacks(execute=True):
        refresh.refresh_dashboard(START + datetime.timedelta(days=59), seed=1)
    assert "7000" in client.get("/epi/").content.decode()
