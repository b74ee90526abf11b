"""Venues: registration, signed poster codes that cannot be forged, reissue and closing, the poster."""

from __future__ import annotations

import pytest
from django.core import signing
from django.core.exceptions import PermissionDenied, ValidationError

from cityos.checkin import services
from cityos.checkin.events import VenueChanged
from cityos.checkin.models import Venue
from cityos.checkin.poster import poster_page, poster_pdf
from cityos.checkin.tests.factories import VenueFactory
from cityos.core.accounts.models import Role
from cityos.core.accounts.tests.factories import ResidentFactory, StaffFactory
from cityos.core.audit.models import AuditAction, AuditEntry
from cityos.core.geo.tests.factories import DistrictFactory

pytestmark = pytest.mark.django_db


def codes(error: ValidationError) -> set[str]:
    return services.error_codes(error)


def test_a_resident_registering_a_venue_becomes_its_owner_and_gets_an_sms_code(resident):
    venue = services.register_venue(resident, name="  Corner Shop ", kind="shop", address="2 High St")
    assert venue.name == "Corner Shop"
    assert venue.owner == resident
    assert len(venue.short_code) == services.SHORT_CODE_LENGTH
    assert venue.poster_version == 1


def test_staff_register_a_venue_for_a_business_reached_by_its_contact():
    operator = StaffFactory(roles=[Role.OPERATOR])
    venue = services.register_venue(operator, name="Ferry", contact_phone="+1 415 555 0199")
    assert venue.owner is None
    assert venue.contact_phone == "+14155550199"
    assert venue.registered_by == operator


@pytest.mark.parametrize(
    ("fields", "field", "code"),
    [
        ({"name": " "}, "name", "required"),
        ({"name": "x" * 201}, "name", "too_long"),
        ({"name": "Shop", "kind": "castle"}, "kind", "invalid"),
        ({"name": "Shop", "contact_email": "not-an-email"}, "contact_email", "invalid"),
        ({"name": "Shop", "contact_phone": "12"}, "contact_phone", "invalid"),
        ({"name": "Shop", "contact_phone": "+1 415 555 0100 ext. 89"}, "contact_phone", "extension"),
        ({"name": "Shop", "contact_phone": "+1 415 555 0100 x89"}, "contact_phone", "extension"),
        ({"name": "Shop", "district_id": 0}, "district_id", "invalid_district"),
    ],
)
def test_bad_venue_details_are_refused_field_by_field(resident, fields, field, code):
    with pytest.raises(ValidationError) as refused:
        services.register_venue(resident, **fields)
    assert field in refused.value.message_dict
    assert code in codes(refused.value)
    assert not Venue.objects.exists()


def test_staff_must_give_a_contact_when_no_owner_is_known():
    operator = StaffFactory(roles=[Role.OPERATOR])
    with pytest.raises(ValidationError) as refused:
        services.register_venue(operator, name="Ferry")
    assert "contact_email" in refused.value.message_dict


def test_a_poster_code_leads_to_its_venue():
    venue = VenueFactory()
    assert services.venue_for_code(services.venue_code(venue)) == venue


@pytest.mark.parametrize("forge", ["garbage", "1.1", "1.1:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA", ""])
def test_a_forged_code_is_refused(forge):
    VenueFactory()
    with pytest.raises(ValidationError) as refused:
        services.venue_for_code(forge)
    assert codes(refused.value) == {"forged"}
    assert "not one the city issued" in refused.value.messages[0]


def test_editing_the_venue_in_a_real_code_breaks_its_signature():
    first, second = VenueFactory(), VenueFactory()
    _value, signature = services.venue_code(first).split(":")
    edited = f"{second.pk}.1:{signature}"
    with pytest.raises(ValidationError) as refused:
        services.venue_for_code(edited)
    assert codes(refused.value) == {"forged"}


def test_a_code_signed_with_another_salt_is_refused():
    venue = VenueFactory()
    other = signing.Signer(salt="something-else").sign(f"{venue.pk}.1")
    with pytest.raises(ValidationError):
        services.venue_for_code(other)


def test_reissuing_revokes_earlier_posters_and_the_sms_code(resident):
    venue = services.register_venue(resident, name="Tea House")
    old_code, old_sms = services.venue_code(venue), venue.short_code
    venue = services.reissue_poster(venue, resident)
    assert venue.poster_version == 2
    assert venue.short_code != old_sms
    with pytest.raises(ValidationError) as refused:
        services.venue_for_code(old_code)
    assert codes(refused.value) == {"revoked"}
    assert services.venue_for_code(services.venue_code(venue)) == venue


def test_a_closed_venue_takes_no_check_ins(resident):
    venue = services.register_venue(resident, name="Tea House")
    services.set_venue_active(venue, resident, active=False)
    with pytest.raises(ValidationError) as refused:
        services.venue_for_code(services.venue_code(venue))
    assert codes(refused.value) == {"closed"}


def test_only_the_owner_or_staff_reissue_a_poster(resident):
    venue = services.register_venue(resident, name="Tea House")
    with pytest.raises(PermissionDenied):
        services.reissue_poster(venue, ResidentFactory())
    with pytest.raises(PermissionDenied):
        services.set_venue_active(venue, ResidentFactory(), active=False)
    assert services.reissue_poster(venue, StaffFactory(roles=[Role.OPERATOR])).poster_version == 2


def test_the_poster_is_an_a4_pdf():
    venue = VenueFactory(name="Café Sol 太陽")
    pdf = poster_pdf(venue, "https://city.example/checkin/v/abc/")
    assert pdf.startswith(b"%PDF")
    assert b"/MediaBox [0 0 595.28 841.89]" in pdf or b"595.28" in pdf


def test_a_poster_of_the_longest_name_and_address_allowed_keeps_everything_on_the_page():
    name, address = ("Harbour Market Traders' Association " * 6)[:200], ("Pier 4, Quay Street " * 15)[:300]
    venue = VenueFactory(name=name, address=address)

    page = poster_page(venue, "https://city.example/checkin/v/abc/")

    assert page.body_end <= page.pdf.h - 15  # above the footer: the QR code and every line printed
    assert page.pdf.pages_count == 1


def test_venues_are_found_by_sms_code_or_any_signed_code_for_tracing(resident):
    venue = services.register_venue(resident, name="Tea House")
    old_code = services.venue_code(venue)
    venue = services.reissue_poster(venue, resident)
    assert services.venue_for_reference(venue.short_code.lower()) == venue
    assert services.venue_for_reference(old_code) == venue
    assert services.venue_for_reference("nope") is None
    assert services.venue_for_reference("1.1:forged") is None


# --- Editing a venue ------------------------------------------------------------------------


def test_staff_change_a_venues_details_and_its_posters_keep_working(monkeypatch):
    published: list[object] = []
    monkeypatch.setattr(services, "publish", published.append)
    operator = StaffFactory(roles=[Role.OPERATOR])
    venue = services.register_venue(operator, name="Ferry", contact_email="ferry@example.org")
    code = services.venue_code(venue)
    district = DistrictFactory()
    changed = services.update_venue(
        venue,
        operator,
        name=" Ferry Terminal ",
        kind="transport",
        address="Pier 1",
        district_id=district.pk,
        contact_phone="+1 415 555 0199",
    )
    assert (changed.name, changed.kind, changed.address) == ("Ferry Terminal", "transport", "Pier 1")
    assert changed.district == district
    assert changed.contact_phone == "+14155550199" and changed.contact_email == "ferry@example.org"  # kept
    assert published == [
        VenueChanged(venue_id=venue.pk, fields=["address", "contact_phone", "district_id", "kind", "name"])
    ]
    assert services.venue_for_code(code) == changed  # same poster, same SMS code
    assert changed.short_code == venue.short_code and changed.poster_version == 1


def test_changing_contacts_is_audited_without_copying_them():
    operator = StaffFactory(roles=[Role.OPERATOR])
    venue = VenueFactory(contact_email="old@example.org")
    services.update_venue(venue, operator, contact_email="new@example.org", contact_phone="+1 415 555 0199")
    entry = AuditEntry.objects.filter(action=AuditAction.UPDATE, object_type="checkin.Venue").latest("pk")
    assert set(entry.fields) >= {"contact_email", "contact_phone"}
    assert "new@example.org" not in str(entry.changes) and "old@example.org" not in str(entry.changes)


def test_the_owner_changes_their_venue_and_nobody_else_does(resident):
    venue = services.register_venue(resident, name="Corner Shop")
    assert services.update_venue(venue, resident, name="Corner Shop & Café").name == "Corner Shop & Café"
    with pytest.raises(PermissionDenied):
        services.update_venue(venue, ResidentFactory(), name="Mine now")
    assert Venue.objects.get().name == "Corner Shop & Café"


@pytest.mark.parametrize(
    ("fields", "field", "code"),
    [
        ({"name": ""}, "name", "required"),
        ({"kind": "castle"}, "kind", "invalid"),
        ({"address": "x" * 301}, "address", "too_long"),
        ({"contact_email": "nope"}, "contact_email", "invalid"),
        ({"contact_phone": "+1 415 555 0100 ext. 89"}, "contact_phone", "extension"),
        ({"district_id": 0}, "district_id", "invalid_district"),
        ({"contact_email": ""}, "contact_email", "required"),  # no owner: it must stay reachable
    ],
)
def test_bad_changes_are_refused_field_by_field_and_nothing_is_saved(fields, field, code):
    operator = StaffFactory(roles=[Role.OPERATOR])
    venue = VenueFactory(name="Ferry", contact_email="ferry@example.org")
    with pytest.raises(ValidationError) as refused:
        services.update_venue(venue, operator, **{"name": "Renamed", **fields})
    assert field in refused.value.message_dict
    assert code in codes(refused.value)
    venue.refresh_from_db()
    assert (venue.name, venue.contact_email) == ("Ferry", "ferry@example.org")


def test_an_owned_venue_may_drop_its_contacts():
    owner = ResidentFactory()
    venue = VenueFactory(owner=owner, contact_email="shop@example.org")
    assert services.update_venue(venue, owner, contact_email="").contact_email == ""


def test_nothing_changed_sends_no_event(monkeypatch):
    published: list[object] = []
    monkeypatch.setattr(services, "publish", published.append)
    venue = VenueFactory(name="Ferry")
    services.update_venue(venue, StaffFactory(roles=[Role.OPERATOR]), name="Ferry")
    assert published == []


# --- The venue someone manages, for its page and the API -------------------------------------


def contact_reads(venue: Venue) -> list[list[str]]:
    reads = AuditEntry.objects.filter(action=AuditAction.READ, object_type="checkin.Venue", object_id=str(venue.pk))
    return [entry.fields for entry in reads.order_by("pk")]


def test_staff_get_a_venue_they_manage_with_the_contacts_shown_audited_by_name():
    operator = StaffFactory(roles=[Role.OPERATOR])
    venue = VenueFactory(contact_email="ferry@example.org", contact_phone="")
    assert services.managed_venue(operator, venue.pk, shown=services.CONTACT_FIELDS) == venue
    assert contact_reads(venue) == [["contact_email"]]  # the phone it does not have was not read
    services.managed_venue(operator, venue.pk)  # a page that shows no contact
    assert contact_reads(venue) == [["contact_email"]]


def test_the_owner_gets_their_venue_and_reading_its_contacts_is_no_audited_read(resident):
    venue = VenueFactory(owner=resident, contact_phone="+14155550199")
    assert services.managed_venue(resident, venue.pk, shown=services.CONTACT_FIELDS) == venue
    assert contact_reads(venue) == []


def test_anyone_else_is_refused_the_venue_and_nothing_is_audited():
    venue = VenueFactory()
    caseworker = StaffFactory(roles=[Role.CASEWORKER])
    for outsider in (None, ResidentFactory(), caseworker):
        with pytest.raises(services.NotVenueManager):
            services.managed_venue(outsider, venue.pk, shown=services.CONTACT_FIELDS)
    with pytest.raises(Venue.DoesNotExist):
        services.managed_venue(StaffFactory(roles=[Role.OPERATOR]), venue.pk + 1000, shown=services.CONTACT_FIELDS)
    assert contact_reads(venue) == []
