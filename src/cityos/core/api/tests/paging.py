"""Helpers for the tests of any app's paged lists (``core.api.pagination``): follow every page,
check the 422 of a bad ``limit`` or ``offset``, read what OpenAPI says a page holds."""

from __future__ import annotations

from typing import Any

from django.test import Client

# A ``limit`` or ``offset`` out of range and the pydantic code its 422 names.
BAD_PAGING: list[tuple[dict[str, int], str]] = [
    ({"limit": 0}, "greater_than_equal"),
    ({"limit": 501}, "less_than_equal"),
    ({"offset": -1}, "greater_than_equal"),
]


def every_page(client: Client, url: str, params: dict[str, Any]) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """Each page's body and every result, following ``next`` from the first page."""
    response = client.get(url, params)
    assert response.status_code == 200, response.content
    pages = [response.json()]
    while pages[-1]["next"]:
        response = client.get(pages[-1]["next"])
        assert response.status_code == 200, response.content
        pages.append(response.json())
    return pages, [row for page in pages for row in page["results"]]


def assert_bad_paging_refused(response: Any, query: dict[str, int], code: str) -> None:
    """``response`` is a 422 problem whose one error names the parameter of ``query`` and ``code``."""
    assert response.status_code == 422 and response["Content-Type"].startswith("application/problem+json")
    [error] = response.json()["errors"]
    assert (error["field"], error["code"]) == (f"query.{next(iter(query))}", code)


def documented_page(client: Client, path: str) -> tuple[set[str], set[str], str]:
    """What the OpenAPI document says of the GET list at ``path``: its query parameters, the
    properties of the page it answers, and the name of the schema of one result."""
    spec = client.get("/api/v1/openapi.json").json()
    operation = spec["paths"][path]["get"]
    page = operation["responses"]["200"]["content"]["application/json"]["schema"]["$ref"].rsplit("/", 1)[-1]
    properties = spec["components"]["schemas"][page]["properties"]
    item = properties["results"]["items"]["$ref"].rsplit("/", 1)[-1]
    return {p["name"] for p in operation["parameters"]}, set(properties), item
