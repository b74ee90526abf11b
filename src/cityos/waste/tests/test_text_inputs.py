"""Notes residents and crews write (a bin report's, a missed bin's) are kept without bidi controls
on every path that takes one (the pages, the API, Open311 through the service), and a note stored
before is shown isolated on the staff pages."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from cityos.core.accounts.models import Role
from cityos.waste import services
from cityos.waste.models import NOTE_MAX_LENGTH, BinReport, ReportProblem, Stop, StopKind
from cityos.waste.tests.conftest import install_follow_up_text
from cityos.waste.tests.factories import BinFactory, published_plan
from cityos.waste.tests.test_photos import camera_jpeg

pytestmark = pytest.mark.django_db
RLO = "\u202e"  # RIGHT-TO-LEFT OVERRIDE
LRI, PDI = "\u2066", "\u2069"  # LEFT-TO-RIGHT ISOLATE, POP DIRECTIONAL ISOLATE
API = "/api/v1/waste"


@pytest.fixture(autouse=True)
def _setup(db: None, settings, tmp_path) -> None:
    install_follow_up_text()
    settings.PRIVATE_MEDIA_ROOT = tmp_path / "private"


@pytest.fixture
def stops(db: None) -> list[Stop]:
    plan = published_plan()
    return list(
        Stop.objects.filter(route__plan=plan, kind=StopKind.BIN).select_related("bin").order_by("route", "sequence")
    )


def test_a_residents_note_from_the_page_is_kept_without_the_controls(client):
    BinFactory(ref="B-0012")
    response = client.post(reverse("waste:report"), {"bin": "B-0012", "problem": "full", "note": f"Bags {RLO}out"})
    assert response.status_code == 302
    assert BinReport.objects.get().note == "Bags out"


def test_a_residents_note_from_the_api_is_kept_without_the_controls_and_measured_after(client):
    BinFactory(ref="B-0012")
    # The limit counts what is kept: a full note with controls around it is taken.
    note = LRI + "x" * NOTE_MAX_LENGTH + PDI
    response = client.post(
        f"{API}/reports", {"bin": "B-0012", "problem": "full", "note": note}, content_type="application/json"
    )
    assert response.status_code == 201, response.content
    assert BinReport.objects.get().note == "x" * NOTE_MAX_LENGTH


def test_the_service_keeps_every_channels_note_without_the_controls():
    # Open311's description, a script's or a test's note reach the report through the service.
    BinFactory(ref="B-0012")
    outcome = services.report_bin("B-0012", ReportProblem.DAMAGED, note=f" {RLO}Lid {LRI}off{PDI} ")
    assert outcome.report.note == "Lid off"


def test_a_crews_note_is_kept_without_the_controls_from_the_page_and_both_api_bodies(stops, staff_client):
    _user, crew = staff_client(Role.SERVICE_AGENT)
    page, as_json, as_form = stops[:3]
    response = crew.post(reverse("waste:stop-missed", args=[page.pk]), {"reason": "blocked", "note": f"Van {RLO}1"})
    assert response.status_code == 302
    crew.post(
        f"{API}/stops/{as_json.pk}/missed",
        {"reason": "blocked", "note": f"Van {RLO}2"},
        content_type="application/json",
    )
    photo = SimpleUploadedFile("bin.jpg", camera_jpeg(), "image/jpeg")
    crew.post(f"{API}/stops/{as_form.pk}/missed", {"reason": "damaged", "note": f"Lid {RLO}off", "photo": photo})
    notes = {stop.pk: stop.missed_note for stop in Stop.objects.filter(pk__in=[s.pk for s in stops[:3]])}
    assert notes == {page.pk: "Van 1", as_json.pk: "Van 2", as_form.pk: "Lid off"}
    assert BinReport.objects.get().note == "Lid off"  # the damaged-bin report filed from the mark


def test_notes_stored_with_an_override_are_shown_isolated_on_the_staff_pages(stops, staff_client):
    _user, operator = staff_client(Role.OPERATOR)
    stop = stops[0]
    services.mark_missed(stop, user=None, reason="blocked")
    Stop.objects.filter(pk=stop.pk).update(missed_note=f"Van {RLO}in bay")  # stored before the cleaning
    report = services.report_bin(stop.bin.ref, ReportProblem.FULL).report
    BinReport.objects.filter(pk=report.pk).update(note=f"Bags {RLO}out")
    crew_page = operator.get(reverse("waste:crew", args=[stop.route_id])).content.decode()
    assert f" · <bdi>Van {RLO}in bay</bdi>" in crew_page
    progress = operator.get(reverse("waste:plan", args=[stop.route.plan_id])).content.decode()
    assert f"<td><bdi>Van {RLO}in bay</bdi>" in progress
    reports = operator.get(reverse("waste:reports")).content.decode()
    assert f"<td><bdi>Bags {RLO}out</bdi>" in reports
