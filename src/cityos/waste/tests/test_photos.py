"""Photos with residents' reports and with crews' reports of bins they could not collect: made
safe to keep (re-encoded, without the phone's metadata), shown only to planners with every view
audited, never half-saved, deleted by the retention job; and the photo links that Open311 apps
and API clients send."""

from __future__ import annotations

import base64
import io
import os
import stat
from datetime import timedelta
from pathlib import Path

import pytest
from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone
from PIL import Image

from cityos.core.accounts.models import Role
from cityos.core.audit.models import AuditEntry
from cityos.waste import photos, services, tasks
from cityos.waste.models import BinReport, Stop, StopKind
from cityos.waste.tests.factories import BinFactory, published_plan

pytestmark = pytest.mark.django_db
API = "/api/v1/waste"
GPS_IFD = 0x8825
ORIENTATION = 0x0112
# A WebP whose EXIF header is damaged (found by a reviewer's fuzzing): Pillow raises SyntaxError.
DAMAGED_EXIF_WEBP = base64.b64decode(
    "UklGRvYAAABXRUJQVlA4WAoAAAAIAAAAPwAALwAAVlA4ILYAAABQCACdASpAADAALk02m02hJCKihABMS0gAQ30+k1aWGZjU2+VQ"
    "9Kc7Dlna9XZzWtXysRHIK/717cyVl6NZ8eHrvtCRrWd1ZlYX5kgA/v6aTfiXCBwAErvyNy8mFxI0uj9ll1WFeEQQMCX16bK8V2lR"
    "U+GMCp8ZMRZh+nlNipJj6onNors+P5jOvOT6nwlfPKLNpM075HfzI9f038DvHmd/xJq+nXyjqEaRfQkAtr9EkdSyi8AAAEVYSUYa"
    "AAAATU28KgAAAAgAAQESAAMAAAABAAYAAAAAAAA="
)


@pytest.fixture(autouse=True)
def private_media(settings, tmp_path: Path) -> Path:
    settings.PRIVATE_MEDIA_ROOT = tmp_path / "private"
    return settings.PRIVATE_MEDIA_ROOT


def camera_jpeg(width: int = 3000, height: int = 2000, *, rotated: bool = False) -> bytes:
    """A phone camera's JPEG: its GPS position and make in the EXIF, the owner's name in a comment
    and in XMP, optionally stored sideways."""
    image = Image.new("RGB", (width, height), (200, 40, 40))
    exif = Image.Exif()
    exif[0x010F] = "PhoneMaker"  # Make
    exif[GPS_IFD] = {1: "N", 2: (40.0, 42.0, 46.0), 3: "W", 4: (73.0, 54.0, 21.0)}
    if rotated:
        exif[ORIENTATION] = 6  # the viewer must turn it 90° clockwise
    out = io.BytesIO()
    xmp = b'<x:xmpmeta xmlns:x="adobe:ns:meta/"><dc:creator>Jane Doe</dc:creator></x:xmpmeta>'
    image.save(out, format="JPEG", exif=exif, comment=b"Taken by Jane Doe", xmp=xmp)
    return out.getvalue()


def stored_files(root: Path) -> list[Path]:
    return [p for p in root.rglob("*") if p.is_file()] if root.exists() else []


def test_a_photo_is_re_encoded_upright_and_small_without_the_phones_metadata():
    original = Image.open(io.BytesIO(camera_jpeg(rotated=True)))
    assert original.getexif()[0x010F] == "PhoneMaker" and GPS_IFD in original.getexif()
    assert b"Jane Doe" in original.info["comment"] and b"Jane Doe" in original.info["xmp"]
    photo = photos.prepare(io.BytesIO(camera_jpeg(rotated=True)))
    kept = Image.open(io.BytesIO(photo.jpeg))
    assert kept.format == "JPEG"
    assert (kept.width, kept.height) == (photo.width, photo.height) == (1067, 1600)  # turned upright, ≤ 1600 px
    assert not kept.getexif() and set(kept.info) <= {"jfif", "jfif_version", "jfif_unit", "jfif_density", "progressive"}
    assert b"Jane Doe" not in photo.jpeg and b"PhoneMaker" not in photo.jpeg


def test_anything_but_a_readable_image_of_a_sensible_size_is_refused(monkeypatch):
    def code(data: bytes, size: int | None = None) -> str:
        with pytest.raises(ValidationError) as refused:
            photos.prepare(io.BytesIO(data), size=size)
        return refused.value.code or ""

    assert code(b"") == "photo_empty"
    assert code(b"%PDF-1.7 not a photo") == "photo_unreadable"
    assert code(camera_jpeg()[:200]) == "photo_unreadable"  # cut short
    assert code(DAMAGED_EXIF_WEBP) == "photo_unreadable"
    tiff = io.BytesIO()
    Image.new("RGB", (10, 10)).save(tiff, format="TIFF")
    assert code(tiff.getvalue()) == "photo_unreadable"  # a format phones do not send is not parsed
    assert code(b"x", size=photos.MAX_BYTES + 1) == "photo_too_big"
    monkeypatch.setattr(photos, "MAX_BYTES", 1000)
    assert code(camera_jpeg()) == "photo_too_big"  # a size not announced is counted while reading
    monkeypatch.setattr(photos, "MAX_BYTES", 10 * 1024 * 1024)
    # Too many pixels is refused before decoding: a small PNG can unpack to gigabytes.
    flat = io.BytesIO()
    Image.new("L", (4100, 4000)).save(flat, format="PNG")
    assert len(flat.getvalue()) < 100_000 and code(flat.getvalue()) == "photo_too_many_pixels"
    monkeypatch.setattr(photos, "MAX_PIXELS", 1000)
    assert code(camera_jpeg(100, 100)) == "photo_too_many_pixels"


def test_transparent_and_palette_images_are_laid_on_white():
    clear = io.BytesIO()
    Image.new("RGBA", (40, 20), (0, 0, 0, 0)).save(clear, format="PNG")
    kept = Image.open(io.BytesIO(photos.prepare(io.BytesIO(clear.getvalue())).jpeg))
    assert kept.getpixel((5, 5)) == (255, 255, 255)
    frames = [Image.new("P", (64, 48), colour) for colour in (1, 2, 3)]
    animated = io.BytesIO()
    frames[0].save(animated, format="GIF", save_all=True, append_images=frames[1:])
    assert (photos.prepare(io.BytesIO(animated.getvalue())).width, 48) == (64, 48)  # its first frame


def test_a_resident_sends_a_photo_with_the_form_and_only_planners_see_it_audited(client, staff_client, private_media):
    BinFactory(ref="B-0012")
    upload = SimpleUploadedFile("IMG_0042.HEIC.jpg", camera_jpeg(), content_type="image/jpeg")
    page = client.get(reverse("waste:report"))
    assert 'enctype="multipart/form-data"' in page.content.decode() and 'accept="image/jpeg' in page.content.decode()
    response = client.post(reverse("waste:report"), {"bin": "B-0012", "problem": "full", "photo": upload})
    assert response.status_code == 302
    report = BinReport.objects.get()
    [kept] = stored_files(private_media)
    assert report.photo.name.endswith(".jpg") and "IMG_0042" not in report.photo.name  # no name from the phone
    assert stat.S_IMODE(kept.stat().st_mode) == 0o600  # no other account on the server reads it
    assert not Image.open(kept).getexif()
    photo_url = reverse("waste:report-photo", args=[report.pk])
    assert client.get(photo_url).status_code == 302  # sign in first
    _, crew = staff_client(Role.SERVICE_AGENT)
    assert crew.get(photo_url).status_code == 403
    _, planner = staff_client(Role.OPERATOR)
    assert f'href="{photo_url}"' in planner.get(reverse("waste:reports")).content.decode()
    assert not AuditEntry.objects.filter(fields=["photo"]).exists()  # the list shows a link, not the photo
    shown = planner.get(photo_url)
    assert shown.status_code == 200 and shown["Content-Type"] == "image/jpeg"
    assert shown["Cache-Control"] == "private, no-store"
    assert b"".join(shown.streaming_content) == kept.read_bytes()
    assert AuditEntry.objects.get(fields=["photo"]).object_id == str(report.pk)
    header, row = planner.get(reverse("waste:reports") + "?format=csv").content.decode().splitlines()[:2]
    assert dict(zip(header.split(","), row.split(","), strict=False))["has_photo"] == "true"
    assert planner.get(reverse("waste:report-photo", args=[report.pk + 1])).status_code == 404


def test_a_file_that_is_not_a_photo_is_refused_next_to_its_field_and_nothing_is_kept(client, private_media):
    cache.clear()
    BinFactory(ref="B-0012")
    upload = SimpleUploadedFile("bin.jpg", b"MZ\x90\x00 not an image", content_type="image/jpeg")
    response = client.post(
        reverse("waste:report"),
        {"bin": "B-0012", "problem": "full", "photo": upload},
        headers={"accept-language": "es"},
    )
    assert response.status_code == 400
    assert 'id="id_photo_error"><li>Envía la foto como imagen JPEG, PNG, WebP o GIF.' in response.content.decode()
    assert not BinReport.objects.exists() and stored_files(private_media) == []
    # A good photo with another mistake: the browser will not refill the file field, so say so.
    good = SimpleUploadedFile("bin.jpg", camera_jpeg(40, 30), content_type="image/jpeg")
    again = client.post(reverse("waste:report"), {"bin": "B-0012", "problem": "", "photo": good}).content.decode()
    assert 'id="id_photo_error"><li>Choose the photo again: it is not kept while other answers need fixing.' in again
    assert not BinReport.objects.exists() and stored_files(private_media) == []


def test_a_report_too_large_or_over_the_limit_is_refused_before_its_body_is_read(client, settings):
    cache.clear()
    BinFactory(ref="B-0012")
    form = "multipart/form-data; boundary=x"
    huge = client.post(reverse("waste:report"), b"", content_type=form, CONTENT_LENGTH=str(50 * 1024 * 1024))
    assert huge.status_code == 413 and "The photo may be at most 10 MB." in huge.content.decode()
    assert 'aria-labelledby="refusal-title"' in huge.content.decode()
    settings.CITYOS_WASTE_REPORT_LIMIT_PER_HOUR = "1"
    assert client.post(reverse("waste:report"), {"bin": "B-0012", "problem": "full"}).status_code == 302
    limited = client.post(reverse("waste:report"), {"bin": "B-0012", "problem": "damaged"})
    assert limited.status_code == 429 and 'role="alert"' in limited.content.decode()
    assert BinReport.objects.count() == 1
    cache.clear()


def test_a_report_that_fails_to_save_leaves_no_photo_behind(monkeypatch, private_media):
    BinFactory(ref="B-0012")

    def broken(event: object) -> None:
        raise RuntimeError("the event bus is down")

    monkeypatch.setattr(services, "publish", broken)
    with pytest.raises(RuntimeError):
        services.report_bin("B-0012", "full", photo=photos.prepare(io.BytesIO(camera_jpeg())))
    assert not BinReport.objects.exists() and stored_files(private_media) == []


def test_a_repeat_adds_a_photo_to_a_report_without_one_and_keeps_the_first(private_media):
    BinFactory(ref="B-0012")
    first = services.report_bin("B-0012", "full").report
    assert not first.photo
    services.report_bin("B-0012", "full", photo=photos.prepare(io.BytesIO(camera_jpeg())))
    first.refresh_from_db()
    name = first.photo.name
    assert name and len(stored_files(private_media)) == 1
    services.report_bin("B-0012", "full", photo=photos.prepare(io.BytesIO(camera_jpeg(800, 600))))
    first.refresh_from_db()
    assert first.photo.name == name and first.count == 3 and len(stored_files(private_media)) == 1


def test_the_retention_job_deletes_old_photos_and_photo_links(
    settings, private_media, django_capture_on_commit_callbacks
):
    settings.CITYOS_WASTE_REPORT_PHONE_DAYS = "30"
    BinFactory(ref="B-0005")
    BinFactory(ref="B-0006")
    now = timezone.now()
    picture = photos.prepare(io.BytesIO(camera_jpeg(400, 300)))
    old = services.report_bin("B-0005", "damaged", photo=picture, at=now - timedelta(days=31)).report
    linked = services.report_bin(
        "B-0006", "damaged", media_url="https://photos.example.org/p/1.jpg", at=now - timedelta(days=40)
    ).report
    recent = services.report_bin("B-0005", "full", photo=picture, at=now - timedelta(days=2)).report
    assert len(stored_files(private_media)) == 2
    with django_capture_on_commit_callbacks(execute=True):
        assert tasks.clear_old_report_phones.call() == 2
    for report in (old, linked, recent):
        report.refresh_from_db()
    assert (old.photo.name, linked.media_url) == ("", "")
    assert recent.photo and [p.name for p in stored_files(private_media)] == [Path(recent.photo.name).name]


def test_photo_files_no_report_names_are_swept_after_a_day(private_media):
    BinFactory(ref="B-0012")
    kept = services.report_bin("B-0012", "full", photo=photos.prepare(io.BytesIO(camera_jpeg(80, 60)))).report
    stray_dir = private_media / "waste" / "reports" / "2026" / "11"
    stray_dir.mkdir(parents=True, exist_ok=True)
    old_stray, new_stray = stray_dir / "old.jpg", stray_dir / "new.jpg"
    for stray in (old_stray, new_stray):
        stray.write_bytes(b"left by a killed worker")
    # Every file's age from one clock, the sweep's: not the file system's idea of now.
    now = timezone.now()
    two_days_ago, just_now = (now - timedelta(days=2)).timestamp(), now.timestamp()
    os.utime(old_stray, (two_days_ago, two_days_ago))
    os.utime(new_stray, (just_now, just_now))
    os.utime(private_media / kept.photo.name, (two_days_ago, two_days_ago))
    assert services.sweep_orphan_photos(now) == 1
    assert not old_stray.exists() and new_stray.exists() and (private_media / kept.photo.name).exists()


def test_api_clients_send_a_photo_link_and_planners_read_it_audited(client, staff_client):
    cache.clear()
    BinFactory(ref="B-0012")
    for risky in (
        "javascript:alert(1)",
        "http://photos.example.org/p/7.jpg",  # not https
        "https://10.0.0.7/router.jpg",  # a click would reach into the city's own network
        "https://[::1]/x.jpg",
        "https://localhost/x.jpg",
        "https://printer.local/x.jpg",
        "https://user:secret@photos.example.org/x.jpg",  # a password in a link staff will see
        "https://photos.example.org/" + "p" * 500,
        "https://photos.example.org/\x00.jpg",  # PostgreSQL cannot store a NUL
    ):
        bad = client.post(
            f"{API}/reports",
            {"bin": "B-0012", "problem": "damaged", "media_url": risky},
            content_type="application/json",
        )
        assert bad.status_code == 422, risky
        assert any(e["field"].endswith("media_url") for e in bad.json()["errors"]), risky
    made = client.post(
        f"{API}/reports",
        {"bin": "B-0012", "problem": "damaged", "media_url": "https://photos.example.org/p/7.jpg"},
        content_type="application/json",
    )
    assert made.status_code == 201
    _, planner = staff_client(Role.OPERATOR)
    [listed] = planner.get(f"{API}/reports").json()["results"]
    assert (listed["media_url"], listed["has_photo"]) == ("https://photos.example.org/p/7.jpg", False)
    html = planner.get(reverse("waste:reports")).content.decode()
    assert 'href="https://photos.example.org/p/7.jpg" rel="noopener noreferrer nofollow"' in html
    assert ">Photo at photos.example.org</a>" in html  # its accessible name starts with these words too
    assert 'aria-label="Photo at photos.example.org, report' in html
    assert AuditEntry.objects.filter(fields=["media_url"], action="read").exists()
    # A look-alike name in another script is shown as what it is.
    spoof = services.report_bin("B-0012", "other", media_url="https://\u0430pple.com/p.jpg").report
    assert spoof.media_host == "xn--pple-43d.com"


# --- Crews' photos of bins they could not collect ----------------------------------------------


@pytest.fixture
def stop(db) -> Stop:
    """The first bin of today's published plan, on the route a crew follows."""
    plan = published_plan()
    return (
        Stop.objects.filter(route__plan=plan, kind=StopKind.BIN).select_related("bin").order_by("route", "sequence")[0]
    )


def missed_with_photo(stop: Stop, **kwargs: object) -> Stop:
    picture = photos.prepare(io.BytesIO(camera_jpeg(400, 300)))
    return services.mark_missed(stop, user=None, reason="blocked", photo=picture, **kwargs)


def test_a_crew_attaches_a_photo_of_a_blocked_bin_and_only_planners_see_it_audited(
    client, staff_client, stop, private_media
):
    crew_page = reverse("waste:crew", args=[stop.route_id])
    _, crew = staff_client(Role.SERVICE_AGENT)
    html = crew.get(crew_page).content.decode()
    form = html[html.index(f'action="{reverse("waste:stop-missed", args=[stop.pk])}"') :].split("</form>")[0]
    assert 'enctype="multipart/form-data"' in form
    assert f'<label for="photo-{stop.pk}">Photo (optional)</label>' in form
    assert 'type="file" accept="image/*" capture="environment"' in form  # the phone's rear camera opens
    assert "Only planners see it; it is deleted after 30 days." in form
    upload = SimpleUploadedFile("IMG_0042.jpg", camera_jpeg(), content_type="image/jpeg")
    done = crew.post(
        reverse("waste:stop-missed", args=[stop.pk]), {"reason": "blocked", "note": "Van in the bay", "photo": upload}
    )
    assert done.status_code == 302
    stop.refresh_from_db()
    [kept] = stored_files(private_media)
    assert stop.missed_reason == "blocked" and stop.missed_photo.name.startswith("waste/stops/")
    assert "IMG_0042" not in stop.missed_photo.name and stat.S_IMODE(kept.stat().st_mode) == 0o600
    assert not Image.open(kept).getexif() and b"Jane Doe" not in kept.read_bytes()
    # The crew sees that a photo went with it, on its page and on the plan's; not the photo.
    item = crew.get(crew_page).content.decode().split(f'id="stop-{stop.pk}"')[1].split("</li>")[0]
    assert "<bdi>Van in the bay</bdi> · Photo attached" in item
    photo_url = reverse("waste:stop-photo", args=[stop.pk])
    plan_page = reverse("waste:plan", args=[stop.route.plan_id])
    crews_plan = crew.get(plan_page).content.decode()
    assert "Bins the crews could not collect" in crews_plan and "Photo attached" in crews_plan
    assert photo_url not in crews_plan
    assert crew.get(photo_url).status_code == 403
    assert client.get(photo_url).status_code == 302  # sign in first
    # A planner opens it from the plan page; each view is in the audit trail.
    _, planner = staff_client(Role.OPERATOR)
    listed = planner.get(plan_page).content.decode()
    ref = stop.bin.ref
    assert f'href="{photo_url}" aria-label="Photo of what the crew saw at {ref}">Photo</a>' in listed
    assert not AuditEntry.objects.filter(fields=["missed_photo"]).exists()  # a link is not the photo
    shown = planner.get(photo_url)
    assert shown.status_code == 200 and shown["Content-Type"] == "image/jpeg"
    assert shown["Cache-Control"] == "private, no-store"
    assert b"".join(shown.streaming_content) == kept.read_bytes()
    entry = AuditEntry.objects.get(fields=["missed_photo"])
    assert (entry.object_type, entry.object_id, entry.action) == ("waste.Stop", str(stop.pk), "read")
    other = Stop.objects.filter(route__plan_id=stop.route.plan_id, kind=StopKind.BIN).exclude(pk=stop.pk).first()
    assert planner.get(reverse("waste:stop-photo", args=[other.pk])).status_code == 404  # no photo


def test_a_bad_image_is_refused_at_the_stop_in_the_crews_language_and_nothing_is_saved(
    staff_client, stop, private_media
):
    _, crew = staff_client(Role.SERVICE_AGENT)
    upload = SimpleUploadedFile("bin.jpg", b"MZ\x90\x00 not an image", content_type="image/jpeg")
    refused = crew.post(
        reverse("waste:stop-missed", args=[stop.pk]),
        {"reason": "blocked", "photo": upload},
        headers={"accept-language": "es"},
        follow=True,
    )
    said = refused.content.decode().split(f'id="stop-{stop.pk}"')[1].split("</li>")[0]
    assert f'role="alert" id="stop-problem-{stop.pk}">' in said
    assert "Envía la foto como imagen JPEG, PNG, WebP o GIF." in said
    stop.refresh_from_db()
    assert not stop.missed_reason and not stop.missed_photo and stored_files(private_media) == []
    # A good photo with another mistake: the crew is told to take it again (it is not kept).
    good = SimpleUploadedFile("bin.jpg", camera_jpeg(40, 30), content_type="image/jpeg")
    again = crew.post(reverse("waste:stop-missed", args=[stop.pk]), {"reason": "aliens", "photo": good}, follow=True)
    assert "Choose the photo again: it is not kept while other answers need fixing." in again.content.decode()
    stop.refresh_from_db()
    assert not stop.missed_reason and stored_files(private_media) == []


def test_a_mark_that_is_refused_or_fails_leaves_no_photo_behind(monkeypatch, stop, private_media):
    services.mark_collected(stop, user=None)
    with pytest.raises(ValidationError):
        missed_with_photo(stop)  # already collected
    assert stored_files(private_media) == []
    other = Stop.objects.filter(route=stop.route, kind=StopKind.BIN).exclude(pk=stop.pk).first()

    def broken(event: object) -> None:
        raise RuntimeError("the event bus is down")

    monkeypatch.setattr(services, "publish", broken)
    with pytest.raises(RuntimeError):
        missed_with_photo(other)
    other.refresh_from_db()
    assert not other.missed_reason and not other.missed_photo and stored_files(private_media) == []


def test_a_bin_collected_after_all_loses_the_photo_of_why_it_was_not(
    stop, private_media, django_capture_on_commit_callbacks
):
    missed_with_photo(stop)
    assert len(stored_files(private_media)) == 1
    with django_capture_on_commit_callbacks(execute=True):
        services.mark_collected(stop, user=None)  # the car moved
    stop.refresh_from_db()
    assert stop.collected and not stop.missed_reason and not stop.missed_photo
    assert stored_files(private_media) == []


def test_the_retention_job_deletes_crews_photos_as_old_as_residents_ones(
    settings, stop, private_media, django_capture_on_commit_callbacks
):
    settings.CITYOS_WASTE_REPORT_PHONE_DAYS = "30"
    old = missed_with_photo(stop, note="Red van")
    recent = missed_with_photo(Stop.objects.filter(route=stop.route, kind=StopKind.BIN).exclude(pk=stop.pk).first())
    Stop.objects.filter(pk=old.pk).update(missed_at=timezone.now() - timedelta(days=31))
    assert len(stored_files(private_media)) == 2
    with django_capture_on_commit_callbacks(execute=True):
        assert tasks.clear_old_report_phones.call() == 1
    old.refresh_from_db()
    recent.refresh_from_db()
    assert not old.missed_photo and (old.missed_reason, old.missed_note) == ("blocked", "Red van")
    assert recent.missed_photo and [p.name for p in stored_files(private_media)] == [
        Path(recent.missed_photo.name).name
    ]
    entry = AuditEntry.objects.get(action="retention", object_type="waste.Stop")
    assert "Photos of 1 bins crews could not collect, older than 30 days, removed" in entry.object_repr


def test_the_orphan_sweep_keeps_the_photos_stops_name_and_removes_stray_ones(stop, private_media):
    BinFactory(ref="B-0012")
    report = services.report_bin("B-0012", "full", photo=photos.prepare(io.BytesIO(camera_jpeg(80, 60)))).report
    missed = missed_with_photo(stop)
    stray = private_media / "waste" / "stops" / "2026" / "11" / "stray.jpg"
    stray.parent.mkdir(parents=True, exist_ok=True)
    stray.write_bytes(b"left by a killed worker")
    now = timezone.now()
    two_days_ago = (now - timedelta(days=2)).timestamp()
    for file in (stray, private_media / report.photo.name, private_media / missed.missed_photo.name):
        os.utime(file, (two_days_ago, two_days_ago))
    assert services.sweep_orphan_photos(now) == 1
    assert not stray.exists()
    assert (private_media / report.photo.name).exists() and (private_media / missed.missed_photo.name).exists()
