"""A venue's name is kept without bidi controls and shown isolated in the pages' sentences; the
contact field of the check-in page takes a phone number typed in full-width digits."""

# ruff: noqa: RUF001 - full-width digits and signs are what these tests type

from __future__ import annotations

import pytest
from django.urls import reverse

from cityos.checkin import services
from cityos.checkin.models import CheckIn, Venue
from cityos.checkin.tests.factories import VenueFactory
from cityos.core.accounts.models import Role
from cityos.core.accounts.tests.factories import StaffFactory

pytestmark = pytest.mark.django_db
RLO = "\u202e"  # RIGHT-TO-LEFT OVERRIDE


def test_a_venue_registered_with_an_override_is_kept_without_it(client, resident):
    client.force_login(resident)
    response = client.post(reverse("checkin:register"), {"name": f"Café 😀 {RLO}abc", "kind": "shop"})
    assert response.status_code == 302
    assert Venue.objects.get().name == "Café 😀 abc"


def test_the_city_s_words_around_a_venue_name_stay_in_order(client):
    # A name stored before the forms removed the controls: the heading keeps the override inside it.
    venue = VenueFactory(name=f"Café 😀 {RLO}abc")
    html = client.get(
        reverse("checkin:page", args=[services.venue_code(venue)]), headers={"accept-language": "zh-hant"}
    ).content.decode()
    assert f"<h1>在<bdi>Café 😀 {RLO}abc</bdi>登記</h1>" in html
    assert f"<title>在\u2068Café 😀 {RLO}abc\u2069登記 ·" in html


@pytest.mark.parametrize(
    ("region", "typed", "kept"),
    [
        ("HK", "６１２３４５６７", "+85261234567"),
        ("US", "＋８５２ ６１２３ ４５６７", "+85261234567"),
        ("US", "（４１５）５５５－０１００", "+14155550100"),
    ],
)
def test_the_check_in_contact_takes_full_width_digits_as_sign_up_does(client, settings, region, typed, kept):
    settings.CITYOS_PHONE_REGION = region  # a number without its country code is read as the city's
    venue = VenueFactory()
    response = client.post(reverse("checkin:page", args=[services.venue_code(venue)]), {"contact": typed})
    assert response.status_code == 302
    assert services.decrypt_contact(CheckIn.objects.get().contact_encrypted) == kept


def test_a_venue_registered_or_imported_through_the_api_is_kept_without_overrides(client, resident):
    client.force_login(resident)
    response = client.post(
        "/api/v1/checkin/venues",
        {"name": f"Kiosk {RLO}abc", "kind": "shop", "address": f"1 {RLO}Quay St"},
        content_type="application/json",
    )
    assert response.status_code == 201, response.content
    venue = Venue.objects.get()
    assert (venue.name, venue.address) == ("Kiosk abc", "1 Quay St")

    operator = StaffFactory(roles=[Role.OPERATOR])
    report = services.import_venues(f"name,kind,contact_email\nFerry {RLO}Café,food,ferry@example.org\n", operator)
    assert report.saved
    assert Venue.objects.filter(name="Ferry Café").exists()
