"""An API token's name is kept without bidi controls, on every path that names a token, and a
name stored before is shown isolated in the pages' sentences."""

from __future__ import annotations

import pytest
from django.urls import reverse

from cityos.core.accounts.models import Role
from cityos.core.api.models import ApiToken
from cityos.core.api.services import issue_token

pytestmark = pytest.mark.django_db
RLO = "\u202e"  # RIGHT-TO-LEFT OVERRIDE
LRI, PDI = "\u2066", "\u2069"  # LEFT-TO-RIGHT ISOLATE, POP DIRECTIONAL ISOLATE


def test_a_token_named_on_the_page_is_kept_without_the_controls_and_shown_isolated(staff_client):
    admin, client = staff_client(Role.ADMINISTRATOR)
    response = client.post(
        reverse("tokens:create"), {"name": f"Air {RLO}gateway{LRI}", "owner": admin.pk, "scopes": ["read"]}
    )
    assert response.status_code == 200, response.context["form"].errors
    assert ApiToken.objects.get().name == "Air gateway"
    assert "The token “<bdi>Air gateway</bdi>” is ready." in response.content.decode()


def test_a_name_of_nothing_but_controls_is_no_name(staff_client):
    admin, client = staff_client(Role.ADMINISTRATOR)
    response = client.post(reverse("tokens:create"), {"name": f"{RLO}{PDI}", "owner": admin.pk, "scopes": ["read"]})
    assert response.status_code == 200 and "name" in response.context["form"].errors
    assert not ApiToken.objects.exists()


def test_the_service_keeps_names_without_the_controls_for_every_caller(make_token):
    # Device tokens, scripts and tests name tokens through the service, not the page.
    owner = make_token(roles=(Role.ADMINISTRATOR,)).token.owner
    issued = issue_token(name=f" {RLO}Gauge 4 ", owner=owner, scopes=["read"], created_by=owner)
    assert issued.token.name == "Gauge 4"


def test_a_name_stored_with_an_override_keeps_the_citys_words_in_order(staff_client, make_token):
    admin, client = staff_client(Role.ADMINISTRATOR)
    token = make_token(admin).token
    ApiToken.objects.filter(pk=token.pk).update(name=f"Old {RLO}gateway")  # stored before the cleaning
    listing = client.get(reverse("tokens:list")).content.decode()
    assert f'Revoke<span class="visually-hidden"> <bdi>Old {RLO}gateway</bdi></span>' in listing
    url = reverse("tokens:revoke", args=[token.pk])
    assert f"<h1>Revoke the token “<bdi>Old {RLO}gateway</bdi>”</h1>" in client.get(url).content.decode()
    revoked = client.post(url, {"reason": "Replaced"}, follow=True).content.decode()
    assert f"The token “\u2068Old {RLO}gateway\u2069” is revoked." in revoked
