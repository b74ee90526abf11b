"""Residents type a bin's reference off its sticker however they can: in any case, with spaces or
without the dash, with a full stop after it, in full-width characters from a CJK input method, or
the number alone. Every channel (the web form, SMS, Open311, the API) reads it the same way, and
refuses, never guesses, when it could be more than one bin."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError
from django.test import Client
from django.urls import reverse

from cityos.waste import refs, services, sms
from cityos.waste.models import BinReport
from cityos.waste.tests.factories import BinFactory

pytestmark = pytest.mark.django_db
API = "/api/v1/waste"
SMS_URL = "/waste/hooks/sms/"
OPEN311 = "/open311/v2/requests.json"


def full_width(text: str) -> str:
    """``text`` as a CJK input method types it: full-width letters, digits, dashes and spaces."""
    return "".join("\u3000" if c == " " else chr(ord(c) + 0xFEE0) for c in text)


# How residents typed BIN-0030 (the sensing simulator's references): each shape the form once refused.
TYPED = [
    "bin-0030",
    "BIN 0030",
    "BIN0030",
    "0030",
    "30",
    "BIN-0030.",
    full_width("BIN-0030"),
    full_width("bin 0030"),
    " Bin_30 ",
]


@pytest.fixture
def city() -> None:
    """One prefix for all references: a number alone is one bin."""
    for number in (30, 31, 41, 300):
        BinFactory(ref=f"BIN-{number:04d}")


@pytest.fixture
def two_prefixes() -> None:
    """The demo's mix: sensor bins BIN-0012, and bins without a sensor BIN-S012."""
    BinFactory(ref="BIN-0012")
    BinFactory(ref="BIN-S012")


@pytest.fixture
def gateway(settings) -> Client:
    settings.CITYOS_GATEWAY_TOKEN = "gw-secret"
    return Client(headers={"Authorization": "Bearer gw-secret"})


def _text(client: Client, text: str) -> dict:
    response = client.post(SMS_URL, {"from": "+14155550123", "text": text}, content_type="application/json")
    assert response.status_code == 200
    return response.json()


# --- The canonical form -------------------------------------------------------------------------


@pytest.mark.parametrize("typed", TYPED)
def test_every_way_of_typing_a_reference_has_its_canonical_form(typed):
    # The stored BIN-0030 is BIN30; the number alone is matched against each reference's number.
    assert refs.canonical(typed) == ("30" if typed in {"0030", "30"} else refs.canonical("BIN-0030"))


def test_the_canonical_form_keeps_what_tells_references_apart():
    assert refs.canonical("BIN-0030") == "BIN30"
    assert refs.canonical("BIN-S001") == refs.canonical("bins 1") == "BINS1"  # letters join across a dash
    assert refs.canonical("A-1-2") == "A1-2" != refs.canonical("A-12")  # numbers apart stay apart
    assert refs.canonical("BIN-0300") == "BIN300" != refs.canonical("BIN-0030")  # only leading zeros go
    assert refs.canonical("BIN-000") == "BIN0"
    assert refs.canonical("垃圾桶") == "" and refs.foreign("垃圾桶")  # a word, not a reference
    assert refs.canonical("--.") == "" and not refs.foreign("--.")


# --- The lookup every channel shares ------------------------------------------------------------


@pytest.mark.parametrize("typed", TYPED)
def test_each_shape_names_the_bin(city, typed):
    assert services.find_bin(typed).ref == "BIN-0030"


def test_a_number_that_could_be_two_bins_is_refused_not_guessed(two_prefixes):
    with pytest.raises(ValidationError) as twice:
        services.find_bin("0012")
    assert twice.value.code == "ambiguous_bin"
    assert twice.value.messages == [
        "“0012” matches more than one bin, such as BIN-0012 and BIN-S012. "
        "Give the whole reference printed on its sticker."
    ]
    assert services.find_bin("bin 12").ref == "BIN-0012"  # the whole reference is one bin
    assert services.find_bin("BIN S12").ref == "BIN-S012"


def test_two_references_with_one_canonical_form_are_refused_unless_one_was_typed_exactly():
    BinFactory(ref="BIN-0030")
    BinFactory(ref="BIN-30")
    with pytest.raises(ValidationError) as twice:
        services.find_bin("bin 030")
    assert twice.value.code == "ambiguous_bin"
    assert services.find_bin("BIN-30").ref == "BIN-30"


def test_unknown_and_out_of_service_bins_are_refused_in_any_spelling(city):
    BinFactory(ref="BIN-0099", is_active=False)
    with pytest.raises(ValidationError) as unknown:
        services.reportable_bin("BIN 77")
    assert unknown.value.messages == ["We do not know the bin “BIN 77”. Check the reference printed on its sticker."]
    with pytest.raises(ValidationError) as inactive:
        services.reportable_bin("bin0099")
    assert inactive.value.messages == ["Bin BIN-0099 is out of service and cannot be reported."]
    for foreign in ("垃圾桶", "BINé30", "---"):
        with pytest.raises(ValidationError) as nothing:
            services.find_bin(foreign)
        assert nothing.value.code == "unknown_bin"


def test_a_second_reading_is_tried_only_when_the_first_names_no_bin(two_prefixes):
    assert services.reportable_bin("bin 12", "12").ref == "BIN-0012"  # the first reading is one bin
    BinFactory(ref="C-0041")
    assert services.reportable_bin("bin 41", "41").ref == "C-0041"  # no BIN-0041: the number alone
    with pytest.raises(ValidationError) as unknown:
        services.reportable_bin("bin 77", "77")
    assert unknown.value.messages[0].startswith("We do not know the bin “bin 77”.")  # as the resident wrote it


# --- The web form -------------------------------------------------------------------------------


@pytest.mark.parametrize("typed", TYPED)
def test_the_form_reports_the_bin_however_its_reference_was_typed(client, city, typed):
    response = client.post(reverse("waste:report"), {"bin": typed, "problem": "full"})
    assert response.status_code == 302, typed
    assert BinReport.objects.get().bin.ref == "BIN-0030"


def test_the_form_refuses_a_number_that_could_be_two_bins_next_to_the_field(client, two_prefixes):
    response = client.post(reverse("waste:report"), {"bin": "0012", "problem": "full"})
    html = response.content.decode()
    assert response.status_code == 400
    assert 'id="id_bin_error"><li>“0012” matches more than one bin, such as BIN-0012 and BIN-S012.' in html
    spanish = client.post(
        reverse("waste:report"), {"bin": "12", "problem": "full"}, headers={"accept-language": "es"}
    ).content.decode()
    assert "«12» corresponde a más de un contenedor, como BIN-0012 y BIN-S012. Escribe" in spanish
    chinese = client.post(
        reverse("waste:report"), {"bin": "12", "problem": "full"}, headers={"accept-language": "zh-hant"}
    ).content.decode()
    assert "「12」符合不只一個垃圾桶" in chinese
    assert not BinReport.objects.exists()


def test_the_problem_fieldset_points_only_at_descriptions_that_are_there(client, city):
    blank = client.get(reverse("waste:report")).content.decode()
    assert 'aria-describedby=""' not in blank
    fieldset = blank[blank.index("<fieldset") : blank.index(">", blank.index("<fieldset"))]
    assert "aria-describedby" not in fieldset  # no help, no error: nothing to point at
    refused = client.post(reverse("waste:report"), {"bin": "BIN-0030"}).content.decode()
    fieldset = refused[refused.index("<fieldset") : refused.index(">", refused.index("<fieldset"))]
    assert 'aria-describedby="id_problem_error"' in fieldset and 'id="id_problem_error"' in refused


# --- SMS ----------------------------------------------------------------------------------------


def test_parse_splits_keyword_reference_and_problem_words():
    assert sms.parse("BIN bin 0041 full") == sms.BinQuery("BIN", "", "bin 0041", "full", "full", "0041")
    assert sms.parse("BIN BIN 0041 FULL") == sms.BinQuery("BIN", "", "BIN 0041", "full", "FULL", "0041")
    assert sms.parse("BIN 0041 full") == sms.BinQuery("BIN", "", "0041", "full", "full")
    assert sms.parse("BIN bin-0041, damaged") == sms.BinQuery("BIN", "", "bin-0041,", "damaged", "damaged")
    assert sms.parse("BIN BIN S 001") == sms.BinQuery("BIN", "", "BIN S 001", "full", "", "S 001")
    assert sms.parse("BIN BIN-S 001") == sms.BinQuery("BIN", "", "BIN-S 001", "full", "")  # not repeated
    assert sms.parse("BIN 0041 smelly") == sms.BinQuery("BIN", "", "0041", "", "smelly")
    # Full-width text from a CJK input method; a Chinese word with no space before it.
    assert sms.parse(full_width("BIN BIN-0041 FULL")) == sms.BinQuery("BIN", "", "BIN-0041", "full", "FULL")
    assert sms.parse("垃圾桶 垃圾桶 0041滿") == sms.BinQuery("垃圾桶", "zh-hant", "0041", "full", "滿")
    # The keyword alone, or repeated with no reference: the help.
    assert sms.parse("BIN BIN").ref == "" and sms.parse("bin full").ref == ""  # type: ignore[union-attr]


@pytest.mark.parametrize(
    "text",
    [
        "BIN bin 0041 full",
        "BIN BIN0041",
        "bin 0041",
        "BIN 41 full.",
        "BIN BIN-0041.",
        full_width("BIN bin0041 full"),
        "CONTENEDOR contenedor 41 lleno",
        "垃圾桶 垃圾桶 BIN-0041 滿",
    ],
)
def test_a_text_reports_the_bin_however_its_reference_was_typed(gateway, city, text):
    answer = _text(gateway, text)
    assert answer["action"] == "reported", answer
    assert "BIN-0041" in answer["reply"]
    assert BinReport.objects.get().bin.ref == "BIN-0041"


def test_a_repeated_keyword_that_is_not_the_references_start_is_dropped(gateway):
    BinFactory(ref="C-0041")
    assert _text(gateway, "BIN bin 0041 full")["action"] == "reported"
    assert BinReport.objects.get().bin.ref == "C-0041"


def test_a_text_with_a_number_that_could_be_two_bins_is_refused(gateway, two_prefixes):
    answer = _text(gateway, "BIN bin 12")  # BIN-0012 as typed: no ambiguity
    assert answer["action"] == "reported" and "BIN-0012" in answer["reply"]
    twice = _text(gateway, "BIN 0012 full")
    assert twice["action"] == "refused"
    assert twice["reply"].startswith("“0012” matches more than one bin, such as BIN-0012 and BIN-S012.")
    zh = _text(gateway, "垃圾桶 12 滿")
    assert zh["action"] == "refused" and "BIN-0012" in zh["reply"] and "BIN-S012" in zh["reply"]
    assert BinReport.objects.count() == 1


def test_a_text_with_an_unknown_reference_says_so(gateway, city):
    unknown = _text(gateway, "BIN bin 0077 full")
    assert unknown["action"] == "refused"
    assert unknown["reply"].startswith("We do not know the bin “bin 0077”.")
    assert _text(gateway, "BIN BIN")["action"] == "bin_help"
    assert not BinReport.objects.exists()


# --- Open311 and the API ------------------------------------------------------------------------


def test_an_open311_request_names_the_bin_however_its_reference_was_typed(client, city, two_prefixes):
    made = client.post(OPEN311, {"service_code": "waste-bin-full", "address_string": "x", "attribute[bin]": "bin 30."})
    assert made.status_code == 201, made.content
    assert BinReport.objects.get().bin.ref == "BIN-0030"
    twice = client.post(OPEN311, {"service_code": "waste-bin-full", "address_string": "x", "attribute[bin]": "12"})
    assert twice.status_code == 400
    assert twice.json()[0]["description"].startswith("attribute[bin]: “12” matches more than one bin")


def test_the_api_names_the_bin_however_its_reference_was_typed(client, city, two_prefixes):
    made = client.post(
        f"{API}/reports", {"bin": full_width("BIN0030"), "problem": "full"}, content_type="application/json"
    )
    assert made.status_code == 201 and made.json()["bin"] == "BIN-0030"
    number = client.post(f"{API}/reports", {"bin": "41", "problem": "damaged"}, content_type="application/json")
    assert number.status_code == 201 and number.json()["bin"] == "BIN-0041"  # one bin has the number 41
    twice = client.post(f"{API}/reports", {"bin": "0012", "problem": "full"}, content_type="application/json")
    assert twice.status_code == 422
    errors = twice.json()["errors"]
    assert any(e["field"].endswith("bin") and "more than one bin" in e["message"] for e in errors), errors
    assert BinReport.objects.count() == 2
