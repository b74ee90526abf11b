"""How the waste pages word what they show: dates in each language's own order, forecast dates a
reader can place in the calendar,
an open interval explained rather than a bare "?", an example reference shaped like the ones on
the stickers, counts with their plurals, and links that point where the demo is served."""

from __future__ import annotations

import importlib
import re
from datetime import date, datetime

import pytest
from django.template import Context, Template
from django.test import Client
from django.urls import reverse
from django.utils import timezone, translation

from cityos.core.accounts.models import Role
from cityos.core.web.management.commands.serve import use_served_base_url
from cityos.waste import demo
from cityos.waste.models import Plan
from cityos.waste.tests.factories import BinFactory, published_plan

pytestmark = pytest.mark.django_db
DASH = "\u2013"  # the en dash between an interval's bounds
EVERY_INTERFACE = ("0.0.0.0", "::")  # noqa: S104 (what a server is told to bind, not a binding)


def at(month: int, day: int, hour: int, minute: int = 0) -> datetime:
    return timezone.make_aware(datetime(2031, month, day, hour, minute))


@pytest.fixture
def weeks_apart_bin():
    """Full on 29 November, with an interval running into December, weeks later."""
    return BinFactory(
        ref="BIN-0012", full_at=at(11, 29, 11, 18), full_at_early=at(11, 26, 22, 42), full_at_late=at(12, 17, 8, 5)
    )


@pytest.fixture
def open_ended_bin():
    """The slow end of the interval does not reach full within the forecast's horizon."""
    return BinFactory(ref="BIN-0013", full_at=at(11, 29, 11, 18), full_at_early=at(11, 28, 6), full_at_late=None)


FRIDAY = date(2025, 11, 28)
# A plan's day as each language writes it: English and Spanish weekday first, Chinese month and
# day first and the weekday after (not "星期五 28 十一月").
PLAN_DAY = {"en": "Fri 28 Nov", "zh-hant": "11月28日 星期五", "es": "vie 28 nov"}
PLAN_DAY_WITH_YEAR = {"en": "Fri 28 Nov 2025", "zh-hant": "2025年11月28日 星期五", "es": "vie 28 nov 2025"}
OUR_FORMATS = ("WEEKDAY_MONTH_DAY_FORMAT", "WEEKDAY_DATE_FORMAT", "LONG_WEEKDAY_DATE_FORMAT", "SHORT_MONTH_DATE_FORMAT")


@pytest.mark.parametrize("language", ["en", "zh-hant", "es"])
def test_a_day_is_written_in_each_languages_own_order(language):
    page = Template('{{ day|date:"WEEKDAY_MONTH_DAY_FORMAT" }}|{{ day|date:"WEEKDAY_DATE_FORMAT" }}')
    with translation.override(language):
        short, with_year = page.render(Context({"day": FRIDAY})).split("|")
    assert (short, with_year) == (PLAN_DAY[language], PLAN_DAY_WITH_YEAR[language])


@pytest.mark.parametrize("locale", ["en", "zh_Hant", "es"])
def test_every_language_defines_every_date_format_the_pages_use(locale):
    # A name missing from a language would be read as a format string: "WEEKDAY..." letter by letter.
    module = importlib.import_module(f"cityos.formats.{locale}.formats")
    assert all(isinstance(getattr(module, name, None), str) for name in OUR_FORMATS)


@pytest.mark.parametrize("language", ["en", "zh-hant", "es"])
def test_the_plans_results_and_crew_pages_date_a_plan_in_the_readers_language(staff_client, language):
    plan = published_plan()
    Plan.objects.filter(pk=plan.pk).update(date=FRIDAY)
    _, operator = staff_client(Role.OPERATOR)
    _, crew = staff_client(Role.SERVICE_AGENT)
    plans = operator.get(reverse("waste:plans"), HTTP_ACCEPT_LANGUAGE=language).content.decode()
    results = operator.get(reverse("waste:results"), HTTP_ACCEPT_LANGUAGE=language).content.decode()
    route = plan.routes.first()
    crew_page = crew.get(reverse("waste:crew", args=[route.pk]), HTTP_ACCEPT_LANGUAGE=language).content.decode()

    assert f"{PLAN_DAY_WITH_YEAR[language]} #{plan.pk}</a>" in plans
    assert f">{PLAN_DAY[language]}</a></td>" in results
    assert re.search(rf"<h1>[^<]*{PLAN_DAY[language]}</h1>", crew_page)
    assert not any("十一月" in page for page in (plans, results, crew_page))


def forecast_cell(html: str, ref: str) -> str:
    row = re.search(rf"<tr>\s*<td><a [^>]*>{ref}</a>.*?</tr>", html, re.S)
    assert row, ref
    return " ".join(re.findall(r"<td>(.*?)</td>", row.group(0), re.S)[4].split())


def test_the_bins_table_dates_the_forecast_with_day_and_month_so_weeks_apart_read_in_order(
    staff_client, weeks_apart_bin
):
    _, operator = staff_client(Role.OPERATOR)
    cell = forecast_cell(operator.get(reverse("waste:bins")).content.decode(), "BIN-0012")
    assert cell.startswith("November 29 11:18")
    assert f"(November 26 22:42 {DASH} December 17 08:05)" in cell


@pytest.mark.parametrize(
    ("language", "expected"),
    [
        ("zh-hant", "11月29日 11:18"),
        ("es", "29 de noviembre 11:18"),
    ],
)
def test_the_forecast_dates_follow_the_readers_language(staff_client, weeks_apart_bin, language, expected):
    _, operator = staff_client(Role.OPERATOR)
    html = operator.get(reverse("waste:bins"), HTTP_ACCEPT_LANGUAGE=language).content.decode()
    assert forecast_cell(html, "BIN-0012").startswith(expected)
    assert "星期" not in html  # no weekday that reads as the only date


def test_an_interval_without_a_later_bound_says_so_and_the_table_explains_it(staff_client, open_ended_bin):
    _, operator = staff_client(Role.OPERATOR)
    html = operator.get(reverse("waste:bins")).content.decode()
    cell = forecast_cell(html, "BIN-0013")
    assert "?" not in cell and f"(November 28 06:00 {DASH} no later bound)" in cell
    note = re.search(r'<p id="bins-interval-note"[^>]*>(.*?)</p>', html, re.S)
    assert note and "No later bound" in note.group(1) and "30 days" in note.group(1)
    assert 'aria-describedby="bins-interval-note"' in html


def test_the_bins_table_keeps_a_cell_under_each_header(staff_client, weeks_apart_bin, open_ended_bin):
    _, operator = staff_client(Role.OPERATOR)
    html = operator.get(reverse("waste:bins")).content.decode()
    table = re.search(r"<table>.*?</table>", html, re.S).group(0)
    headers = len(re.findall(r'<th scope="col"', table.split("</thead>")[0]))
    rows = re.findall(r"<tr>(.*?)</tr>", table.split("<tbody>")[1], re.S)
    assert len(rows) == 2
    for row in rows:
        assert len(re.findall(r"<t[hd][ >]", row)) == headers


def test_the_bin_page_gives_the_interval_with_dates_and_explains_an_open_one(
    staff_client, weeks_apart_bin, open_ended_bin
):
    _, operator = staff_client(Role.OPERATOR)
    closed = operator.get(reverse("waste:bin", args=[weeks_apart_bin.pk])).content.decode()
    assert f"80% interval Nov. 26, 2031, 10:42 p.m. {DASH} Dec. 17, 2031, 8:05 a.m." in closed
    opened = " ".join(operator.get(reverse("waste:bin", args=[open_ended_bin.pk])).content.decode().split())
    assert "80% interval from Nov. 28, 2031, 6 a.m., with no later bound" in opened
    assert f"{DASH} ?" not in opened and "within 30 days" in opened


def test_the_report_form_gives_an_example_reference_shaped_like_the_stickers():
    html = Client().get(reverse("waste:report")).content.decode()
    assert "for example BIN-0012" in html
    assert "B-0012" not in html.replace("BIN-0012", "")


def test_the_demo_counts_bins_and_routes_with_their_plurals():
    assert demo.plan_summary(26, 1) == "waste: today's plan, 26 bins over 1 route"
    assert demo.plan_summary(1, 2) == "waste: today's plan, 1 bin over 2 routes"
    assert demo.counted(0, "bin", "bins") == "0 bins"


class TestTheDemoLinksToWhereItIsServed:
    @pytest.fixture(autouse=True)
    def unset(self, monkeypatch, settings):
        monkeypatch.setenv("CITYOS_BASE_URL", "set by the test")  # so that the teardown restores it
        monkeypatch.delenv("CITYOS_BASE_URL")
        settings.CITYOS_BASE_URL = "http://127.0.0.1:8000"

    def test_its_port_and_host_make_the_base_url_of_stickers_and_messages(self, settings):
        assert use_served_base_url("127.0.0.1", 8101) == "http://127.0.0.1:8101"
        assert settings.CITYOS_BASE_URL == "http://127.0.0.1:8101"

    @pytest.mark.parametrize(
        ("host", "url"),
        [
            (EVERY_INTERFACE[0], "http://127.0.0.1:8101"),
            (EVERY_INTERFACE[1], "http://127.0.0.1:8101"),
            ("::1", "http://[::1]:8101"),
        ],
    )
    def test_serving_every_interface_links_to_this_machine(self, settings, host, url):
        assert use_served_base_url(host, 8101) == url

    def test_the_bin_page_links_its_report_page_there(self, settings, staff_client):
        use_served_base_url("localhost", 8101)
        target = BinFactory(ref="BIN-0012")
        _, operator = staff_client(Role.OPERATOR)
        html = operator.get(reverse("waste:bin", args=[target.pk])).content.decode()
        assert "It links to http://localhost:8101/waste/bins/BIN-0012/report/" in html

    def test_a_base_url_set_in_the_environment_wins(self, monkeypatch, settings):
        monkeypatch.setenv("CITYOS_BASE_URL", "https://city.example.gov")
        settings.CITYOS_BASE_URL = "https://city.example.gov"
        assert use_served_base_url("127.0.0.1", 8101) == "https://city.example.gov"
        assert settings.CITYOS_BASE_URL == "https://city.example.gov"
