"""What officers type on the case pages and in the API: a phone or email that is one (kept in
E.164 or lower-cased), names without bidi controls, a formset that cannot be inflated, each
mistake next to its field, and a reason asked for rather than a 403."""

# ruff: noqa: RUF001 - full-width digits and signs are what these tests type

from __future__ import annotations

import re

import pytest
from django.utils import translation

from cityos.health import services
from cityos.health.forms import MAX_VISITS
from cityos.health.models import Case, Contact
from cityos.health.tests.conftest import at, case_form, days_ago, give_reason

pytestmark = pytest.mark.django_db
API = "/api/v1/health"
RLO, PDF = "\u202e", "\u202c"


def moment(days: int, hour: int) -> str:
    return at(days, hour).strftime("%Y-%m-%dT%H:%M")


def error_of(html: str, field_id: str) -> str:
    """The text of the error list shown under the field ``field_id`` ("" if none)."""
    found = re.search(rf'<ul class="errorlist" id="{re.escape(field_id)}_error">(.*?)</ul>', html, re.S)
    return re.sub(r"<[^>]+>", " ", found[1]).strip() if found else ""


# --- Phone or email ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("typed", "kept"),
    [
        ("+971 50 123 4567", "+971501234567"),
        ("(212) 555-0101", "+12125550101"),
        ("＋１ ２１２ ５５５ ０１０１", "+12125550101"),  # as a Chinese input method types it
        ("Mei.Chen@Example.org", "mei.chen@example.org"),
        ("", ""),
    ],
)
def test_a_cases_phone_or_email_is_kept_as_residents_own_are(officer_client, typed, kept):
    response = officer_client.post("/health/cases/new/", case_form(contact_details=typed))
    assert response.status_code == 302, error_of(response.content.decode(), "id_contact_details")
    assert Case.objects.get().contact_details == kept


@pytest.mark.parametrize(
    ("language", "message"),
    [
        ("en", "Enter a phone number, e.g. +1 415 555 0100, or an email address."),
        ("es", "Escribe un número de teléfono, p. ej., +1 415 555 0100, o un correo electrónico."),
        ("zh-hant", "請輸入電話號碼（例如 +1 415 555 0100）或電子郵件。"),
    ],
)
def test_a_phone_or_email_that_is_neither_is_refused_next_to_its_field_in_the_readers_language(
    officer_client, language, message
):
    response = officer_client.post(
        "/health/cases/new/", case_form(contact_details="12ab"), headers={"accept-language": language}
    )
    assert response.status_code == 422
    assert error_of(response.content.decode(), "id_contact_details") == message
    assert not Case.objects.exists()


def test_a_bad_email_and_a_phone_with_an_extension_say_what_is_wrong(officer_client):
    html = officer_client.post("/health/cases/new/", case_form(contact_details="mei@")).content.decode()
    assert error_of(html, "id_contact_details") == (
        "Enter a valid email address, e.g. name@example.org, or a phone number."
    )
    html = officer_client.post("/health/cases/new/", case_form(contact_details="+1 212 555 0101 x7")).content.decode()
    assert "without an extension" in error_of(html, "id_contact_details")
    assert not Case.objects.exists()


def test_the_service_checks_it_for_the_api_and_imports_too(officer_client, officer):
    response = officer_client.post(
        f"{API}/cases", {"name": "Mei", "contact_details": "12ab"}, content_type="application/json"
    )
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "body.contact_details"
    assert not Case.objects.exists()
    case = services.record_case(officer, name="Mei", contact_details="+971 50 123 4567")
    contact = services.add_contact(
        officer, case, name="Ana", contact_details="ANA@example.org", relationship="work", last_exposure=days_ago(1)
    )
    assert (case.contact_details, contact.contact_details) == ("+971501234567", "ana@example.org")


def test_a_contacts_details_are_checked_on_the_case_page(officer_client, case):
    give_reason(officer_client, f"/health/cases/{case.pk}/")
    response = officer_client.post(
        f"/health/cases/{case.pk}/contacts/",
        {
            "contact-name": "Ana",
            "contact-contact_details": "12ab",
            "contact-relationship": "work",
            "contact-last_exposure": days_ago(1).isoformat(),
        },
    )
    assert response.status_code == 422
    assert "Enter a phone number" in error_of(response.content.decode(), "id_contact-contact_details")
    assert not Contact.objects.exists()


def test_a_contact_recorded_before_the_check_still_becomes_a_case_with_its_details(officer, case):
    contact = services.add_contact(officer, case, name="Ana", relationship="work", last_exposure=days_ago(1))
    Contact.objects.filter(pk=contact.pk).update(contact_details="mother's phone: 5550101")  # as once typed
    contact.refresh_from_db()
    became = services.contact_becomes_case(officer, contact)
    assert became.contact_details == "mother's phone: 5550101"


# --- Bidi controls -------------------------------------------------------------------------------


def test_names_and_notes_are_kept_without_bidi_controls_from_the_pages_and_the_api(officer_client):
    form = case_form(
        name=f"Mei {RLO}Chen{PDF}",
        interview_notes=f"Works at \u2067{RLO}abc\u2069 \u200fmarket",
        **{"visits-0-place": f"{RLO}Gym", "visits-0-start": moment(2, 9), "visits-0-end": moment(2, 10)},
    )
    assert officer_client.post("/health/cases/new/", form).status_code == 302
    case = Case.objects.get()
    assert case.name == "Mei Chen" and case.visits.get().place == "Gym"
    assert case.interview_notes == "Works at abc \u200fmarket"  # the right-to-left mark is no control: kept
    response = officer_client.post(f"{API}/cases", {"name": f"{RLO}{RLO}Ana"}, content_type="application/json")
    assert response.status_code == 201 and response.json()["name"] == "Ana"


def test_a_name_of_only_bidi_controls_is_no_name(officer_client):
    response = officer_client.post("/health/cases/new/", case_form(name=RLO * 3))
    assert response.status_code == 422
    assert "Give the person&#x27;s name" in response.content.decode()


def test_a_name_stored_with_controls_is_isolated_in_the_follow_up_heading(officer_client, officer, case):
    contact = services.add_contact(officer, case, name="Ana", relationship="work", last_exposure=days_ago(1))
    Contact.objects.filter(pk=contact.pk).update(name=f"{RLO}Ana")  # typed before the forms removed them
    follow_up = contact.follow_ups.first()
    assert follow_up is not None
    give_reason(officer_client, f"/health/follow-ups/{follow_up.pk}/")
    with translation.override("en"):
        html = officer_client.get(f"/health/follow-ups/{follow_up.pk}/").content.decode()
    assert f"Follow-up of <bdi>{RLO}Ana</bdi> on" in html


# --- The visits of a new case ------------------------------------------------------------------


def test_a_tampered_count_of_visit_rows_is_refused_with_a_message_and_a_small_page(officer_client):
    response = officer_client.post("/health/cases/new/", case_form(**{"visits-TOTAL_FORMS": "5000"}))
    html = response.content.decode()
    assert response.status_code == 422
    assert f"Give at most {MAX_VISITS} visits here; add more from the case&#x27;s page once it is saved." in html
    assert html.count('<fieldset class="visit">') == MAX_VISITS and len(html) < 200_000
    # The page sends back the rows it shows, so sending it again as it is works.
    assert f'name="visits-TOTAL_FORMS" value="{MAX_VISITS}"' in html
    assert not Case.objects.exists()
    assert officer_client.post("/health/cases/new/", case_form(**{"visits-TOTAL_FORMS": "20"})).status_code == 302


def test_one_row_too_many_is_refused_in_the_readers_language(officer_client):
    response = officer_client.post(
        "/health/cases/new/", case_form(**{"visits-TOTAL_FORMS": "21"}), headers={"accept-language": "es"}
    )
    assert response.status_code == 422
    assert "Indica como máximo 20 visitas aquí" in response.content.decode()


def test_a_visit_starting_in_the_future_is_said_at_its_start_field_of_its_own_row(officer_client):
    form = case_form(
        **{
            "visits-TOTAL_FORMS": "3",
            "visits-0-place": "Harbour Market",
            "visits-0-start": moment(2, 9),
            "visits-0-end": moment(2, 10),
            # Row 1 is left empty: the service's second visit is the page's third row.
            "visits-2-place": "Gym",
            "visits-2-start": moment(-1, 9),
            "visits-2-end": moment(-1, 10),
        }
    )
    response = officer_client.post("/health/cases/new/", form)
    html = response.content.decode()
    assert response.status_code == 422
    assert error_of(html, "id_visits-2-start") == "The visit starts in the future. Check the date."
    assert 'href="#id_visits-2-start"' in html  # the row's summary links to the field
    assert error_of(html, "id_visits-0-start") == "" and "id_visits-1-start_error" not in html
    assert not Case.objects.exists()


# --- The chain picture before a reason --------------------------------------------------------


def test_the_chain_picture_opened_before_a_reason_asks_for_one_then_shows(officer_client, case):
    url = f"/health/cases/{case.pk}/chain.svg"
    asked = officer_client.get(url)
    page = asked.content.decode()
    assert asked.status_code == 200 and f"Why do you need {case.ref}?" in page
    assert "Your role does not include" not in page
    answered = officer_client.post(url, {"reason": "Tracing the chain of this case"})
    assert answered.status_code == 302 and answered.url == url
    picture = officer_client.get(url)
    assert picture.status_code == 200 and picture["Content-Type"] == "image/svg+xml"


def test_other_staff_still_get_the_403_of_their_role(staff_client, case):
    from cityos.core.accounts.models import Role

    _, operator = staff_client(Role.OPERATOR)
    assert operator.get(f"/health/cases/{case.pk}/chain.svg").status_code == 403
