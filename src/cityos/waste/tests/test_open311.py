"""Bin reports through Open311 GeoReport v2, read by an existing client of the standard
(``georeport``, in JSON and in XML) from a live server, and posted form-encoded as 311 apps do."""

from __future__ import annotations

from typing import Any

import pytest
import requests
import xmltodict
from django.core.cache import cache
from georeport import GeoReport

from cityos.core.notifications.models import Message
from cityos.waste import services
from cityos.waste.models import BinReport, ReportResolution
from cityos.waste.tests.conftest import install_follow_up_text
from cityos.waste.tests.factories import BinFactory

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def city(live_server: Any) -> dict[str, Any]:
    cache.clear()
    install_follow_up_text()
    root = f"{live_server.url}/open311/v2"
    return {
        "root": root,
        "json": GeoReport(root),
        "xml": GeoReport(root, output_format="xml"),
        "corner": BinFactory(ref="MAIN-12", latitude=40.7128, longitude=-73.9060, address="1 Main St"),
        "far": BinFactory(ref="FAR-99", latitude=40.7300, longitude=-73.9300),
    }


def post(city: dict[str, Any], **data: str) -> requests.Response:
    return requests.post(f"{city['root']}/requests.json", data=data, timeout=10)


def test_a_311_client_lists_the_bin_services_and_their_question(city):
    listed = {s["service_code"]: s for s in city["json"].get_service_list()}
    assert {"waste-bin-full", "waste-bin-damaged", "waste-bin-other"} <= set(listed)
    full = listed["waste-bin-full"]
    assert (full["service_name"], full["group"], full["metadata"]) == (
        "Full or overflowing bin",
        "Waste collection",
        True,
    )
    as_xml = {s["service_code"] for s in city["xml"].get_service_list()}
    assert as_xml == set(listed)
    definition = city["json"].get_service_definition("waste-bin-full")
    assert [a["code"] for a in definition["attributes"]] == ["bin"]
    assert city["xml"].get_service_definition("waste-bin-full")["attributes"]["attribute"]["code"] == "bin"


def test_a_request_by_reference_or_by_place_becomes_the_bins_report(city):
    by_ref = post(city, service_code="waste-bin-full", address_string="Main St", **{"attribute[bin]": "main-12"})
    assert by_ref.status_code == 201
    request_id = by_ref.json()[0]["service_request_id"]
    report = BinReport.objects.get()
    assert request_id == f"bin-{report.pk}" and report.channel == "open311" and report.bin.ref == "MAIN-12"
    # No reference: the bin nearest the point (within 50 m) is the one reported; a repeat joins its report.
    by_place = post(
        city, service_code="waste-bin-full", lat="40.71283", long="-73.90605", description="Bags beside it. " * 50
    )
    assert by_place.json()[0]["service_request_id"] == request_id
    assert by_place.json()[0]["service_notice"] == (
        "This bin was already reported; your request was added to that report."
    )
    report.refresh_from_db()
    assert report.count == 2 and report.note.startswith("Bags beside it.") and len(report.note) == 500
    nowhere = post(city, service_code="waste-bin-damaged", lat="40.75", long="-73.95")
    assert nowhere.status_code == 400
    assert nowhere.json() == [
        {
            "code": 400,
            "description": "attribute[bin]: There is no bin within 50 m of this place. Give the bin's reference "
            "from its sticker.",
        }
    ]
    unknown = post(city, service_code="waste-bin-full", address_string="x", **{"attribute[bin]": "B-7777"})
    assert unknown.json()[0]["description"].startswith("attribute[bin]: We do not know the bin “B-7777”.")
    assert BinReport.objects.count() == 1


def test_a_311_client_follows_its_request_until_the_bin_is_emptied(city):
    made = post(
        city,
        service_code="waste-bin-full",
        address_string="1 Main St",
        description="Ask Mrs Lee at no. 4",
        phone="+12125550142",
        **{"attribute[bin]": "MAIN-12"},
    ).json()[0]
    assert made["service_notice"] == "We will text you once the bin has been emptied."
    made = made["service_request_id"]
    found = city["json"].get_service_request(made)
    assert (found["status"], found["service_code"], found["address"]) == ("open", "waste-bin-full", "1 Main St")
    assert (found["lat"], found["long"]) == (40.7128, -73.906)
    assert found["description"] == ""  # residents' words (personal data) are not published
    assert city["json"].get_service_requests(status="closed") == []

    report = BinReport.objects.get()
    services.resolve_report(report, ReportResolution.COLLECTED, user=None)
    closed = city["json"].get_service_requests(status="closed", service_code="waste-bin-full")
    assert [(r["service_request_id"], r["status"], r["status_notes"]) for r in closed] == [
        (made, "closed", "The bin was emptied.")
    ]
    as_xml = city["xml"].get_service_request(made)
    assert (as_xml["service_request_id"], as_xml["status"]) == (made, "closed")
    # The number left with the request was texted once, then forgotten.
    assert Message.objects.get().address == "+12125550142"
    report.refresh_from_db()
    assert report.phone == ""


def test_a_311_apps_photo_link_reaches_the_planners_but_is_not_published(city):
    bad = post(
        city,
        service_code="waste-bin-damaged",
        address_string="x",
        media_url="file:///etc/passwd",
        **{"attribute[bin]": "MAIN-12"},
    )
    assert bad.status_code == 400
    assert bad.json()[0]["description"].startswith(
        "media_url: Give the photo's public web address, starting with https://"
    )
    nul = post(city, service_code="waste-bin-damaged", address_string="x", description="a\x00b")
    assert nul.status_code == 400 and nul.json()[0]["description"] == "Null characters are not allowed."
    made = post(
        city,
        service_code="waste-bin-damaged",
        address_string="1 Main St",
        media_url="https://311.example.org/media/lid.jpg",
        **{"attribute[bin]": "MAIN-12"},
    ).json()[0]["service_request_id"]
    assert BinReport.objects.get().media_url == "https://311.example.org/media/lid.jpg"
    # A photo may show people: the public request names no photo; planners see the link.
    assert city["json"].get_service_request(made)["media_url"] is None


def test_ids_no_report_could_have_are_simply_not_found(city):
    for odd in ("bin-%C2%B2", "bin-99999999999999999999", "bin-abc", "bin--1"):
        assert requests.get(f"{city['root']}/requests/{odd}.json", timeout=10).status_code == 404, odd
    listed = requests.get(
        f"{city['root']}/requests.json?service_request_id=bin-%C2%B2,bin-99999999999999999999", timeout=10
    )
    assert listed.status_code == 200 and listed.json() == []


def test_an_open_request_for_a_full_bin_says_when_the_crew_is_due(city):
    from datetime import datetime

    from cityos.waste.models import Stop, StopKind
    from cityos.waste.tests.factories import published_plan

    plan = published_plan()
    stop = Stop.objects.select_related("bin").filter(route__plan=plan, kind=StopKind.BIN).order_by("eta").first()
    made = post(city, service_code="waste-bin-full", address_string="x", **{"attribute[bin]": stop.bin.ref})
    request_id = made.json()[0]["service_request_id"]
    due = city["json"].get_service_request(request_id)["expected_datetime"]
    assert datetime.fromisoformat(due) == stop.eta  # the stop's ETA in today's published plan
    services.mark_collected(stop, user=None)
    done = city["json"].get_service_request(request_id)
    assert done["status"] == "closed" and done["expected_datetime"] is None


def test_a_311_client_reads_refusals_of_bodies_and_queries_over_the_limits(city):
    # Over a real connection: the body is refused without being parsed, and the answer still arrives.
    big = requests.post(
        f"{city['root']}/requests.xml",
        data={"service_code": "waste-bin-full", "address_string": "x", "description": "x" * 3_000_000},
        timeout=30,
    )
    assert big.status_code == 413 and big.headers["Content-Type"] == "text/xml; charset=utf-8"
    assert xmltodict.parse(big.content)["errors"]["error"] == {
        "code": "413",
        "description": "The request is larger than this server accepts.",
    }
    many = requests.post(f"{city['root']}/requests.json", data={f"f{i}": "x" for i in range(1001)}, timeout=10)
    assert many.status_code == 400
    assert many.json() == [{"code": 400, "description": "The request has more than 1000 parameters."}]
    # A client repeating a parameter past the limit gets the standard's error, not a web page.
    confused = GeoReport(city["root"], jurisdiction=["city"] * 1001)
    with pytest.raises(requests.HTTPError) as refused:
        confused.get_service_list()
    assert refused.value.response.json() == [{"code": 400, "description": "The request has more than 1000 parameters."}]
    assert BinReport.objects.count() == 0
