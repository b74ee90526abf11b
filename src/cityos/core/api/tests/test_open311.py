"""The Open311 GeoReport v2 front door: formats, parameters and errors, with an in-memory provider
standing in for a domain (the waste app's real one is tested with an existing client)."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime, timedelta
from urllib.parse import urlencode

import pytest
import xmltodict
from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.test.client import encode_multipart
from django.utils import timezone

from cityos.core.accounts.tests.factories import StaffFactory
from cityos.core.audit.context import current_actor
from cityos.core.registry import (
    Open311Attribute,
    Open311Provider,
    Open311Query,
    Open311Receipt,
    Open311Request,
    Open311Service,
    Open311Submission,
    registry,
)

BASE = "/open311/v2"
pytestmark = pytest.mark.django_db


class Desk:
    """A provider keeping requests in a list; refuses a pothole on the ring road."""

    def __init__(self) -> None:
        self.made: list[Open311Submission] = []
        self.requests: list[Open311Request] = []
        self.asked: list[Open311Query] = []

    def submit(self, request: Open311Submission) -> Open311Receipt:
        if request.attributes.get("road") == "ring":
            raise ValidationError({"attribute[road]": ["The ring road is the state's, not the city's."]})
        self.made.append(request)
        return Open311Receipt(str(len(self.made)), "Thanks!" if request.description else "")

    def find(self, query: Open311Query) -> list[Open311Request]:
        self.asked.append(query)
        found = [
            r
            for r in self.requests
            if (query.ids is None or r.id in query.ids)
            and (query.ids is not None or query.start <= r.requested <= query.end)
            and (not query.statuses or r.status in query.statuses)
            and (not query.service_codes or r.service_code in query.service_codes)
        ]
        return found[: query.limit]


@pytest.fixture
def desk(monkeypatch) -> Desk:
    made = Desk()
    service = Open311Service(
        "pothole",
        "Pothole",
        "A hole in the road",
        "Streets",
        ("road", "hole"),
        (
            Open311Attribute(
                "road",
                "Which road",
                datatype="singlevaluelist",
                values=(("ring", "Ring road"), ("main", "Main street")),
            ),
            Open311Attribute("depth", "How deep (cm)", datatype="number"),
            Open311Attribute("seen", "When you saw it", datatype="datetime"),
        ),
    )
    monkeypatch.setattr(
        registry,
        "open311",
        {"pot": Open311Provider("pot", (service,), made.submit, made.find, "test-open311", lambda: 3)},
    )
    cache.clear()
    yield made
    cache.clear()


def errors(response) -> list[str]:
    return [e["description"] for e in response.json()]


def refusal(response, fmt: str) -> list[tuple[int, str]]:
    """The standard's error list read as a client of each format reads it: (code, description)."""
    if fmt == "json":
        assert response["Content-Type"] == "application/json"
        return [(e["code"], e["description"]) for e in response.json()]
    assert response["Content-Type"] == "text/xml; charset=utf-8"
    found = xmltodict.parse(response.content)["errors"]["error"]
    return [(int(e["code"]), e["description"]) for e in (found if isinstance(found, list) else [found])]


FORM = "application/x-www-form-urlencoded"
MULTIPART = "multipart/form-data; boundary=BoUnDaRy"


def test_services_are_listed_in_json_and_in_xml(desk, client):
    listed = client.get(f"{BASE}/services.json")
    assert listed.status_code == 200 and listed["Content-Type"] == "application/json"
    assert listed.json() == [
        {
            "service_code": "pothole",
            "service_name": "Pothole",
            "description": "A hole in the road",
            "metadata": True,
            "type": "realtime",
            "keywords": "road,hole",
            "group": "Streets",
        }
    ]
    xml = client.get(f"{BASE}/services.xml")
    assert xml["Content-Type"] == "text/xml; charset=utf-8"
    assert xml.content.startswith(b'<?xml version="1.0" encoding="UTF-8"?>')
    service = xmltodict.parse(xml.content)["services"]["service"]
    assert (service["service_code"], service["metadata"], service["type"]) == ("pothole", "true", "realtime")


def test_a_service_definition_lists_its_attributes(desk, client):
    definition = client.get(f"{BASE}/services/pothole.json").json()
    assert definition["service_code"] == "pothole"
    attribute = definition["attributes"][0]
    assert [a["code"] for a in definition["attributes"]] == ["road", "depth", "seen"]
    assert attribute["code"] == "road" and attribute["variable"] is True and attribute["order"] == 1
    assert attribute["datatype"] == "singlevaluelist"
    assert attribute["values"] == [{"key": "ring", "name": "Ring road"}, {"key": "main", "name": "Main street"}]
    xml = xmltodict.parse(client.get(f"{BASE}/services/pothole.xml").content)["service_definition"]
    assert [v["key"] for v in xml["attributes"]["attribute"][0]["values"]["value"]] == ["ring", "main"]
    missing = client.get(f"{BASE}/services/graffiti.json")
    assert missing.status_code == 404 and errors(missing) == ["There is no service “graffiti”."]


def test_a_request_is_posted_form_encoded_and_gets_an_id(desk, client):
    posted = client.post(
        f"{BASE}/requests.json",
        {
            "service_code": "pothole",
            "lat": "40.71",
            "long": "-73.90",
            "description": "Deep one",
            "attribute[road]": "main",
            "phone": "+12125550142",
            "email": "me@example.org",
        },
    )
    assert posted.status_code == 201
    assert posted.json() == [{"service_request_id": "pot-1", "service_notice": "Thanks!", "account_id": None}]
    (made,) = desk.made
    assert (made.lat, made.long, made.description, made.attributes) == (40.71, -73.90, "Deep one", {"road": "main"})
    assert (made.phone, made.email, made.language) == ("+12125550142", "me@example.org", "en")
    xml = client.post(f"{BASE}/requests.xml", {"service_code": "pothole", "address_string": "1 Main St"})
    assert xmltodict.parse(xml.content)["service_requests"]["request"]["service_request_id"] == "pot-2"


def test_a_description_and_address_are_kept_without_bidi_controls_and_counted_after(desk, client):
    # U+202E (right-to-left override) and U+2066 (left-to-right isolate): never typed meaning to.
    # The limit counts what is kept: 4,000 characters and two controls are taken.
    text = "\u202e" + "x" * 4000 + "\u2066"
    fields = {"service_code": "pothole", "address_string": "1 \u202eMain St", "description": text}
    posted = client.post(f"{BASE}/requests.json", urlencode(fields), content_type=FORM)  # as 311 apps send it
    assert posted.status_code == 201, posted.content
    (made,) = desk.made
    assert (made.description, made.address) == ("x" * 4000, "1 Main St")


def test_each_bad_request_is_refused_with_what_to_fix(desk, client):
    def post(**data: str):
        return client.post(f"{BASE}/requests.json", data)

    assert errors(post()) == ["service_code is required."]
    assert post(service_code="graffiti").status_code == 404
    assert errors(post(service_code="pothole")) == ["Say where: give lat and long, or address_string."]
    assert errors(post(service_code="pothole", lat="40.7")) == ["Give both lat and long, or neither."]
    assert errors(post(service_code="pothole", lat="north", long="1")) == ["lat must be a number from -90 to 90."]
    too_long = post(service_code="pothole", address_string="x", description="y" * 4001)
    assert errors(too_long) == ["The description may be at most 4000 characters (it has 4001)."]
    assert errors(post(service_code="pothole", address_string="x", email="nope")) == [
        "email: enter a valid email address."
    ]
    assert errors(post(service_code="pothole", address_string="x", **{"attribute[road]": "lane"})) == [
        "attribute[road] must be one of: ring, main."
    ]
    assert errors(post(service_code="pothole", address_string="x", **{"attribute[depth]": "deep"})) == [
        "attribute[depth] must be a number."
    ]
    assert errors(post(service_code="pothole", address_string="x", **{"attribute[seen]": "9999-01-01T00:00:00Z"})) == [
        "attribute[seen] must be a date and time such as 2026-11-01T00:00:00Z."
    ]
    assert errors(post(service_code="pothole", address_string="x", **{"attribute[road]": "r" * 251})) == [
        "attribute[road] may be at most 250 characters."
    ]
    refused = post(service_code="pothole", address_string="x", **{"attribute[road]": "ring"})
    assert refused.status_code == 400 and errors(refused) == [
        "attribute[road]: The ring road is the state's, not the city's."
    ]
    spanish = client.post(f"{BASE}/requests.json", {"service_code": "pothole"}, headers={"accept-language": "es"})
    assert errors(spanish) == ["Indica dónde: da lat y long, o address_string."]
    xml = client.post(f"{BASE}/requests.xml", {})
    assert xmltodict.parse(xml.content)["errors"]["error"] == {
        "code": "400",
        "description": "service_code is required.",
    }
    assert desk.made == []


def test_posting_counts_against_the_domains_hourly_limit(desk, client):
    for _ in range(3):
        assert (
            client.post(f"{BASE}/requests.json", {"service_code": "pothole", "address_string": "x"}).status_code == 201
        )
    over = client.post(f"{BASE}/requests.json", {"service_code": "pothole", "address_string": "x"})
    assert over.status_code == 429 and over["Retry-After"] == "3600" and len(desk.made) == 3


def test_requests_are_found_by_window_status_service_and_id(desk, client):
    now = timezone.now()
    desk.requests = [
        Open311Request("1", "open", "pothole", now - timedelta(days=1), lat=40.7, long=-73.9, address="Main St"),
        Open311Request("2", "closed", "pothole", now - timedelta(days=2), now, "Filled"),
        Open311Request("3", "open", "pothole", now - timedelta(days=120)),
    ]
    recent = client.get(f"{BASE}/requests.json").json()
    assert [r["service_request_id"] for r in recent] == ["pot-1", "pot-2"]  # the last 90 days, newest first
    first = recent[0]
    assert (first["status"], first["service_name"], first["address"], first["lat"], first["long"]) == (
        "open",
        "Pothole",
        "Main St",
        40.7,
        -73.9,
    )
    assert datetime.fromisoformat(first["requested_datetime"]).tzinfo is not None
    closed = client.get(f"{BASE}/requests.json?status=closed").json()
    assert [(r["service_request_id"], r["status_notes"]) for r in closed] == [("pot-2", "Filled")]
    old = client.get(f"{BASE}/requests.json?start_date=2000-01-01T00:00:00Z&end_date=2000-02-01T00:00:00Z").json()
    assert old == []
    by_id = client.get(f"{BASE}/requests.json?service_request_id=pot-3,pot-1,other-9&status=closed").json()
    assert {r["service_request_id"] for r in by_id} == {"pot-1", "pot-3"}  # ids override the other filters
    one = client.get(f"{BASE}/requests/pot-2.json").json()
    assert [r["service_request_id"] for r in one] == ["pot-2"]
    xml = xmltodict.parse(client.get(f"{BASE}/requests/pot-2.xml").content)["service_requests"]["request"]
    assert (xml["service_request_id"], xml["status"]) == ("pot-2", "closed")
    assert client.get(f"{BASE}/requests/pot-99.json").status_code == 404


def test_odd_input_gets_a_well_formed_answer_never_a_server_error(desk, client):
    odd = [
        f"{BASE}/services/%01.xml",
        f"{BASE}/requests/pot-%01.xml",
        f"{BASE}/requests/pot-%C2%B2.xml",
        f"{BASE}/requests/pot-99999999999999999999999.xml",
        f"{BASE}/requests/pot-1,pot-2.xml",
        f"{BASE}/requests.xml?start_date=9999-12-31T00:00:00Z",
        f"{BASE}/requests.xml?end_date=0001-01-01T00:00:00Z",
        f"{BASE}/requests.xml?service_request_id=pot-%01,pot-x{'9' * 100}",
    ]
    for url in odd:
        answer = client.get(url)
        assert answer.status_code in (200, 400, 404), url
        xmltodict.parse(answer.content)  # well-formed XML (a parser error otherwise): control characters dropped
    posted = client.post(f"{BASE}/requests.xml", {"service_code": "\x01pothole"})
    assert posted.status_code == 404
    xmltodict.parse(posted.content)
    assert client.head(f"{BASE}/services.json").status_code == 200
    by_id = client.get(f"{BASE}/requests.json?service_request_id=pot-1&start_date=nonsense")
    assert by_id.status_code == 200  # asked by id, the other filters (and their mistakes) do not apply
    assert client.get(f"{BASE}/requests.json?status=Open").status_code == 200


def test_bad_queries_are_refused(desk, client):
    assert errors(client.get(f"{BASE}/requests.json?status=pending")) == [
        "status may be open, closed or both (comma separated)."
    ]
    assert errors(client.get(f"{BASE}/requests.json?start_date=yesterday")) == [
        "start_date must be a date and time such as 2026-11-01T00:00:00Z."
    ]
    span = client.get(f"{BASE}/requests.json?start_date=2026-01-01T00:00:00Z&end_date=2026-06-01T00:00:00Z")
    assert errors(span) == ["start_date and end_date may be at most 90 days apart."]
    backwards = client.get(f"{BASE}/requests.json?start_date=2026-02-01T00:00:00Z&end_date=2026-01-01T00:00:00Z")
    assert errors(backwards) == ["start_date must be before end_date."]


def test_discovery_points_at_this_endpoint(desk, client):
    found = client.get(f"{BASE}/discovery.json").json()
    (endpoint,) = found["endpoints"]
    assert endpoint["specification"] == "http://wiki.open311.org/GeoReport_v2"
    assert endpoint["url"] == "http://testserver/open311/v2" and endpoint["formats"] == ["application/json", "text/xml"]
    xml = xmltodict.parse(client.get(f"{BASE}/discovery.xml").content)["discovery"]
    assert xml["endpoints"]["endpoint"]["formats"]["format"] == ["application/json", "text/xml"]


def test_the_post_needs_no_csrf_token(desk):
    strict = Client(enforce_csrf_checks=True)
    assert strict.post(f"{BASE}/requests.json", {"service_code": "pothole", "address_string": "x"}).status_code == 201


def test_a_signed_in_browsers_session_counts_for_nothing_in_what_a_post_does(desk, monkeypatch, staff_client):
    # Posting needs no CSRF token, so a page elsewhere may make a signed-in staff member's browser
    # post here: what the provider stores (and audits) must be the anonymous caller's, not theirs.
    actors = []
    submit = desk.submit

    def noting_the_actor(request: Open311Submission) -> Open311Receipt:
        actors.append(current_actor())
        return submit(request)

    provider = registry.open311["pot"]
    monkeypatch.setitem(registry.open311, "pot", replace(provider, submit=noting_the_actor))
    _staff, browser = staff_client()
    posted = browser.post(f"{BASE}/requests.json", {"service_code": "pothole", "address_string": "x"})
    assert posted.status_code == 201
    assert [(a.user_id, a.label, a.channel) for a in actors] == [(None, "anonymous", "api")]


def test_a_staff_browser_short_of_its_second_factor_gets_the_standards_answers_not_a_redirect(desk):
    browser = Client()
    browser.force_login(StaffFactory())  # signed in, no TOTP code yet
    assert browser.get(f"{BASE}/services.json").status_code == 200
    posted = browser.post(f"{BASE}/requests.json", {"service_code": "pothole", "address_string": "x"})
    assert posted.status_code == 201 and desk.made


@pytest.mark.parametrize("fmt", ["json", "xml"])
def test_more_fields_or_parameters_than_django_parses_are_refused_in_the_standards_format(desk, client, fmt):
    fields = {f"extra{i}": "x" for i in range(1001)}
    too_many = [(400, "The request has more than 1000 parameters.")]
    as_form = client.post(f"{BASE}/requests.{fmt}", fields)
    assert as_form.status_code == 400 and refusal(as_form, fmt) == too_many
    encoded = client.post(f"{BASE}/requests.{fmt}", "&".join(f"{k}={v}" for k, v in fields.items()), FORM)
    assert encoded.status_code == 400 and refusal(encoded, fmt) == too_many
    query = "&".join(f"service_code=s{i}" for i in range(1001))
    for endpoint in ("services", "requests", "discovery", "services/pothole", "requests/pot-1"):
        asked = client.get(f"{BASE}/{endpoint}.{fmt}?{query}")
        assert asked.status_code == 400 and refusal(asked, fmt) == too_many, endpoint
    # Up to the limit, the extra fields are simply ignored.
    fields = {"service_code": "pothole", "address_string": "1 Main St"} | {f"extra{i}": "x" for i in range(998)}
    assert client.post(f"{BASE}/requests.{fmt}", fields).status_code == 201
    assert len(desk.made) == 1


@pytest.mark.parametrize("fmt", ["json", "xml"])
def test_a_body_over_the_size_limit_is_refused_with_413(desk, client, fmt, settings):
    assert settings.DATA_UPLOAD_MAX_MEMORY_SIZE < 3_000_000  # Django's 2.5 MB
    too_big = [(413, "The request is larger than this server accepts.")]
    description = "x" * 3_000_000
    encoded = client.post(
        f"{BASE}/requests.{fmt}", f"service_code=pothole&address_string=x&description={description}", FORM
    )
    assert encoded.status_code == 413 and refusal(encoded, fmt) == too_big
    as_form = client.post(
        f"{BASE}/requests.{fmt}", {"service_code": "pothole", "address_string": "x", "description": description}
    )
    assert as_form.status_code == 413 and refusal(as_form, fmt) == too_big
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 100  # the limit is Django's setting, whatever it is set to
    small = client.post(f"{BASE}/requests.{fmt}", f"service_code=pothole&description={'y' * 100}", FORM)
    assert small.status_code == 413 and refusal(small, fmt) == too_big
    assert desk.made == []


@pytest.mark.parametrize("fmt", ["json", "xml"])
def test_a_broken_multipart_body_is_refused_in_the_standards_format(desk, client, fmt):
    unreadable = [
        (400, "The request body could not be read. Send the fields form-encoded (application/x-www-form-urlencoded).")
    ]
    no_boundary = client.post(f"{BASE}/requests.{fmt}", b"service_code=pothole", "multipart/form-data")
    assert no_boundary.status_code == 400 and refusal(no_boundary, fmt) == unreadable
    truncated = (
        b"--BoUnDaRy\r\n"
        b'Content-Disposition: form-data; name="photo"; filename="a.jpg"\r\n'
        b"Content-Transfer-Encoding: base64\r\n\r\n"
        b"abc\r\n"
        b"--BoUnDaRy--\r\n"
    )
    broken = client.post(f"{BASE}/requests.{fmt}", truncated, MULTIPART)
    assert broken.status_code == 400 and refusal(broken, fmt) == unreadable
    files = {f"photo{i}": SimpleUploadedFile(f"{i}.jpg", b"x") for i in range(101)}
    too_many_files = client.post(f"{BASE}/requests.{fmt}", {"service_code": "pothole", **files})
    assert too_many_files.status_code == 400
    assert refusal(too_many_files, fmt) == [(400, "The request has more than 100 files.")]
    assert desk.made == []


@pytest.mark.parametrize("fmt", ["json", "xml"])
def test_a_body_that_is_not_utf8_is_refused_rather_than_guessed(desk, client, fmt):
    not_utf8 = [(400, "The request is not valid UTF-8. Send the fields form-encoded in UTF-8.")]
    bodies = [
        (b"service_code=pothole&address_string=Caf\xe9", FORM),  # raw Latin-1 bytes
        (b"service_code=pothole&address_string=Caf%E9", FORM),  # a Latin-1 byte, %-escaped
        (b"service_code=pothole&address_string=Cafe", f"{FORM}; charset=iso-8859-1"),
        (encode_multipart("BoUnDaRy", {"service_code": "pothole"}).replace(b"pothole", b"pothol\xe9"), MULTIPART),
    ]
    for body, content_type in bodies:
        answer = client.post(f"{BASE}/requests.{fmt}", body, content_type)
        assert answer.status_code == 400 and refusal(answer, fmt) == not_utf8, body
    assert desk.made == []
    # UTF-8, raw or %-escaped, is read as sent, a replacement character the client meant included.
    for body in ("Café \ufffd".encode(), b"Caf%C3%A9 %EF%BF%BD"):
        made = client.post(f"{BASE}/requests.{fmt}", b"service_code=pothole&address_string=" + body, FORM)
        assert made.status_code == 201
    assert [m.address for m in desk.made] == ["Café \ufffd", "Café \ufffd"]


@pytest.mark.parametrize("fmt", ["json", "xml"])
def test_a_query_that_is_not_utf8_is_refused_rather_than_matching_nothing(desk, client, fmt):
    not_utf8 = [(400, "The request is not valid UTF-8. Send the fields form-encoded in UTF-8.")]
    for query in ("service_code=%FF%FE", "status=open&service_request_id=%E9"):
        answer = client.get(f"{BASE}/requests.{fmt}?{query}")
        assert answer.status_code == 400 and refusal(answer, fmt) == not_utf8, query
    # A replacement character the client meant, %-escaped in UTF-8, is a search like any other.
    assert client.get(f"{BASE}/requests.{fmt}?service_code=%EF%BF%BD").status_code == 200


def test_unreadable_requests_are_refused_in_the_callers_language(desk, client):
    big = client.post(
        f"{BASE}/requests.json", f"description={'x' * 3_000_000}", FORM, headers={"accept-language": "es"}
    )
    assert errors(big) == ["La solicitud es más grande de lo que este servidor acepta."]
    many = client.get(f"{BASE}/services.xml?{'&a=1' * 1001}", headers={"accept-language": "zh-hant"})
    assert refusal(many, "xml") == [(400, "請求的參數超過 1000 個。")]
    latin = client.post(f"{BASE}/requests.json", b"service_code=Caf\xe9", FORM, headers={"accept-language": "es"})
    assert errors(latin) == ["La solicitud no es UTF-8 válido. Envía los campos codificados como formulario en UTF-8."]


NOWHERE = (
    "There is nothing at this address. The addresses here are discovery, services, "
    "services/<service_code>, requests and requests/<service_request_id>, each ending in .xml or .json."
)


@pytest.mark.parametrize("fmt", ["json", "xml"])
def test_a_method_an_address_does_not_take_is_refused_with_405_and_what_it_takes(desk, fmt):
    strict = Client(enforce_csrf_checks=True)  # other systems have no CSRF token: no CSRF page either
    for method, endpoint, allowed in [
        ("delete", "requests", "GET, HEAD, POST"),
        ("put", "requests", "GET, HEAD, POST"),
        ("post", "services", "GET, HEAD"),
        ("post", "discovery", "GET, HEAD"),
        ("patch", "services/pothole", "GET, HEAD"),
        ("delete", "requests/pot-1", "GET, HEAD"),
    ]:
        answer = getattr(strict, method)(f"{BASE}/{endpoint}.{fmt}")
        assert answer.status_code == 405 and answer["Allow"] == allowed, (method, endpoint)
        description = f"This address does not take {method.upper()}, only {allowed}."
        assert refusal(answer, fmt) == [(405, description)], (method, endpoint)
    assert desk.made == []
    # The methods it names are served.
    assert strict.head(f"{BASE}/requests.{fmt}").status_code == 200
    assert strict.post(f"{BASE}/requests.{fmt}", {"service_code": "pothole", "address_string": "x"}).status_code == 201


@pytest.mark.parametrize("fmt", ["json", "xml"])
def test_an_address_that_is_not_the_standards_gets_a_404_in_the_format_it_names(desk, fmt):
    strict = Client(enforce_csrf_checks=True)
    for url in ("nothing", "service", "requests/pot-1/notes", "services/pothole/attributes", "v2/requests"):
        for method in ("get", "post", "delete"):
            answer = getattr(strict, method)(f"{BASE}/{url}.{fmt}")
            assert answer.status_code == 404 and refusal(answer, fmt) == [(404, NOWHERE)], (method, url)
    # The endpoints' own 404s keep saying what was not found.
    assert refusal(strict.get(f"{BASE}/requests/abc.{fmt}"), fmt) == [(404, "There is no request “abc”.")]
    assert refusal(strict.get(f"{BASE}/services/unknown-code.{fmt}"), fmt) == [
        (404, "There is no service “unknown-code”.")
    ]


def test_an_address_without_a_format_gets_its_404_in_json(desk, client):
    for url in ("", "requests", "requests.json/", "services/pothole", "requests.xml/pot-1", "new%0Aline", "a.b.c"):
        answer = client.get(f"{BASE}/{url}")
        assert answer.status_code == 404 and refusal(answer, "json") == [(404, NOWHERE)], url


def test_a_format_not_offered_here_is_a_404_in_json(desk, client):
    for method, endpoint, extension in [
        ("get", "requests", "yaml"),
        ("get", "services", "csv"),
        ("get", "discovery", "XML"),
        ("get", "services/pothole", "html"),
        ("get", "requests/pot-1", "txt"),
        ("post", "requests", "yaml"),
        ("delete", "requests", "yaml"),  # the address does not exist, whatever the method
    ]:
        answer = getattr(client, method)(f"{BASE}/{endpoint}.{extension}")
        description = f"There is no “{extension}” format here: end the address with .xml or .json."
        assert answer.status_code == 404 and refusal(answer, "json") == [(404, description)], endpoint
    assert desk.made == []


def test_wrong_methods_addresses_and_formats_are_refused_in_the_callers_language(desk, client):
    spanish = {"accept-language": "es"}
    method = client.delete(f"{BASE}/requests.xml", headers=spanish)
    assert refusal(method, "xml") == [(405, "Esta dirección no acepta DELETE, solo GET, HEAD, POST.")]
    nowhere = client.get(f"{BASE}/nothing.json", headers={"accept-language": "zh-hant"})
    assert refusal(nowhere, "json")[0][1].startswith("此網址沒有任何資源。")
    yaml = client.get(f"{BASE}/requests.yaml", headers=spanish)
    assert refusal(yaml, "json") == [(404, "Aquí no hay formato «yaml»: termina la dirección con .xml o .json.")]


@pytest.mark.parametrize("fmt", ["json", "xml"])
def test_a_jurisdiction_this_endpoint_does_not_serve_is_a_404_and_nothing_is_filed(desk, client, settings, fmt):
    settings.CITYOS_BASE_URL = "https://311.scranton.example"
    settings.CITYOS_OPEN311_JURISDICTIONS = "scrantonpa.gov, scranton"
    other = [
        (
            404,
            "This endpoint does not serve the jurisdiction “chicago.gov”; "
            "it serves: 311.scranton.example, scrantonpa.gov, scranton.",
        )
    ]
    for answer in (
        client.get(f"{BASE}/services.{fmt}?jurisdiction_id=chicago.gov"),
        client.get(f"{BASE}/services/pothole.{fmt}?jurisdiction_id=chicago.gov"),
        client.get(f"{BASE}/requests.{fmt}?jurisdiction_id=chicago.gov"),
        client.post(
            f"{BASE}/requests.{fmt}",
            {"jurisdiction_id": "chicago.gov", "service_code": "pothole", "lat": "40.71", "long": "-73.90"},
        ),
        client.post(
            f"{BASE}/requests.{fmt}?jurisdiction_id=chicago.gov",
            {"service_code": "pothole", "lat": "40.71", "long": "-73.90"},
        ),
    ):
        assert answer.status_code == 404 and refusal(answer, fmt) == other
    assert desk.made == []
    # Left out, the base URL's host, or one of the configured names (any case): served.
    for named in ("", "?jurisdiction_id=", "?jurisdiction_id=311.Scranton.example", "?jurisdiction_id=SCRANTON"):
        assert client.get(f"{BASE}/services.{fmt}{named}").status_code == 200, named
    posted = client.post(
        f"{BASE}/requests.{fmt}",
        {"jurisdiction_id": "scrantonpa.gov", "service_code": "pothole", "lat": "40.71", "long": "-73.90"},
    )
    assert posted.status_code == 201 and len(desk.made) == 1


def test_the_jurisdiction_refusal_is_in_the_callers_language(desk, client, settings):
    settings.CITYOS_BASE_URL = "http://127.0.0.1:8000"
    answer = client.get(f"{BASE}/services.json?jurisdiction_id=elsewhere", headers={"accept-language": "es"})
    assert answer.status_code == 404
    assert errors(answer) == ["Este punto de acceso no atiende la jurisdicción «elsewhere»; atiende a: 127.0.0.1."]
