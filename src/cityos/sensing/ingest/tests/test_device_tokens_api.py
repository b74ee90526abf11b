"""/api/v1/sensing/device-tokens pages like every list: newest first, ties by id, ``next`` links."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client
from django.utils import timezone

from cityos.conftest import verified_client
from cityos.core.accounts.models import User
from cityos.core.api.models import ApiToken
from cityos.core.audit.models import AuditEntry
from cityos.sensing.ingest import services
from cityos.sensing.models import Datastream

pytestmark = pytest.mark.django_db
URL = "/api/v1/sensing/device-tokens"


def every_page(client: Client, params: dict[str, Any]) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    response = client.get(URL, params)
    assert response.status_code == 200, response.content
    pages = [response.json()]
    while pages[-1]["next"]:
        pages.append(client.get(pages[-1]["next"]).json())
    return pages, [row for page in pages for row in page["results"]]


def issue(operator: User, datastream: Datastream, count: int) -> list[int]:
    return [
        services.issue_device_token(name=f"gauge {n}", datastream_ids=[datastream.pk], by=operator).issued.token.pk
        for n in range(count)
    ]


def test_device_tokens_page_newest_first(temperature: Datastream, operator: User) -> None:
    ids = issue(operator, temperature, 5)
    pages, rows = every_page(verified_client(operator), {"limit": 2})
    assert [len(p["results"]) for p in pages] == [2, 2, 1] and {p["count"] for p in pages} == {5}
    assert pages[0]["next"].startswith(f"http://testserver{URL}?") and pages[0]["previous"] is None
    assert [r["id"] for r in rows] == ids[::-1]
    assert rows[0] == {
        "id": ids[-1],
        "name": "gauge 4",
        "prefix": ApiToken.objects.get(pk=ids[-1]).prefix,
        "active": True,
        "datastream_ids": [temperature.pk],
    }


def test_tokens_made_at_the_same_moment_keep_one_order_across_pages(temperature: Datastream, operator: User) -> None:
    ids = issue(operator, temperature, 5)
    ApiToken.objects.filter(pk__in=ids).update(created_at=timezone.now())
    _pages, rows = every_page(verified_client(operator), {"limit": 2})
    assert [r["id"] for r in rows] == sorted(ids, reverse=True)


@pytest.mark.parametrize("query", [{"limit": 0}, {"limit": 501}, {"offset": -1}])
def test_a_bad_limit_or_offset_is_a_422(temperature: Datastream, operator: User, query: dict[str, int]) -> None:
    response = verified_client(operator).get(URL, query)
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == f"query.{next(iter(query))}"


def test_listing_tokens_is_no_read_of_personal_data(temperature: Datastream, operator: User) -> None:
    issue(operator, temperature, 2)
    assert verified_client(operator).get(URL).status_code == 200
    assert not AuditEntry.objects.filter(action="read").exists()
