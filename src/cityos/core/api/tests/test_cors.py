"""CORS: browser apps on other sites may use the open APIs (/api/v1/, /sta/, /open311/v2/) from any
origin, never with credentials; pages and the back office get no CORS at all, and a cookie sent
from another site still cannot write."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest
from django.test import Client

from cityos.core.api.tests.conftest import assert_problem

pytestmark = pytest.mark.django_db

ORIGIN = "https://app.example"
ME = "/api/v1/accounts/me"
# One address of each open API, as third-party clients call them.
API_ADDRESSES = ["/api/v1/geo/places", "/sta/v1.1/Things", "/open311/v2/services.json"]
PAGES = ["/", "/places/", "/accounts/sign-in/", "/admin/login/", "/api/docs", "/api-tokens/"]


def preflight(client: Client, path: str, method: str = "POST", headers: str = "authorization, content-type"):
    return client.options(
        path,
        headers={"Origin": ORIGIN, "Access-Control-Request-Method": method, "Access-Control-Request-Headers": headers},
    )


@pytest.mark.parametrize("path", API_ADDRESSES)
def test_a_preflight_to_an_open_api_is_answered_and_cached(client, path):
    response = preflight(client, path)
    assert response.status_code == 200
    assert response["Access-Control-Allow-Origin"] == "*"
    assert {"GET", "POST", "PUT", "PATCH", "DELETE"} <= {
        m.strip() for m in response["Access-Control-Allow-Methods"].split(",")
    }
    allowed = {h.strip() for h in response["Access-Control-Allow-Headers"].split(",")}
    assert {"authorization", "content-type", "accept-language", "prefer"} <= allowed
    assert int(response["Access-Control-Max-Age"]) >= 3600
    assert "Access-Control-Allow-Credentials" not in response


@pytest.mark.parametrize("path", API_ADDRESSES)
def test_a_simple_request_to_an_open_api_may_be_read_by_any_origin(client, path):
    response = client.get(path, headers={"Origin": ORIGIN})
    assert response.status_code == 200, response.content
    assert response["Access-Control-Allow-Origin"] == "*"
    exposed = {h.strip().lower() for h in response["Access-Control-Expose-Headers"].split(",")}
    assert {"location", "retry-after", "link", "x-ratelimit-remaining", "www-authenticate"} <= exposed
    assert "Access-Control-Allow-Credentials" not in response


def test_errors_carry_cors_too_so_a_browser_app_can_read_them(client):
    response = client.get("/api/v1/geo/places?limit=abc", headers={"Origin": ORIGIN})
    assert_problem(response, 422)
    assert response["Access-Control-Allow-Origin"] == "*"
    response = client.get("/open311/v2/requests/nothing-1.json", headers={"Origin": ORIGIN})
    assert response.status_code == 404 and response["Access-Control-Allow-Origin"] == "*"


@pytest.mark.parametrize("path", PAGES)
def test_pages_and_the_back_office_get_no_cors(client, path):
    response = client.get(path, headers={"Origin": ORIGIN})
    assert "Access-Control-Allow-Origin" not in response
    response = preflight(client, path)
    assert "Access-Control-Allow-Origin" not in response
    assert "Access-Control-Allow-Methods" not in response


def test_a_token_works_across_origins(make_token):
    issued = make_token()
    client = Client(enforce_csrf_checks=True)
    response = client.patch(
        ME,
        {"language": "es"},
        content_type="application/json",
        headers={"Origin": ORIGIN, "Authorization": f"Bearer {issued.secret}"},
    )
    assert response.status_code == 200, response.content
    assert response["Access-Control-Allow-Origin"] == "*"


@pytest.fixture
def signed_in(resident):
    """A resident's browser: its session cookie goes wherever a page makes it post."""
    client = Client(enforce_csrf_checks=True)
    client.force_login(resident)
    client.get("/")  # the CSRF cookie, as a page sets it
    return client


def test_another_sites_page_cannot_write_with_the_session_cookie(signed_in, resident):
    response = signed_in.patch(ME, {"language": "es"}, content_type="application/json", headers={"Origin": ORIGIN})
    assert assert_problem(response, 403)["type"] == "urn:cityos:problem:csrf-failed"
    # Even holding the CSRF token (it cannot read it, but say it guessed), the foreign Origin is refused.
    token = signed_in.cookies["csrftoken"].value
    response = signed_in.patch(
        ME, {"language": "es"}, content_type="application/json", headers={"Origin": ORIGIN, "X-CSRFToken": token}
    )
    assert assert_problem(response, 403)["type"] == "urn:cityos:problem:csrf-failed"
    assert "Access-Control-Allow-Credentials" not in response
    resident.refresh_from_db()
    assert resident.language == "en"


def test_nor_write_sensorthings_with_it(signed_in):
    response = signed_in.post(
        "/sta/v1.1/Things", {"name": "Fake"}, content_type="application/json", headers={"Origin": ORIGIN}
    )
    assert response.status_code == 403 and b"CSRF" in response.content


def test_the_own_site_still_writes_with_its_session_and_token(signed_in, resident):
    token = signed_in.cookies["csrftoken"].value
    response = signed_in.patch(
        ME,
        {"language": "es"},
        content_type="application/json",
        headers={"Origin": "http://testserver", "X-CSRFToken": token},
    )
    assert response.status_code == 200, response.content
    resident.refresh_from_db()
    assert resident.language == "es"


def _cors_settings(origins: str | None) -> str:
    """CORS settings as a fresh process reads them with CITYOS_CORS_ORIGINS set (or not)."""
    env = {k: v for k, v in os.environ.items() if k != "CITYOS_CORS_ORIGINS"}
    if origins is not None:
        env["CITYOS_CORS_ORIGINS"] = origins
    code = "from cityos import settings as s; print(s.CORS_ALLOW_ALL_ORIGINS, s.CORS_ALLOWED_ORIGINS)"
    done = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True)
    return done.stdout.strip()


def test_the_allowed_origins_are_a_setting():
    assert _cors_settings(None) == "True []"
    assert _cors_settings("https://a.example, https://b.example") == "False ['https://a.example', 'https://b.example']"
    assert _cors_settings("") == "False []"


def test_an_allow_list_names_the_origin_and_refuses_others(client, settings):
    settings.CORS_ALLOW_ALL_ORIGINS = False
    settings.CORS_ALLOWED_ORIGINS = [ORIGIN]
    allowed = client.get("/api/v1/geo/places", headers={"Origin": ORIGIN})
    assert allowed["Access-Control-Allow-Origin"] == ORIGIN and "origin" in allowed["Vary"].lower()
    other = client.get("/api/v1/geo/places", headers={"Origin": "https://elsewhere.example"})
    assert other.status_code == 200 and "Access-Control-Allow-Origin" not in other
    refused = client.options(
        "/api/v1/geo/places",
        headers={"Origin": "https://elsewhere.example", "Access-Control-Request-Method": "POST"},
    )
    assert "Access-Control-Allow-Origin" not in refused
