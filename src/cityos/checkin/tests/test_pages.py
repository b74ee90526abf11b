"""The pages: the poster's check-in page, my visits, registering a venue, staff lists, the SMS webhook."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from cityos.checkin import services
from cityos.checkin.models import AlertState, CheckIn, ExposureAlert, Venue
from cityos.checkin.tests.factories import VenueFactory, visit
from cityos.core.accounts.models import Role
from cityos.core.accounts.tests.factories import ResidentFactory
from cityos.core.audit.models import AuditAction, AuditEntry
from cityos.core.geo.tests.factories import DistrictFactory
from cityos.core.notifications.models import Message

pytestmark = pytest.mark.django_db


@pytest.fixture
def venue():
    return VenueFactory(name="Harbour Market")


def page_url(venue) -> str:
    return reverse("checkin:page", args=[services.venue_code(venue)])


def test_the_check_in_page_is_small_and_asks_only_for_a_contact(client, venue):
    response = client.get(page_url(venue))
    assert response.status_code == 200
    html = response.content.decode()
    assert "Check in at <bdi>Harbour Market</bdi>" in html
    assert 'name="contact"' in html
    assert len(response.content) < 20_000


def test_an_anonymous_visitor_checks_in_and_is_sent_to_the_check_out_page(client, venue):
    response = client.post(page_url(venue), {"contact": "+1 415 555 0100"})
    made = CheckIn.objects.get()
    assert response.status_code == 302
    assert response.url == reverse("checkin:done", args=[services.checkout_token(made)])
    done = client.get(response.url)
    assert "You are checked in" in done.content.decode()
    assert "checkin/diary.js" in done.content.decode()


def test_a_signed_in_resident_checks_in_with_one_tap(client, venue, resident):
    client.force_login(resident)
    page = client.get(page_url(venue)).content.decode()
    assert 'name="contact"' not in page
    client.post(page_url(venue))
    assert CheckIn.objects.get().person == resident
    again = client.post(page_url(venue))
    assert again.status_code == 409
    assert "You are already checked in at Harbour Market" in again.content.decode()
    assert CheckIn.objects.count() == 1


def test_a_bad_contact_is_shown_next_to_the_field(client, venue):
    response = client.post(page_url(venue), {"contact": "not a phone"})
    assert response.status_code == 400
    html = response.content.decode()
    assert "Enter a valid phone number" in html and 'href="#id_contact"' in html
    assert not CheckIn.objects.exists()


def test_a_forged_or_replaced_poster_says_so(client, venue):
    forged = client.get(reverse("checkin:page", args=["1.1:forgedsignature"]))
    assert forged.status_code == 400
    assert "not one the city issued" in forged.content.decode()
    url = page_url(venue)
    venue.poster_version = 2
    venue.save()
    replaced = client.post(url, {"contact": "a@example.org"})
    assert replaced.status_code == 400 and "has been replaced" in replaced.content.decode()
    assert not CheckIn.objects.exists()


def test_check_ins_from_one_address_are_limited_with_a_translated_429(client, venue, settings):
    settings.CITYOS_CHECKIN_LIMIT_PER_HOUR = 2
    assert client.post(page_url(venue), {"contact": "+1 415 555 0100"}).status_code == 302
    assert client.post(page_url(venue), {"contact": "+1 415 555 0101"}).status_code == 302
    limited = client.post(page_url(venue), {"contact": "+1 415 555 0102"}, HTTP_ACCEPT_LANGUAGE="es")
    assert limited.status_code == 429
    assert limited["Retry-After"]
    assert "Se enviaron demasiados registros desde esta conexión" in limited.content.decode()
    assert CheckIn.objects.count() == 2
    # Reading the poster page is never limited; another address is not affected.
    assert client.get(page_url(venue)).status_code == 200
    other = Client(REMOTE_ADDR="192.0.2.9")
    assert other.post(page_url(venue), {"contact": "+1 415 555 0103"}).status_code == 302


def test_the_page_speaks_the_visitors_language(client, venue):
    response = client.get(page_url(venue), HTTP_ACCEPT_LANGUAGE="es")
    assert "Regístrate en <bdi>Harbour Market</bdi>" in response.content.decode()
    forged = client.get(reverse("checkin:page", args=["1.1:forged"]), HTTP_ACCEPT_LANGUAGE="zh-hant")
    assert "此海報代碼並非市府核發" in forged.content.decode()


def test_checking_out_from_the_done_page(client, venue):
    client.post(page_url(venue), {"contact": "a@example.org"})
    token = services.checkout_token(CheckIn.objects.get())
    response = client.post(reverse("checkin:checkout"), {"token": token}, follow=True)
    assert "You checked out of Harbour Market" in response.content.decode()
    assert CheckIn.objects.get().checked_out_at is not None
    assert client.post(reverse("checkin:checkout"), {"token": "bad"}).status_code == 400


def test_my_visits_lists_only_my_own_check_ins(client, venue, resident):
    visit(venue, timezone.now() - timedelta(hours=3), person=resident)
    visit(VenueFactory(name="Secret Club"), timezone.now(), person=ResidentFactory())
    client.force_login(resident)
    html = client.get(reverse("checkin:visits")).content.decode()
    assert "Harbour Market" in html and "Secret Club" not in html
    assert 'id="diary"' in html


def test_a_resident_checks_out_of_an_open_visit_from_my_visits(client, venue, resident):
    mine = visit(venue, timezone.now() - timedelta(minutes=30), person=resident)
    visit(VenueFactory(name="Old Haunt"), timezone.now() - timedelta(days=2), person=resident)  # long over
    client.force_login(resident)
    html = client.get(reverse("checkin:visits")).content.decode()
    assert html.count('action="/checkin/visits/') == 1  # only the visit that may still be going on
    assert reverse("checkin:my-checkout", args=[mine.pk]) in html
    assert client.get(reverse("checkin:my-checkout", args=[mine.pk])).status_code == 405
    done = client.post(reverse("checkin:my-checkout", args=[mine.pk]), follow=True)
    assert "You checked out of Harbour Market." in done.content.decode()
    assert done.redirect_chain[-1][0] == reverse("checkin:visits")
    mine.refresh_from_db()
    assert mine.checked_out_at is not None
    assert reverse("checkin:my-checkout", args=[mine.pk]) not in done.content.decode()


def test_nobody_checks_out_of_another_residents_visit(client, venue, resident):
    theirs = visit(venue, timezone.now() - timedelta(minutes=30), person=ResidentFactory())
    client.force_login(resident)
    assert client.post(reverse("checkin:my-checkout", args=[theirs.pk])).status_code == 404
    theirs.refresh_from_db()
    assert theirs.checked_out_at is None
    anonymous = Client().post(reverse("checkin:my-checkout", args=[theirs.pk]))
    assert anonymous.status_code == 302 and "sign-in" in anonymous.url


def test_checking_out_from_my_visits_needs_the_csrf_token(venue, resident):
    mine = visit(venue, timezone.now() - timedelta(minutes=30), person=resident)
    browser = Client(enforce_csrf_checks=True)
    browser.force_login(resident)
    assert browser.post(reverse("checkin:my-checkout", args=[mine.pk])).status_code == 403
    mine.refresh_from_db()
    assert mine.checked_out_at is None


def test_a_resident_registers_a_venue_and_downloads_its_poster(client, resident):
    client.force_login(resident)
    bad = client.post(reverse("checkin:register"), {"name": "", "kind": "shop"})
    assert bad.status_code == 400
    response = client.post(reverse("checkin:register"), {"name": "Corner Shop", "kind": "shop", "address": "1 St"})
    venue = Venue.objects.get()
    assert response.url == reverse("checkin:venue", args=[venue.pk])
    assert venue.owner == resident
    poster = client.get(reverse("checkin:poster", args=[venue.pk]))
    assert poster["Content-Type"] == "application/pdf" and poster.content.startswith(b"%PDF")
    page = client.get(reverse("checkin:venue", args=[venue.pk])).content.decode()
    # Irreversible, so behind a box that says what it does before the button that does it.
    assert "stops working at once" in page and "Reissue the poster now" in page
    client.post(reverse("checkin:reissue", args=[venue.pk]))
    venue.refresh_from_db()
    assert venue.poster_version == 2


def test_other_residents_cannot_see_a_venue_or_its_poster(client, resident):
    venue = VenueFactory(owner=ResidentFactory())
    client.force_login(resident)
    assert client.get(reverse("checkin:venue", args=[venue.pk])).status_code == 404
    assert client.get(reverse("checkin:poster", args=[venue.pk])).status_code == 404
    assert client.post(reverse("checkin:reissue", args=[venue.pk])).status_code == 404


def test_registering_needs_an_account(client):
    response = client.get(reverse("checkin:register"))
    assert response.status_code == 302 and "sign-in" in response.url


def test_staff_list_and_export_venues(staff_client, venue):
    _user, client = staff_client(Role.OPERATOR)
    assert "Harbour Market" in client.get(reverse("checkin:ops-venues")).content.decode()
    export = client.get(reverse("checkin:ops-venues") + "?q=harbour&format=csv")
    assert export["Content-Type"].startswith("text/csv")
    assert "Harbour Market" in export.content.decode()
    empty = client.get(reverse("checkin:ops-venues") + "?q=nothing&format=csv").content.decode()
    assert "Harbour Market" not in empty
    # Anyone may register a venue: what they typed opens in a spreadsheet as text, never a formula.
    venue.address = '=HYPERLINK("http://x")'
    venue.save()
    planted = client.get(reverse("checkin:ops-venues") + "?q=harbour&format=csv").content.decode()
    assert '"\'=HYPERLINK(""http://x"")"' in planted


def test_staff_register_a_venue_for_a_business(staff_client):
    _user, client = staff_client(Role.OPERATOR)
    response = client.post(
        reverse("checkin:ops-register"), {"name": "Ferry", "kind": "transport", "contact_email": "ferry@example.org"}
    )
    assert response.status_code == 302
    assert Venue.objects.get().owner is None


def test_staff_hear_every_problem_of_a_venue_at_once_the_missing_contact_too(staff_client):
    _user, client = staff_client(Role.OPERATOR)
    page = client.post(reverse("checkin:ops-register"), {"name": "", "kind": "nope"}).content.decode()
    assert "Give an email address or a phone number so the venue can be told" in page
    assert "This field is required." in page  # the name, in the same answer
    assert "Give an email address, a phone number, or both." in page  # said before anything is sent


def test_a_phone_with_an_extension_is_refused_next_to_the_field_with_the_other_problems(staff_client):
    _user, client = staff_client(Role.OPERATOR)
    response = client.post(reverse("checkin:ops-register"), {"name": "", "contact_phone": "+1 415 555 0100 x89"})
    assert response.status_code == 400
    page = response.content.decode()
    assert "Give a phone number without an extension: text messages cannot reach an extension." in page
    assert "This field is required." in page
    assert "so the venue can be told" not in page  # a phone was given, only a wrong one
    assert not Venue.objects.exists()


def test_staff_change_a_venue_from_its_page_and_the_read_of_its_contacts_is_audited(staff_client):
    district = DistrictFactory(name="Harbourside")
    venue = VenueFactory(name="Ferry", contact_email="ferry@example.org", contact_phone="")
    _user, client = staff_client(Role.OPERATOR)
    page = client.get(reverse("checkin:venue", args=[venue.pk])).content.decode()
    assert reverse("checkin:edit", args=[venue.pk]) in page and "ferry@example.org" in page
    read = AuditEntry.objects.filter(action=AuditAction.READ, object_type="checkin.Venue").latest("pk")
    assert read.fields == ["contact_email"]  # what the page shows: the venue has no phone, no owner shown
    form = client.get(reverse("checkin:edit", args=[venue.pk]))
    assert form.status_code == 200 and 'value="ferry@example.org"' in form.content.decode()
    response = client.post(
        reverse("checkin:edit", args=[venue.pk]),
        {
            "name": "Ferry Terminal",
            "kind": "transport",
            "address": "Pier 1",
            "district": district.pk,
            "contact_email": "ferry@example.org",
            "contact_phone": "+1 415 555 0199",
        },
        follow=True,
    )
    assert response.redirect_chain[-1][0] == reverse("checkin:venue", args=[venue.pk])
    assert "The venue&#x27;s details are saved." in response.content.decode()
    venue.refresh_from_db()
    assert (venue.name, venue.district, venue.contact_phone) == ("Ferry Terminal", district, "+14155550199")


def test_a_bad_change_is_shown_next_to_its_field_and_nothing_is_saved(staff_client):
    venue = VenueFactory(name="Ferry", contact_email="ferry@example.org")
    _user, client = staff_client(Role.HEALTH_OFFICER)
    response = client.post(
        reverse("checkin:edit", args=[venue.pk]),
        {"name": "Ferry", "kind": "shop", "contact_email": "", "contact_phone": "+1 415 555 0100 ext. 89"},
    )
    assert response.status_code == 400
    assert "without an extension" in response.content.decode()
    assert Venue.objects.get().contact_email == "ferry@example.org"
    emptied = client.post(reverse("checkin:edit", args=[venue.pk]), {"name": "Ferry", "kind": "shop"})
    assert emptied.status_code == 400  # a venue without an owner keeps a way to be told
    assert "so the venue can be told about an exposure" in emptied.content.decode()


def test_the_owner_edits_their_venue_and_other_residents_cannot(client, resident):
    venue = VenueFactory(owner=resident, name="Corner Shop", contact_email="")
    client.force_login(resident)
    response = client.post(reverse("checkin:edit", args=[venue.pk]), {"name": "Corner Café", "kind": "food"})
    assert response.status_code == 302
    assert Venue.objects.get().name == "Corner Café"
    assert not AuditEntry.objects.filter(action=AuditAction.READ).exists()  # their own venue
    client.force_login(ResidentFactory())
    assert client.get(reverse("checkin:edit", args=[venue.pk])).status_code == 404
    assert client.post(reverse("checkin:edit", args=[venue.pk]), {"name": "Mine", "kind": "food"}).status_code == 404
    assert Venue.objects.get().name == "Corner Café"


def test_residents_and_non_health_staff_cannot_open_alerts(client, staff_client, resident):
    client.force_login(resident)
    assert client.get(reverse("checkin:ops-alerts")).status_code == 403
    assert client.get(reverse("checkin:ops-venues")).status_code == 403
    _user, operator = staff_client(Role.OPERATOR)
    assert operator.get(reverse("checkin:ops-alerts")).status_code == 403


def test_a_health_officer_reviews_and_sends_an_alert_and_the_reads_are_audited(templates, staff_client, venue):
    _officer, client = staff_client(Role.HEALTH_OFFICER)
    start = timezone.now() - timedelta(days=1)
    person = ResidentFactory()
    visit(venue, start + timedelta(minutes=5), person=person)
    (alert,) = services.propose_exposure_alert(
        "CASE-7", [{"venue_code": venue.short_code, "start": start, "end": start + timedelta(hours=1)}]
    )
    listing = client.get(reverse("checkin:ops-alerts")).content.decode()
    assert "CASE-7" in listing
    detail = client.get(reverse("checkin:ops-alert", args=[alert.pk]))
    assert "Send the alert" in detail.content.decode()
    assert AuditEntry.objects.filter(action=AuditAction.READ, object_type="checkin.ExposureAlert").exists()
    client.post(reverse("checkin:ops-alert", args=[alert.pk]), {"action": "send"})
    alert.refresh_from_db()
    assert alert.state == AlertState.SENT
    assert Message.objects.filter(recipient=person).count() == 1


def test_a_health_officer_dismisses_an_alert(templates, staff_client, venue):
    _officer, client = staff_client(Role.HEALTH_OFFICER)
    start = timezone.now() - timedelta(days=1)
    (alert,) = services.propose_exposure_alert(
        "CASE-8", [{"venue_code": venue.short_code, "start": start, "end": start + timedelta(hours=1)}]
    )
    client.post(reverse("checkin:ops-alert", args=[alert.pk]), {"action": "dismiss"})
    assert ExposureAlert.objects.get().state == AlertState.DISMISSED


def test_a_post_that_does_not_say_send_sends_nothing(templates, staff_client, venue):
    _officer, client = staff_client(Role.HEALTH_OFFICER)
    start = timezone.now() - timedelta(days=1)
    (alert,) = services.propose_exposure_alert(
        "CASE-9", [{"venue_code": venue.short_code, "start": start, "end": start + timedelta(hours=1)}]
    )
    page = client.post(reverse("checkin:ops-alert", args=[alert.pk]), {}, follow=True).content.decode()
    assert ExposureAlert.objects.get().state == AlertState.PROPOSED
    assert "Choose to send the alert or to dismiss it." in page


# --- SMS webhook ------------------------------------------------------------------------


def test_the_sms_webhook_needs_the_gateway_token(settings, venue):
    settings.CITYOS_GATEWAY_TOKEN = "gw-secret"
    response = Client().post(
        reverse("checkin:sms"), {"from": "+14155550123", "text": venue.short_code}, content_type="application/json"
    )
    assert response.status_code == 401
    assert not CheckIn.objects.exists()


def test_a_text_with_the_venue_code_checks_in_and_replies(settings, venue):
    settings.CITYOS_GATEWAY_TOKEN = "gw-secret"
    client = Client(headers={"Authorization": "Bearer gw-secret"})
    url = reverse("checkin:sms")
    ok = client.post(url, {"from": "+14155550123", "text": venue.short_code}, content_type="application/json")
    assert ok.json()["action"] == "checked_in"
    assert "You are checked in at Harbour Market" in ok.json()["reply"]
    again = client.post(url, {"From": "+14155550123", "Body": venue.short_code})  # form-encoded, as Twilio sends
    assert again.json()["action"] == "already_checked_in"
    unknown = client.post(url, {"from": "+14155550123", "text": "WHAT"}, content_type="application/json")
    assert unknown.json()["action"] == "unknown_code"
    assert client.post(url, {"text": "X"}, content_type="application/json").status_code == 400
    assert client.post(url, {"from": "nope", "text": "X"}, content_type="application/json").status_code == 400


def test_the_sms_reply_is_in_the_senders_language(settings, venue):
    settings.CITYOS_GATEWAY_TOKEN = "gw-secret"
    ResidentFactory(phone="+14155550124", email=None, language="es")
    client = Client(headers={"Authorization": "Bearer gw-secret"})
    reply = client.post(
        reverse("checkin:sms"), {"from": "+14155550124", "text": venue.short_code}, content_type="application/json"
    ).json()["reply"]
    assert "Harbour Market" in reply and "You are" not in reply
