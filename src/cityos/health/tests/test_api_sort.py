"""Sorting the health API's lists: ``sort=field`` or ``sort=-field``, checked against each list's fields."""

from __future__ import annotations

import pytest

from cityos.core.accounts.tests.factories import ResidentFactory
from cityos.health import services
from cityos.health.models import Declaration
from cityos.health.tests.conftest import days_ago

pytestmark = pytest.mark.django_db
API = "/api/v1/health"
REASON = "Weekly case review"


@pytest.fixture
def three_cases(officer):
    return [
        services.record_case(officer, name=name, onset_date=days_ago(days))
        for name, days in (("Bo Lin", 5), ("Ana Ruiz", 1), ("Chen Wei", 9))
    ]


def names(response) -> list[str]:
    assert response.status_code == 200, response.content
    return [row["name"] for row in response.json()["results"]]


def test_cases_sort_by_onset_date_both_ways_and_by_name(officer_client, three_cases):
    assert names(officer_client.get(f"{API}/cases", {"reason": REASON, "sort": "-onset_date"})) == [
        "Ana Ruiz",
        "Bo Lin",
        "Chen Wei",
    ]
    assert names(officer_client.get(f"{API}/cases", {"reason": REASON, "sort": "onset_date"})) == [
        "Chen Wei",
        "Bo Lin",
        "Ana Ruiz",
    ]
    assert names(officer_client.get(f"{API}/cases", {"reason": REASON, "sort": "name"}))[0] == "Ana Ruiz"
    # Without a sort: newest recorded first, as before.
    assert names(officer_client.get(f"{API}/cases", {"reason": REASON}))[0] == "Chen Wei"


def test_an_unknown_sort_is_a_problem_listing_the_allowed_fields(officer_client, three_cases):
    response = officer_client.get(f"{API}/cases", {"reason": REASON, "sort": "-password"}, HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 422
    assert response["Content-Type"].startswith("application/problem+json")
    body = response.json()
    assert body["type"] == "urn:cityos:problem:validation-error"
    error = body["errors"][0]
    assert error["field"] == "query.sort" and error["code"] == "invalid_sort"
    assert "onset_date" in error["allowed"] and "-onset_date" in error["allowed"]
    assert "Sort by one of: ref, -ref," in error["message"] and "-onset_date" in error["message"]


def test_the_problem_is_in_the_callers_language(officer_client, three_cases):
    response = officer_client.get(f"{API}/cases", {"reason": REASON, "sort": "x"}, HTTP_ACCEPT_LANGUAGE="es")
    assert response.status_code == 422
    assert response.json()["errors"][0]["message"].startswith("Ordena por uno de: ref, -ref,")


def test_other_lists_sort_and_refuse_unknown_fields(officer_client, officer):
    for url in ("/follow-ups", "/declarations/flagged", "/tasks"):
        assert officer_client.get(f"{API}{url}", {"reason": REASON, "sort": "-day_of_birth"}).status_code == 422
    assert officer_client.get(f"{API}/tasks", {"reason": REASON, "sort": "-day"}).status_code == 200
    assert officer_client.get(f"{API}/follow-ups", {"reason": REASON, "sort": "contact_name"}).status_code == 200


def test_my_declarations_sort_by_day(client):
    from cityos.conftest import verified_client

    resident = ResidentFactory()
    for days in (3, 1, 2):
        Declaration.objects.create(person=resident, day=days_ago(days), symptoms=[])
    own = verified_client(resident)
    oldest_first = own.get(f"{API}/me/declarations", {"sort": "day"}).json()
    assert [d["day"] for d in oldest_first] == sorted(d["day"] for d in oldest_first)
    assert own.get(f"{API}/me/declarations", {"sort": "flagged"}).status_code == 422
