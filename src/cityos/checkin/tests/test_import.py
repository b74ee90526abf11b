"""Many venues at once from the city's business register: all rows or none, a report per row."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from cityos.checkin import services
from cityos.checkin.models import Venue
from cityos.core.accounts.models import Role
from cityos.core.accounts.tests.factories import StaffFactory
from cityos.core.geo.tests.factories import DistrictFactory

pytestmark = pytest.mark.django_db
API = "/api/v1/checkin"
HEADER = "name,kind,address,district,contact_email,contact_phone\n"


@pytest.fixture
def operator():
    DistrictFactory(code="harbour")
    return StaffFactory(roles=[Role.OPERATOR])


def test_every_row_becomes_a_venue_with_its_own_poster_code(operator):
    csv = HEADER + "Harbour Market,shop,1 Quay St,harbour,market@example.org,\nFerry Café,food,,,,+1 415 555 0199\n"
    report = services.import_venues(csv, operator)
    assert report.saved and report.ok
    assert [i.action for i in report.items] == ["create", "create"]
    market = Venue.objects.get(name="Harbour Market")
    assert market.district.code == "harbour" and market.registered_by == operator
    assert Venue.objects.get(name="Ferry Café").contact_phone == "+14155550199"
    assert len({v.short_code for v in Venue.objects.all()}) == 2


def test_a_header_written_with_spaces_after_the_commas_reads_every_column(operator):
    header = "name, kind, address, district, contact_email, contact_phone\n"
    csv = header + "Harbour Market, shop, 1 Quay St, harbour, m@example.org,\n"
    report = services.import_venues(csv, operator)
    assert report.saved and report.ok, [i.errors for i in report.items]
    market = Venue.objects.get(name="Harbour Market")
    assert (market.kind, market.address, market.district.code, market.contact_email) == (
        "shop",
        "1 Quay St",
        "harbour",
        "m@example.org",
    )


def test_one_bad_row_saves_nothing_and_the_report_says_which_and_why(operator):
    rows = ["Good Shop,shop,2 High St,,good@example.org,", "No Contact,shop,,,,", "Lost,shop,,nowhere,a@example.org,"]
    csv = HEADER + "\n".join(rows) + "\n"
    report = services.import_venues(csv, operator)
    assert not report.saved and Venue.objects.count() == 0
    assert [i.accepted for i in report.items] == [True, False, False]
    assert "email address or a phone number" in report.items[1].errors[0]
    assert "nowhere" in report.items[2].errors[0]


def test_the_same_file_again_changes_nothing(operator):
    csv = HEADER + "Harbour Market,shop,1 Quay St,harbour,market@example.org,\n"
    services.import_venues(csv, operator)
    again = services.import_venues(csv, operator)
    assert again.saved and [i.action for i in again.items] == ["unchanged"]
    assert Venue.objects.count() == 1


def test_old_mac_line_endings_read_as_rows(operator):
    # A bare carriage return was a server error once (found by the API fuzzer).
    text = "name,contact_email\rHarbour Market,m@example.org\rFish Hall,f@example.org\r"
    report = services.import_venues(text, operator, dry_run=True)
    assert report.ok and [i.label for i in report.items] == ["Harbour Market", "Fish Hall"]


def test_a_dry_run_checks_and_saves_nothing(operator):
    report = services.import_venues(HEADER + "Harbour Market,shop,,,m@example.org,\n", operator, dry_run=True)
    assert report.ok and not report.saved and Venue.objects.count() == 0


@pytest.mark.parametrize(
    ("text", "words"),
    [
        ("", "header row"),
        ("title,kind\nX,shop\n", "Unknown columns: title"),
        (HEADER, "no rows"),
        ("name\n" + "x" * 200_000 + "\n", "not valid CSV"),  # over the csv module's field limit
        ("name,contact_email\nHar\x00bour,h@example.org\n", "Null characters are not allowed"),
    ],
)
def test_a_file_without_the_right_columns_is_refused_whole(operator, text, words):
    report = services.import_venues(text, operator)
    assert not report.saved and any(words in e for e in report.file_errors)


def test_staff_upload_a_file_and_read_the_report_in_their_language(staff_client):
    DistrictFactory(code="harbour")
    _user, client = staff_client(Role.OPERATOR)
    page = client.get(reverse("checkin:ops-import"))
    assert page.status_code == 200
    upload = SimpleUploadedFile("venues.csv", (HEADER + "Harbour Market,shop,,,,\n").encode(), "text/csv")
    refused = client.post(reverse("checkin:ops-import"), {"file": upload}, HTTP_ACCEPT_LANGUAGE="es")
    assert refused.status_code == 400
    assert "Row by row" in refused.content.decode() or "Fila por fila" in refused.content.decode()
    upload = SimpleUploadedFile("venues.csv", (HEADER + "Harbour Market,shop,,,m@example.org,\n").encode())
    assert client.post(reverse("checkin:ops-import"), {"file": upload}).status_code == 200
    assert Venue.objects.filter(name="Harbour Market").exists()


def test_the_api_answers_201_when_saved_and_422_with_every_row_when_refused(staff_client, client):
    _user, staff = staff_client(Role.OPERATOR)
    bad = staff.post(f"{API}/venues/import", {"csv": HEADER + "X,castle,,,x@example.org,\n"}, "application/json")
    assert bad.status_code == 422
    assert bad.json()["rows"][0]["result"] == "rejected" and bad.json()["rows"][0]["errors"]
    good = staff.post(f"{API}/venues/import", {"csv": HEADER + "X,shop,,,x@example.org,\n"}, "application/json")
    assert good.status_code == 201 and good.json()["saved"] is True
    assert client.post(f"{API}/venues/import", {"csv": HEADER}, "application/json").status_code in (401, 403)
