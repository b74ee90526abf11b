"""Lists answer {count, next, previous, results} with absolute links; bad limit/offset is a 422."""

from __future__ import annotations

import csv
import io
from collections.abc import Mapping
from typing import ClassVar

import pytest
from django.db import connection
from django.test import override_settings
from django.test.utils import CaptureQueriesContext
from ninja import Router, Schema
from ninja.testing import TestClient

from cityos.core.accounts.models import Role, User
from cityos.core.accounts.tests.factories import ResidentFactory, StaffFactory
from cityos.core.api.models import ApiToken
from cityos.core.api.pagination import Related, csv_export, paginate
from cityos.core.api.routers import accounts as accounts_router
from cityos.core.api.tests.conftest import assert_problem
from cityos.core.audit.models import AuditEntry

pytestmark = pytest.mark.django_db

LANGUAGES = "/api/v1/meta/languages"


def test_a_page_links_to_the_next_and_previous_pages(client):
    first = client.get(LANGUAGES, {"limit": 1}).json()
    assert first["count"] == 3
    assert [r["code"] for r in first["results"]] == ["en"]
    assert first["previous"] is None
    assert first["next"] == "http://testserver/api/v1/meta/languages?limit=1&offset=1"

    second = client.get(first["next"]).json()
    assert [r["code"] for r in second["results"]] == ["zh-hant"]
    assert second["previous"] == "http://testserver/api/v1/meta/languages?limit=1&offset=0"

    last = client.get(second["next"]).json()
    assert [r["code"] for r in last["results"]] == ["es"] and last["next"] is None


def test_links_keep_the_other_query_parameters(make_token, token_client):
    admin = StaffFactory(roles=[Role.ADMINISTRATOR])
    for _ in range(3):
        StaffFactory(roles=[Role.OPERATOR])
    client = token_client(make_token(owner=admin).secret)
    page = client.get("/api/v1/accounts/staff", {"role": "operator", "limit": 2}).json()
    assert page["count"] == 3
    assert page["next"].startswith("http://testserver/api/v1/accounts/staff?")
    assert "role=operator" in page["next"] and "offset=2" in page["next"]


def test_an_offset_past_the_end_is_an_empty_page(client):
    page = client.get(LANGUAGES, {"offset": 10}).json()
    assert page["results"] == [] and page["next"] is None and page["count"] == 3


def test_the_default_page_size_comes_from_settings(client):
    assert len(client.get(LANGUAGES).json()["results"]) == 3


@pytest.mark.parametrize(
    ("query", "code"),
    [
        ({"limit": 0}, "greater_than_equal"),
        ({"limit": 501}, "less_than_equal"),
        ({"limit": "ten"}, "int_parsing"),
        ({"offset": -1}, "greater_than_equal"),
        ({"offset": "1.5"}, "int_parsing"),
    ],
)
def test_bad_limit_or_offset_is_a_422_naming_the_parameter(client, query, code):
    body = assert_problem(client.get(LANGUAGES, query), 422)
    [error] = body["errors"]
    assert error["field"] == f"query.{next(iter(query))}"
    assert error["code"] == code


@override_settings(NINJA_PAGINATION_MAX_LIMIT=500)
def test_the_maximum_limit_is_accepted(client):
    assert client.get(LANGUAGES, {"limit": 500}).status_code == 200


def test_staff_reads_of_personal_data_in_a_list_are_audited(make_token, token_client):
    admin = StaffFactory(roles=[Role.ADMINISTRATOR])
    client = token_client(make_token(owner=admin).secret)
    page = client.get("/api/v1/accounts/staff").json()
    entry = AuditEntry.objects.get(action="read", object_type="accounts.User")
    assert entry.actor_id == admin.pk and entry.channel == "api"
    assert sorted(entry.changes["ids"]) == sorted(str(r["id"]) for r in page["results"])
    assert "email" in entry.fields


def test_a_list_whose_schema_says_which_personal_fields_it_shows_audits_only_those(
    make_token, token_client, monkeypatch
):
    monkeypatch.setattr(accounts_router.StaffOut, "shows_personal", frozenset({"email"}), raising=False)
    admin = StaffFactory(roles=[Role.ADMINISTRATOR])
    client = token_client(make_token(owner=admin).secret)
    client.get("/api/v1/accounts/staff")
    assert AuditEntry.objects.get(action="read", object_type="accounts.User").fields == ["email"]
    b"".join(client.get("/api/v1/accounts/staff", {"format": "csv"}).streaming_content)
    assert AuditEntry.objects.get(action="export", object_type="accounts.User").fields == ["email"]


def test_any_list_exports_as_csv_with_its_filters(make_token, token_client):
    admin = StaffFactory(roles=[Role.ADMINISTRATOR], username="zz-admin")
    StaffFactory(roles=[Role.OPERATOR], username="op-1")
    StaffFactory(roles=[Role.CASEWORKER], username="cw-1")
    client = token_client(make_token(owner=admin).secret)
    response = client.get("/api/v1/accounts/staff", {"format": "csv", "role": "operator", "limit": 1})
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    assert 'filename="staff.csv"' in response["Content-Disposition"]
    rows = list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode())))
    assert rows[0] == ["id", "username", "display_name", "email", "is_active", "roles"]
    # Every matching row, not one page.
    assert [r[1] for r in rows[1:]] == ["op-1"]
    assert rows[1][5] == "role=operator; department=; districts="
    assert AuditEntry.objects.filter(action="export", object_type="accounts.User").exists()


def test_an_unknown_format_is_a_422(client):
    body = assert_problem(client.get(LANGUAGES, {"format": "xml"}), 422)
    assert body["errors"][0]["field"] == "query.format"


def test_a_public_list_exports_as_csv(client):
    response = client.get(LANGUAGES, {"format": "csv"})
    lines = b"".join(response.streaming_content).decode().splitlines()
    assert lines[0] == "code,name,name_local" and len(lines) == 4


# --- Which personal fields a page's audit names: the operation's own item schema says ----------


class PersonOut(Schema):
    """Declares nothing: shows, as far as the audit knows, every declared personal field."""

    id: int
    username: str


class PersonWithEmailOut(PersonOut):
    email: str

    shows_personal: ClassVar[frozenset[str]] = frozenset({"email"})


class PersonNameOnlyOut(PersonOut):
    shows_personal: ClassVar[frozenset[str]] = frozenset()


def _lists_without_csv_export() -> TestClient:
    """Three paginated lists of people, none with ``csv_export``, differing only in item schema."""
    router = Router()

    @router.get("/plain", response=list[PersonOut])
    @paginate
    def plain(request):  # type: ignore[no-untyped-def]
        return User.objects.order_by("pk")

    @router.get("/email", response=list[PersonWithEmailOut])
    @paginate
    def with_email(request):  # type: ignore[no-untyped-def]
        return User.objects.order_by("pk")

    @router.get("/names", response={200: list[PersonNameOnlyOut]})
    @paginate
    def names(request):  # type: ignore[no-untyped-def]
        return User.objects.order_by("pk")

    return TestClient(router)


def test_a_page_without_csv_export_names_only_the_personal_fields_its_item_schema_shows():
    staff = StaffFactory(roles=[Role.ADMINISTRATOR])
    page = _lists_without_csv_export().get("/email", user=staff).json()
    entry = AuditEntry.objects.get(action="read", object_type="accounts.User")
    assert entry.fields == ["email"]
    assert entry.changes["ids"] == [str(row["id"]) for row in page["results"]]


def test_a_page_whose_item_schema_shows_no_personal_field_is_no_read():
    staff = StaffFactory(roles=[Role.ADMINISTRATOR])
    page = _lists_without_csv_export().get("/names", user=staff).json()
    assert page["count"] >= 1
    assert not AuditEntry.objects.filter(action="read").exists()


def test_a_page_whose_item_schema_declares_nothing_names_every_declared_personal_field():
    staff = StaffFactory(roles=[Role.ADMINISTRATOR])
    _lists_without_csv_export().get("/plain", user=staff)
    entry = AuditEntry.objects.get(action="read", object_type="accounts.User")
    assert entry.fields == ["email", "phone", "first_name", "last_name", "district"]


# --- Other records the items show: declared on the item schema, audited from the same rows -----


class TokenOut(Schema):
    """A token names its owner: the owner's name is personal data of another record."""

    id: int
    name: str
    owner_name: str

    shows_personal: ClassVar[frozenset[str]] = frozenset()
    shows_related: ClassVar[Mapping[str, Related]] = {"owner_id": Related(User, ("first_name", "last_name"))}

    @staticmethod
    def resolve_owner_name(token: ApiToken) -> str:
        return token.owner.get_full_name()


def _tokens_list() -> TestClient:
    router = Router()

    @router.get("/tokens", response=list[TokenOut])
    @csv_export(TokenOut, filename="tokens")
    @paginate
    def tokens(request):  # type: ignore[no-untyped-def]
        return ApiToken.objects.select_related("owner").order_by("pk")

    return TestClient(router)


@pytest.fixture
def owners(make_token) -> list[User]:
    """Ana owns the first two tokens, Bo the third."""
    ana, bo = StaffFactory(first_name="Ana"), StaffFactory(first_name="Bo")
    for owner in (ana, ana, bo):
        make_token(owner=owner)
    return [ana, bo]


def _list_selects(captured: CaptureQueriesContext) -> int:
    table = f'FROM "{ApiToken._meta.db_table}"'
    return sum(1 for q in captured.captured_queries if q["sql"].startswith("SELECT") and table in q["sql"])


def test_a_page_audits_the_related_records_its_items_show_each_once_in_one_entry(owners):
    staff = StaffFactory(roles=[Role.ADMINISTRATOR])
    tokens = _tokens_list()
    with CaptureQueriesContext(connection) as captured:
        tokens.get("/tokens?limit=2", user=staff)
    [entry] = AuditEntry.objects.filter(action="read")
    assert (entry.object_type, entry.changes["ids"], entry.fields) == (
        "accounts.User",
        [str(owners[0].pk)],
        ["first_name", "last_name"],
    )
    assert _list_selects(captured) == 2  # the count and the page; the owners are read off the page's rows
    tokens.get("/tokens?limit=2&offset=2", user=staff)
    assert AuditEntry.objects.filter(action="read").order_by("-pk")[0].changes["ids"] == [str(owners[1].pk)]


def test_an_export_audits_every_related_record_it_writes_from_the_rows_it_writes(owners):
    staff = StaffFactory(roles=[Role.ADMINISTRATOR])
    with CaptureQueriesContext(connection) as captured:
        response = _tokens_list().get("/tokens?format=csv&limit=1", user=staff)
    assert len(response.content.decode().splitlines()) == 4
    [entry] = AuditEntry.objects.filter(action__in=["read", "export"])
    assert (entry.action, entry.object_type) == ("export", "accounts.User")
    assert entry.changes["ids"] == [str(o.pk) for o in owners]
    assert _list_selects(captured) == 1


def test_related_records_shown_to_someone_not_staff_are_no_audited_read(owners):
    _tokens_list().get("/tokens", user=ResidentFactory())
    assert not AuditEntry.objects.filter(action="read").exists()


def test_a_related_declaration_needs_a_tuple_of_field_names():
    with pytest.raises(TypeError, match="tuple of field names"):
        Related(User, "name")  # type: ignore[arg-type]
