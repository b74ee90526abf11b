"""The public dashboard is served from the cache per language, with ETag / Last-Modified for
conditional GETs; the hourly job drops and re-renders it."""

from __future__ import annotations

import datetime
import re

import pytest
from django.core.cache import cache
from django.test import Client

from cityos.epi import refresh, selectors, tasks
from cityos.epi.models import CaseCount
from cityos.epi.tests.factories import daily_cases, district

pytestmark = pytest.mark.django_db
START = datetime.date(2026, 1, 1)


@pytest.fixture
def refreshed():
    selectors.forget_dashboard()  # another test's snapshot version may be memoised
    big = district("big", 200_000)
    daily_cases(big, START, [20 + i for i in range(60)])
    snapshot = refresh.refresh_dashboard(START + datetime.timedelta(days=59), seed=1)
    selectors.forget_dashboard()
    return snapshot


def test_a_reload_with_the_etag_or_date_is_a_bodiless_304(client, refreshed):
    first = client.get("/epi/")
    assert first.status_code == 200
    etag, modified = first["ETag"], first["Last-Modified"]
    assert etag.startswith('"') and modified.endswith("GMT")
    assert "no-cache" in first["Cache-Control"] and "private" in first["Cache-Control"]
    again = client.get("/epi/", HTTP_IF_NONE_MATCH=etag)
    assert again.status_code == 304 and again.content == b"" and again["ETag"] == etag
    assert client.get("/epi/", HTTP_IF_MODIFIED_SINCE=modified).status_code == 304
    # Another language is another page, with its own tag.
    assert client.get("/epi/", HTTP_ACCEPT_LANGUAGE="es")["ETag"] != etag


def test_a_refresh_changes_the_etag_and_the_page(client, refreshed, django_capture_on_commit_callbacks):
    etag = client.get("/epi/")["ETag"]
    CaseCount.objects.filter(district__code="big").update(local=1000)
    with django_capture_on_commit_callbacks(execute=True):
        refresh.refresh_dashboard(START + datetime.timedelta(days=59), seed=1)
    fresh = client.get("/epi/", HTTP_IF_NONE_MATCH=etag)
    assert fresh.status_code == 200 and fresh["ETag"] != etag
    assert "7000" in fresh.content.decode()


def test_each_visitor_gets_their_own_csrf_token_in_the_cached_page(refreshed, django_assert_num_queries):
    tokens = []
    for _ in range(2):
        visitor = Client(enforce_csrf_checks=True)
        page = visitor.get("/epi/").content.decode()
        assert "cityosCsrfTokenPlaceholder" not in page
        token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page).group(1)
        tokens.append(token)
        # The language switcher on the cached page works with the visitor's own token.
        switched = visitor.post("/language/", {"language": "es", "next": "/epi/", "csrfmiddlewaretoken": token})
        assert switched.status_code == 302
    assert tokens[0] != tokens[1]
    with django_assert_num_queries(0):
        assert Client().get("/epi/").status_code == 200


def test_the_hourly_job_renders_the_pages_again_in_every_language(settings, refreshed):
    daily_cases(district("other", 10_000), START, [1] * 60)
    cache.clear()
    tasks.refresh_dashboard.call()
    for code, _name in settings.LANGUAGES:
        assert cache.get(selectors.dashboard_cache_key(code, selectors.dashboard_version().stamp))


def test_a_refresh_by_another_process_shows_once_its_version_is_read(client, refreshed, monkeypatch):
    from django.utils import timezone

    from cityos.epi.models import DashboardSnapshot

    assert "2031-01-15" not in client.get("/epi/").content.decode()  # cached in this process
    # The worker, in another process with no cache shared with this one, stores a newer snapshot.
    data = {**refreshed.data, "as_of": "2031-01-15"}
    DashboardSnapshot.objects.filter(pk=refreshed.pk).update(data=data, computed_at=timezone.now())
    monkeypatch.setattr(selectors, "_version_memo", None)  # VERSION_TTL_SECONDS later

    page = client.get("/epi/").content.decode()

    assert "2031-01-15" in page
