"""How many bin reports an hour: a shared address (a library, a carrier's NAT) may send many, a
signed-in resident has their own count, and one bin takes only so many reports from everyone
together, on the form, the API and Open311 alike."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from cityos.core.accounts.tests.factories import ResidentFactory
from cityos.core.api.tests.conftest import assert_problem
from cityos.core.ratelimit import HOUR
from cityos.waste.models import BinReport
from cityos.waste.tests.factories import BinFactory

pytestmark = pytest.mark.django_db

API = "/api/v1/waste"
OPEN311 = "/open311/v2/requests.json"
LIBRARY = "203.0.113.5"


def report_page(client: Client, ref: str, **headers: str) -> Any:
    return client.post(reverse("waste:report"), {"bin": ref, "problem": "full"}, headers=headers)


def test_residents_behind_one_address_report_many_bins_in_an_hour():
    bins = [BinFactory().ref for _ in range(40)]  # more than the old 30 an address
    library = Client(REMOTE_ADDR=LIBRARY)
    assert {report_page(library, ref).status_code for ref in bins} == {302}
    assert BinReport.objects.count() == 40


def test_a_signed_in_resident_is_not_refused_for_what_others_at_the_address_sent(settings):
    settings.CITYOS_WASTE_REPORT_LIMIT_PER_HOUR = "1"
    first, second = BinFactory(), BinFactory()
    library = Client(REMOTE_ADDR=LIBRARY)
    assert report_page(library, first.ref).status_code == 302
    assert report_page(library, second.ref).status_code == 429
    resident = Client(REMOTE_ADDR=LIBRARY)
    resident.force_login(ResidentFactory())
    assert report_page(resident, second.ref).status_code == 302


def test_one_bin_takes_only_so_many_reports_an_hour_from_every_address_and_channel(settings):
    settings.CITYOS_WASTE_REPORT_LIMIT_PER_BIN_PER_HOUR = "3"
    target, other = BinFactory(ref="B-0012"), BinFactory(ref="B-0013")
    assert report_page(Client(REMOTE_ADDR="198.51.100.1"), "B-0012").status_code == 302
    by_api = Client(REMOTE_ADDR="198.51.100.2").post(
        f"{API}/reports", {"bin": "b 12", "problem": "full"}, content_type="application/json"
    )
    assert by_api.status_code == 201  # the same bin, however its reference was typed
    by_311 = Client(REMOTE_ADDR="198.51.100.3").post(
        OPEN311, {"service_code": "waste-bin-full", "attribute[bin]": "B-0012", "address_string": "Main St"}
    )
    assert by_311.status_code == 201
    # The fourth report of B-0012 this hour is refused wherever it comes from.
    page = report_page(Client(REMOTE_ADDR="198.51.100.4"), "B-0012", **{"Accept-Language": "zh-Hant"})
    assert page.status_code == 429 and 0 < int(page["Retry-After"]) <= HOUR
    assert "此垃圾桶在過去一小時內已被回報多次" in page.content.decode()
    api = Client(REMOTE_ADDR="198.51.100.5").post(
        f"{API}/reports", {"bin": "B-0012", "problem": "full"}, content_type="application/json"
    )
    assert_problem(api, 429)
    assert 0 < int(api["Retry-After"]) <= HOUR
    refused_311 = Client(REMOTE_ADDR="198.51.100.6").post(
        OPEN311, {"service_code": "waste-bin-full", "attribute[bin]": "B-0012", "address_string": "Main St"}
    )
    assert refused_311.status_code == 429 and refused_311["Retry-After"]
    assert refused_311.json()[0]["code"] == 429
    assert BinReport.objects.get(bin=target).count == 3
    # Other bins are reported as before, from those same addresses.
    assert report_page(Client(REMOTE_ADDR="198.51.100.4"), other.ref).status_code == 302
