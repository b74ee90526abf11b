"""A crew reports a bin it could not collect through the API: one operation takes the report as
JSON or as a form with a photo; the older photo address stays as a deprecated alias; a bad reason
or photo is refused in the crew's language with nothing saved; and the damaged-bin report filed
from a crew's mark carries the crew's photo, in a file of its own."""

from __future__ import annotations

import io
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from PIL import Image

from cityos.conftest import verified_client
from cityos.core.accounts.models import Role
from cityos.core.accounts.tests.factories import StaffFactory
from cityos.core.api.site import openapi_document
from cityos.core.events import Event
from cityos.waste import photos, services
from cityos.waste.events import StopMissed
from cityos.waste.models import BinReport, ReportChannel, ReportProblem, Stop, StopKind
from cityos.waste.tests.factories import published_plan
from cityos.waste.tests.test_photos import camera_jpeg, stored_files

pytestmark = pytest.mark.django_db
API = "/api/v1/waste"
MISSED = API + "/stops/{stop_id}/missed"
ALIAS = API + "/stops/{stop_id}/missed-with-photo"


@pytest.fixture(autouse=True)
def private_media(settings, tmp_path: Path) -> Path:
    settings.PRIVATE_MEDIA_ROOT = tmp_path / "private"
    return settings.PRIVATE_MEDIA_ROOT


@pytest.fixture
def stops(db) -> list[Stop]:
    """The bins of today's published plan, in the order a crew meets them."""
    plan = published_plan()
    return list(
        Stop.objects.filter(route__plan=plan, kind=StopKind.BIN).select_related("bin").order_by("route", "sequence")
    )


@pytest.fixture
def crew(staff_client) -> Client:
    return staff_client(Role.SERVICE_AGENT)[1]


def photo_file(data: bytes | None = None) -> SimpleUploadedFile:
    return SimpleUploadedFile("IMG_0042.jpg", camera_jpeg(400, 300) if data is None else data, "image/jpeg")


def nothing_saved(stop: Stop, private_media: Path) -> bool:
    stop.refresh_from_db()
    no_report = not BinReport.objects.exists()
    return not stop.missed_reason and not stop.missed_photo and no_report and stored_files(private_media) == []


# --- One operation, two kinds of body ----------------------------------------------------------


def test_the_same_operation_takes_a_json_body_or_a_form_with_a_photo(crew, stops, private_media):
    first, second, third = stops[:3]
    as_json = crew.post(
        MISSED.format(stop_id=first.pk),
        {"reason": "blocked", "note": "Van in the bay"},
        content_type="application/json",
    )
    assert as_json.status_code == 200, as_json.content
    assert (as_json.json()["missed_reason"], as_json.json()["has_photo"]) == ("blocked", False)
    assert stored_files(private_media) == []
    as_form = crew.post(
        MISSED.format(stop_id=second.pk), {"reason": "blocked", "note": "Red van", "at": "", "photo": photo_file()}
    )
    assert as_form.status_code == 200, as_form.content
    body = as_form.json()
    assert (body["missed_reason"], body["missed_note"], body["has_photo"]) == ("blocked", "Red van", True)
    second.refresh_from_db()
    [kept] = stored_files(private_media)
    assert second.missed_photo.name.startswith("waste/stops/") and kept.name == Path(second.missed_photo.name).name
    assert not Image.open(kept).getexif() and b"Jane Doe" not in kept.read_bytes()  # re-encoded, as on the page
    assert second.missed_at is not None  # a blank time is "now", as when it is left out
    # A form without a photo is a plain mark; so is one sent form-encoded.
    plain = crew.post(MISSED.format(stop_id=third.pk), "reason=not_found", "application/x-www-form-urlencoded")
    assert plain.status_code == 200 and plain.json()["has_photo"] is False
    [read] = [s for s in crew.get(f"{API}/routes/{second.route_id}").json()["stops"] if s["id"] == second.pk]
    assert read["has_photo"] is True


def test_the_old_photo_address_still_works_and_shares_the_operations_rules(crew, staff_client, stops, private_media):
    made = crew.post(ALIAS.format(stop_id=stops[0].pk), {"reason": "blocked", "photo": photo_file()})
    assert made.status_code == 200 and made.json()["has_photo"] is True
    assert len(stored_files(private_media)) == 1
    twice = crew.post(ALIAS.format(stop_id=stops[0].pk), {"reason": "other", "photo": photo_file()})
    assert twice.status_code == 422 and [e["code"] for e in twice.json()["errors"]] == ["already_missed"]
    assert len(stored_files(private_media)) == 1  # the refused mark's photo is gone
    _, clerk = staff_client(Role.CASEWORKER)
    for url in (MISSED, ALIAS):
        assert clerk.post(url.format(stop_id=stops[1].pk), {"reason": "blocked"}).status_code == 403
        assert Client().post(url.format(stop_id=stops[1].pk), {"reason": "blocked"}).status_code == 401


def test_the_openapi_document_gives_both_bodies_and_marks_the_alias_deprecated():
    document = openapi_document()
    operation = document["paths"][MISSED]["post"]
    bodies = operation["requestBody"]["content"]
    assert bodies["application/json"]["schema"] == {"$ref": "#/components/schemas/MissedIn"}
    form = bodies["multipart/form-data"]["schema"]
    assert set(form["properties"]) == {"reason", "note", "at", "photo"} and form["required"] == ["reason"]
    assert form["properties"]["photo"] == form["properties"]["photo"] | {"type": "string", "format": "binary"}
    assert bodies["multipart/form-data"]["encoding"]["photo"]["contentType"].startswith("image/jpeg")
    # Every schema the bodies name is in the document, so a generated client can read them.
    components = document["components"]["schemas"]
    assert {"MissedIn", "MissedReason"} <= components.keys()
    assert form["properties"]["reason"]["$ref"] == "#/components/schemas/MissedReason"
    assert not operation.get("deprecated")
    alias = document["paths"][ALIAS]["post"]
    assert alias["deprecated"] is True and alias["requestBody"]["content"].keys() == bodies.keys()
    assert alias["operationId"] != operation["operationId"]


# --- Refusals: a 422 naming the field, in the crew's language, nothing saved ---------------------


REFUSED: list[tuple[str, Callable[[], dict[str, Any]], str, str, str]] = [
    (
        "a bad reason in JSON",
        lambda: {"data": {"reason": "aliens"}, "content_type": "application/json"},
        "es",
        "body.reason",
        "Elige uno de: 'blocked', 'not_found', 'damaged', 'contaminated', 'other'.",
    ),
    (
        "a bad reason in a form with a good photo",
        lambda: {"data": {"reason": "aliens", "photo": photo_file()}},
        "zh-hant",
        "body.reason",
        "請從下列選項中選擇：'blocked', 'not_found', 'damaged', 'contaminated', 'other'。",  # noqa: RUF001
    ),
    (
        "a file that is not a photo",
        lambda: {"data": {"reason": "damaged", "photo": photo_file(b"MZ\x90\x00 not an image")}},
        "es",
        "body.photo",
        "Envía la foto como imagen JPEG, PNG, WebP o GIF.",
    ),
    (
        "text where the photo file belongs",
        lambda: {"data": {"reason": "damaged", "photo": "IMG_0042.jpg"}},
        "en",
        "body.photo",
        "Send a photo as a JPEG, PNG, WebP or GIF image.",
    ),
    (
        "a note with a NUL character, with a photo",
        lambda: {"data": {"reason": "damaged", "note": "lid\x00", "photo": photo_file()}},
        "en",
        "body.note",
        "Null characters are not allowed.",
    ),
]


@pytest.mark.parametrize("url", [MISSED, ALIAS], ids=["missed", "alias"])
@pytest.mark.parametrize(
    ("sent", "language", "field", "message"), [r[1:] for r in REFUSED], ids=[r[0] for r in REFUSED]
)
def test_a_bad_reason_or_photo_is_refused_in_the_crews_language_and_nothing_is_saved(
    crew, stops, private_media, url, sent, language, field, message
):
    stop = stops[0]
    refused = crew.post(url.format(stop_id=stop.pk), **sent(), headers={"accept-language": language})
    assert refused.status_code == 422, refused.content
    assert refused["Content-Type"].startswith("application/problem+json")
    problem = refused.json()
    assert problem["type"] == "urn:cityos:problem:validation-error"
    assert [(e["field"], e["message"]) for e in problem["errors"]] == [(field, message)]
    assert nothing_saved(stop, private_media)


def test_a_photo_too_large_is_refused_before_it_is_decoded(monkeypatch, crew, stops, private_media):
    monkeypatch.setattr(photos, "MAX_BYTES", 1000)
    refused = crew.post(MISSED.format(stop_id=stops[0].pk), {"reason": "damaged", "photo": photo_file()})
    assert [(e["field"], e["code"]) for e in refused.json()["errors"]] == [("body.photo", "photo_too_big")]
    assert nothing_saved(stops[0], private_media)


def test_a_browser_session_sends_the_form_with_its_csrf_token_and_a_broken_form_is_a_400(stops, private_media):
    browser = verified_client(StaffFactory(roles=[Role.SERVICE_AGENT]))
    browser.handler.enforce_csrf_checks = True
    browser.get("/")  # a page sets the CSRF cookie, as in a browser
    token = {"X-CSRFToken": browser.cookies["csrftoken"].value}
    url = MISSED.format(stop_id=stops[0].pk)
    # The CSRF check reads the form before the operation does: the operation reads it again.
    assert browser.post(url, {"reason": "blocked", "photo": photo_file()}).status_code == 403
    made = browser.post(url, {"reason": "blocked", "photo": photo_file()}, headers=token)
    assert made.status_code == 200 and made.json()["has_photo"] is True
    # A multipart body Django cannot parse (here without its boundary) is the client's mistake.
    broken = browser.post(
        MISSED.format(stop_id=stops[1].pk), b"--x\r\nreason", content_type="multipart/form-data", headers=token
    )
    assert broken.status_code == 400 and broken["Content-Type"].startswith("application/problem+json")
    assert broken.json()["detail"] == (
        "The request body could not be read. Send the fields form-encoded (multipart/form-data)."
    )


# --- The damaged-bin report carries the crew's photo --------------------------------------------


def test_a_damaged_bin_reported_by_a_crew_carries_its_photo_in_a_file_of_its_own(
    crew, staff_client, stops, private_media, django_capture_on_commit_callbacks
):
    stop = stops[0]
    made = crew.post(
        MISSED.format(stop_id=stop.pk), {"reason": "damaged", "note": "Lid torn off", "photo": photo_file()}
    )
    assert made.status_code == 200, made.content
    stop.refresh_from_db()
    report = BinReport.objects.get(bin=stop.bin)
    assert (report.problem, report.channel, report.note) == (ReportProblem.DAMAGED, ReportChannel.CREW, "Lid torn off")
    assert report.photo.name.startswith("waste/reports/") and report.photo.name != stop.missed_photo.name
    stop_file, report_file = (Path(private_media) / f.name for f in (stop.missed_photo, report.photo))
    assert stop_file.read_bytes() == report_file.read_bytes()
    # Whoever repairs bins (a planner) opens it from the reports list, audited like a resident's.
    _, planner = staff_client(Role.OPERATOR)
    shown = planner.get(reverse("waste:report-photo", args=[report.pk]))
    assert shown.status_code == 200 and b"".join(shown.streaming_content) == report_file.read_bytes()
    # The stop's photo goes with its retention; the report's stays until the report's own.
    Stop.objects.filter(pk=stop.pk).update(missed_at=timezone.now() - timedelta(days=31))
    with django_capture_on_commit_callbacks(execute=True):
        assert services.clear_crew_photos() == 1
    report.refresh_from_db()
    assert not stop_file.exists() and report.photo and report_file.exists()
    assert planner.get(reverse("waste:report-photo", args=[report.pk])).status_code == 200
    BinReport.objects.filter(pk=report.pk).update(created_at=timezone.now() - timedelta(days=31))
    with django_capture_on_commit_callbacks(execute=True):
        assert services.clear_report_phones() == 1
    report.refresh_from_db()
    assert not report.photo and stored_files(private_media) == []


def test_collecting_a_damaged_bin_later_deletes_the_stops_photo_not_the_reports(
    stops, private_media, django_capture_on_commit_callbacks
):
    stop = stops[0]
    services.mark_missed(stop, user=None, reason="damaged", photo=photos.prepare(io.BytesIO(camera_jpeg(80, 60))))
    report = BinReport.objects.get(bin=stop.bin)
    with django_capture_on_commit_callbacks(execute=True):
        services.mark_collected(stop, user=None)  # emptied after all, still to be repaired
    report.refresh_from_db()
    assert report.is_open and [p.name for p in stored_files(private_media)] == [Path(report.photo.name).name]


def test_an_open_damaged_report_keeps_a_residents_photo_and_takes_the_crews_if_it_had_none(stops, private_media):
    with_photo, without_photo = stops[:2]
    resident = services.report_bin(
        with_photo.bin.ref, "damaged", photo=photos.prepare(io.BytesIO(camera_jpeg(50, 50)))
    ).report
    plain = services.report_bin(without_photo.bin.ref, "damaged", note="Burnt").report
    crews = photos.prepare(io.BytesIO(camera_jpeg(80, 60)))
    services.mark_missed(with_photo, user=None, reason="damaged", photo=crews)
    services.mark_missed(without_photo, user=None, reason="damaged", photo=crews)
    kept = resident.photo.name
    resident.refresh_from_db()
    plain.refresh_from_db()
    assert (resident.count, resident.photo.name) == (2, kept)  # the resident's, not a second file
    assert plain.count == 2 and plain.photo and plain.note == "Burnt"
    assert len(stored_files(private_media)) == 4  # two stops' photos, two reports' (one each)


def test_a_mark_that_fails_after_its_report_was_filed_leaves_neither_photo_behind(monkeypatch, stops, private_media):
    real_publish = services.publish

    def stop_missed_fails(event: Event) -> None:
        if isinstance(event, StopMissed):  # after the damaged-bin report was written with its photo
            raise RuntimeError("the event bus is down")
        real_publish(event)

    monkeypatch.setattr(services, "publish", stop_missed_fails)
    with pytest.raises(RuntimeError):
        services.mark_missed(stops[0], user=None, reason="damaged", photo=photos.prepare(io.BytesIO(camera_jpeg())))
    assert nothing_saved(stops[0], private_media)
