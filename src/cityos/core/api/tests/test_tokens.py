"""Machine tokens: created by staff, shown once, stored as a hash, scoped, revocable."""

from __future__ import annotations

import hashlib
from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone

from cityos.core.accounts.models import Role
from cityos.core.accounts.tests.factories import ResidentFactory, StaffFactory
from cityos.core.api.models import ApiToken
from cityos.core.api.services import issue_token, revoke_token
from cityos.core.api.tests.conftest import assert_problem
from cityos.core.audit.models import AuditEntry

pytestmark = pytest.mark.django_db

ME = "/api/v1/accounts/me"


# --- Issuing ---------------------------------------------------------------------------------


def test_only_the_sha256_of_a_token_and_a_short_prefix_are_stored(make_token):
    issued = make_token()
    token = ApiToken.objects.get(pk=issued.token.pk)
    assert token.token_hash == hashlib.sha256(issued.secret.encode()).hexdigest()
    assert issued.secret.startswith(f"cos_{token.prefix}_") and len(token.prefix) == 8
    stored = [str(v) for v in ApiToken.objects.filter(pk=token.pk).values().get().values()]
    assert issued.secret not in stored
    assert token.display_prefix == f"cos_{token.prefix}…"


def test_an_administrator_creates_a_token_for_a_service_account_and_sees_it_once(staff_client):
    admin, client = staff_client(Role.ADMINISTRATOR)
    service = StaffFactory(username="air-gateway", roles=[Role.OPERATOR])
    response = client.post(
        reverse("tokens:create"),
        {"name": "Air sensors", "owner": service.pk, "scopes": ["read", "geo:write"]},
    )
    assert response.status_code == 200
    secret = response.context["secret"]
    assert secret in response.content.decode()
    assert "no-store" in response["Cache-Control"] or "no-cache" in response["Cache-Control"]
    token = ApiToken.objects.get(name="Air sensors")
    assert token.owner == service and token.created_by == admin
    assert token.scopes == ["geo:write", "read"]
    # Never again: the list shows the prefix only.
    listing = client.get(reverse("tokens:list")).content.decode()
    assert token.display_prefix in listing and secret not in listing
    # The creation is in the audit log, without the hash.
    entry = AuditEntry.objects.get(object_type="api.ApiToken", action="create")
    assert entry.actor_id == admin.pk and "token_hash" not in entry.changes


def test_staff_who_are_not_administrators_create_tokens_only_for_themselves(staff_client):
    operator, client = staff_client(Role.OPERATOR)
    colleague = StaffFactory(roles=[Role.OPERATOR])
    response = client.post(reverse("tokens:create"), {"name": "Mine", "owner": colleague.pk, "scopes": ["read"]})
    assert response.status_code == 200
    assert "owner" in response.context["form"].errors
    assert not ApiToken.objects.exists()
    response = client.post(reverse("tokens:create"), {"name": "Mine", "owner": operator.pk, "scopes": ["read"]})
    assert ApiToken.objects.get().owner == operator


@pytest.mark.parametrize(
    ("fields", "bad_field"),
    [
        ({"name": "", "scopes": ["read"]}, "name"),
        ({"name": "x", "scopes": []}, "scopes"),
        ({"name": "x", "scopes": ["everything"]}, "scopes"),
        ({"name": "x", "scopes": ["read"], "expires_on": "2000-01-01"}, "expires_on"),
        ({"name": "x", "scopes": ["read"], "expires_on": "not a date"}, "expires_on"),
    ],
)
def test_the_token_form_names_the_bad_field_and_saves_nothing(staff_client, fields, bad_field):
    user, client = staff_client(Role.OPERATOR)
    response = client.post(reverse("tokens:create"), {"owner": user.pk, **fields})
    assert response.status_code == 200
    assert bad_field in response.context["form"].errors
    assert not ApiToken.objects.exists()


def test_the_service_refuses_tokens_for_residents_and_unknown_scopes():
    admin = StaffFactory(roles=[Role.ADMINISTRATOR])
    with pytest.raises(ValidationError) as error:
        issue_token(name="x", owner=ResidentFactory(), scopes=["nope"], created_by=admin)
    assert set(error.value.message_dict) == {"owner", "scopes"}
    assert not ApiToken.objects.exists()


def test_residents_cannot_open_the_token_pages(client):
    client.force_login(ResidentFactory())
    assert client.get(reverse("tokens:list")).status_code == 403


# --- Using ----------------------------------------------------------------------------------


def test_a_bearer_token_acts_as_its_owner(make_token, token_client):
    issued = make_token()
    response = token_client(issued.secret).get(ME)
    assert response.status_code == 200
    assert response.json()["id"] == issued.token.owner_id
    assert response.json()["roles"] == ["operator"]
    issued.token.refresh_from_db()
    assert issued.token.last_used_at is not None


def test_changes_made_with_a_token_are_audited_as_its_owner_via_the_token(make_token, token_client):
    issued = make_token(name="Translator bot")
    response = token_client(issued.secret).patch(ME, {"language": "es"}, content_type="application/json")
    assert response.status_code == 200
    entry = AuditEntry.objects.filter(object_type="accounts.User", action="update").latest("id")
    assert entry.changes["language"] == {"from": "en", "to": "es"}
    assert entry.actor_id == issued.token.owner_id
    assert entry.channel == "api"
    assert entry.actor_label.endswith("via token Translator bot")


@pytest.mark.parametrize("secret", ["cos_nope", "not-even-ours", "cos_" + "x" * 300])
def test_an_unknown_token_is_refused_not_ignored(client, secret):
    body = assert_problem(client.get("/api/v1/meta/languages", headers={"Authorization": f"Bearer {secret}"}), 401)
    assert body["type"] == "urn:cityos:problem:invalid-token"


def test_a_revoked_token_is_refused(make_token, token_client):
    issued = make_token()
    revoke_token(issued.token, by=issued.token.owner, reason="Gateway retired")
    response = token_client(issued.secret).get(ME)
    body = assert_problem(response, 401)
    assert body["type"] == "urn:cityos:problem:invalid-token"
    assert 'error="invalid_token"' in response["WWW-Authenticate"]


def test_an_expired_token_is_refused(make_token, token_client):
    issued = make_token(expires_at=timezone.now() + timedelta(hours=1))
    ApiToken.objects.filter(pk=issued.token.pk).update(expires_at=timezone.now() - timedelta(seconds=1))
    assert_problem(token_client(issued.secret).get(ME), 401)


def test_a_token_whose_owner_left_is_refused(make_token, token_client):
    issued = make_token()
    issued.token.owner.is_active = False
    issued.token.owner.save()
    assert_problem(token_client(issued.secret).get(ME), 401)


def test_a_read_scope_reads_but_does_not_write(make_token, token_client):
    client = token_client(make_token(scopes=("read",)).secret)
    assert client.get(ME).status_code == 200
    body = assert_problem(client.patch(ME, {"language": "es"}, content_type="application/json"), 403)
    assert body["type"] == "urn:cityos:problem:insufficient-scope"
    assert "accounts:write" in body["detail"]


def test_a_module_scope_opens_that_module_only(make_token, token_client):
    client = token_client(make_token(scopes=("meta:read", "accounts:write")).secret)
    assert client.get("/api/v1/meta/languages").status_code == 200
    assert client.patch(ME, {"language": "es"}, content_type="application/json").status_code == 200
    assert client.get("/api/v1/").status_code == 200  # the index is open to any token
    assert_problem(client.get("/api/v1/geo/places"), 403)


def test_a_scope_never_grants_more_than_the_owners_roles(make_token, token_client):
    client = token_client(make_token(scopes=("write",), roles=(Role.OPERATOR,)).secret)
    assert_problem(client.get("/api/v1/accounts/staff"), 403)


# --- Revoking -------------------------------------------------------------------------------


def test_revoking_needs_a_reason_which_goes_to_the_audit_log(staff_client, make_token):
    admin, client = staff_client(Role.ADMINISTRATOR)
    issued = make_token()
    url = reverse("tokens:revoke", args=[issued.token.pk])
    response = client.post(url, {"reason": "  "})
    assert response.status_code == 200 and "reason" in response.context["form"].errors
    issued.token.refresh_from_db()
    assert issued.token.revoked_at is None

    response = client.post(url, {"reason": "Laptop stolen"})
    assert response.status_code == 302
    issued.token.refresh_from_db()
    assert issued.token.revoked_at and issued.token.revoked_by == admin
    assert issued.token.revoked_reason == "Laptop stolen"
    entry = AuditEntry.objects.get(object_type="api.ApiToken", action="update")
    assert entry.reason == "Laptop stolen" and entry.actor_id == admin.pk


def test_staff_cannot_see_or_revoke_someone_elses_token(staff_client, make_token):
    _operator, client = staff_client(Role.OPERATOR)
    issued = make_token()
    assert issued.token.display_prefix not in client.get(reverse("tokens:list")).content.decode()
    assert client.post(reverse("tokens:revoke", args=[issued.token.pk]), {"reason": "mine now"}).status_code == 404


def test_a_token_is_revoked_once():
    owner = StaffFactory(roles=[Role.OPERATOR])
    token = issue_token(name="x", owner=owner, scopes=["read"], created_by=owner).token
    revoke_token(token, by=owner, reason="done")
    with pytest.raises(ValidationError):
        revoke_token(token, by=owner, reason="again")
