"""Printed pages: each line in fonts that have its characters (Thai, Devanagari, Arabic and
Vietnamese from the pinned font packages, Chinese from the system's CJK font), shaped, a line no
font can print left out rather than printed as empty boxes, and a QR code below the text.

The PDFs are read back as a viewer would: the fonts embedded, and for each the characters its
ToUnicode map gives the glyphs printed (a character whose glyph a font lacks is not in it)."""

from __future__ import annotations

import logging
import re
import zlib
from pathlib import Path

import pytest
from fpdf import FPDF

from cityos.core.web import pdf
from cityos.core.web.pdf import PrintedPage

THAI = "ร้านกาแฟสมใจ"
DEVANAGARI = "क्षत्रिय चाय की दुकान"
ARABIC = "مقهى النخيل"
VIETNAMESE = "Phở Hà Nội"
CHINESE = "茶餐廳"
FONT_LISTS = ("LATIN_FONTS", "DEVANAGARI_FONTS", "THAI_FONTS", "ARABIC_FONTS", "CJK_FONTS")


def _height_after(page: PrintedPage, text: str, language: str) -> float:
    before = page.pdf.get_y()
    page.line(text, language, 12, 6)
    return page.pdf.get_y() - before


def _objects(data: bytes) -> dict[int, tuple[bytes, bytes | None]]:
    """Each object of an fpdf2 PDF: its dictionary and its stream, inflated."""
    objects: dict[int, tuple[bytes, bytes | None]] = {}
    for match in re.finditer(rb"(\d+) 0 obj\n<<(.*?)>>\n(stream\n|endobj)", data, re.S):
        number, dictionary, kind = match.groups()
        stream = None
        if kind == b"stream\n":
            length = re.search(rb"/Length (\d+)", dictionary)
            assert length is not None
            stream = data[match.end() : match.end() + int(length.group(1))]
            if b"/FlateDecode" in dictionary:
                stream = zlib.decompress(stream)
        objects[int(number)] = (dictionary, stream)
    return objects


def _printed(data: bytes) -> dict[str, dict[str, set[int]]]:
    """For each embedded font (by name), the characters printed with it and the glyphs (ids in
    the embedded font) that print each: a character in a ligature or a joining form is listed
    under each glyph it is part of; glyph 0 would be the empty box."""
    objects = _objects(data)

    def ref(dictionary: bytes, key: bytes) -> tuple[bytes, bytes | None]:
        found = re.search(rb"/" + key + rb" \[?(\d+) 0 R", dictionary)
        assert found is not None, key
        return objects[int(found.group(1))]

    fonts: dict[str, dict[str, set[int]]] = {}
    for dictionary, _ in objects.values():
        if b"/Subtype /Type0" not in dictionary:
            continue
        name = re.search(rb"/BaseFont /MPDFAA\+(\S+)", dictionary)
        assert name is not None
        to_unicode = ref(dictionary, b"ToUnicode")[1] or b""
        gid_map = ref(ref(dictionary, b"DescendantFonts")[0], b"CIDToGIDMap")[1] or b""
        chars: dict[str, set[int]] = {}
        for cid, text in re.findall(rb"<([0-9A-F]{4})> <([0-9A-F]+)>", to_unicode.split(b"beginbfchar")[-1]):
            code = int(cid, 16)
            gid = int.from_bytes(gid_map[2 * code : 2 * code + 2], "big")
            for char in bytes.fromhex(text.decode()).decode("utf-16-be"):
                chars.setdefault(char, set()).add(gid)
        fonts[name.group(1).decode()] = chars
    return fonts


def _font_printing(fonts: dict[str, dict[str, set[int]]], text: str) -> set[str]:
    """The fonts that print ``text``'s characters; fails if one is printed by none, or as a box."""
    used = set()
    for char in text.replace(" ", ""):
        having = [name for name, chars in fonts.items() if char in chars]
        assert having, f"{char!r} of {text!r} is not printed"
        assert all(0 not in fonts[name][char] for name in having), f"{char!r} printed as a box"
        used.update(having)
    return used


@pytest.fixture
def packaged_fonts_only(monkeypatch: pytest.MonkeyPatch) -> None:
    """As on a machine without any system font: only the pinned font packages."""
    for name in FONT_LISTS:
        monkeypatch.setattr(pdf, name, [source for source in getattr(pdf, name) if isinstance(source, pdf.Packaged)])


def test_fonts_come_from_the_pinned_packages_before_the_systems() -> None:
    fonts = dict(pdf.text_fonts())
    for family in ("latin", "thai", "arabic"):
        assert "site-packages" in Path(fonts[family]).parts, family
    assert "devanagari" not in fonts  # Noto Sans has it


def test_thai_devanagari_arabic_and_vietnamese_names_print_from_the_packages_alone(
    packaged_fonts_only: None, caplog: pytest.LogCaptureFixture
) -> None:
    page = PrintedPage("A4", title="test")
    with caplog.at_level(logging.WARNING, logger="fpdf"):
        for name in (THAI, DEVANAGARI, ARABIC, VIETNAMESE):
            assert _height_after(page, name, "en") == pytest.approx(6), name  # printed, not left out
        printed = _printed(page.output())

    assert set(printed) == {"NotoSans", "NotoSansThai", "NotoSansArabic"}
    assert _font_printing(printed, THAI) >= {"NotoSansThai"}
    assert _font_printing(printed, DEVANAGARI) == {"NotoSans"}
    assert _font_printing(printed, ARABIC) == {"NotoSansArabic"}
    assert _font_printing(printed, VIETNAMESE) == {"NotoSans"}
    assert not [record for record in caplog.records if "missing" in record.getMessage()]


def test_text_is_shaped_conjuncts_and_joining_forms(packaged_fonts_only: None) -> None:
    page = PrintedPage("A4", title="test")
    page.line(DEVANAGARI, "hi", 12, 6)
    page.line(ARABIC, "ar", 12, 6)
    printed = _printed(page.output())

    assert page.pdf.text_shaping
    # क्ष is one glyph: ष prints only within a glyph that prints क too (and क alone in की).
    assert printed["NotoSans"]["ष"] < printed["NotoSans"]["क"]
    # ل starts a word (after the article's alef) and ends it: two joining forms, two glyphs.
    assert len(printed["NotoSansArabic"]["ل"]) == 2


def test_a_chinese_name_prints_in_the_systems_cjk_font_in_a_line_of_any_language() -> None:
    if pdf.first_font(pdf.CJK_FONTS) is None:
        pytest.skip("no CJK font here (apt-get install fonts-wqy-microhei)")
    page = PrintedPage((105, 148), title="test")
    assert _height_after(page, "垃圾桶滿了", "zh-hant") == pytest.approx(6)
    assert _height_after(page, f"Venue {CHINESE}", "en") == pytest.approx(6)  # a Chinese name in an English line
    printed = _printed(page.output())

    cjk = _font_printing(printed, "垃圾桶滿了" + CHINESE)
    assert len(cjk) == 1 and "NotoSans" not in cjk
    assert _font_printing(printed, "Venue") == {"NotoSans"}  # the English line's Latin: Noto Sans


def test_a_line_mixing_scripts_prints_each_character_in_a_font_that_has_it(packaged_fonts_only: None) -> None:
    page = PrintedPage("A4", title="test")
    assert _height_after(page, f"Café {THAI} · {ARABIC} · चाय", "en") == pytest.approx(6)
    printed = _printed(page.output())

    assert _font_printing(printed, "Café·चाय") == {"NotoSans"}
    assert _font_printing(printed, THAI) >= {"NotoSansThai"}
    assert _font_printing(printed, ARABIC) == {"NotoSansArabic"}


def test_a_line_with_a_letter_no_font_has_is_left_out_and_a_symbol_no_font_has_is_dropped(
    packaged_fonts_only: None,
) -> None:
    page = PrintedPage("A4", title="test")
    assert _height_after(page, "ሰላም Café", "en") == 0  # Ethiopic: no font here
    assert _height_after(page, "Café \U0001f375", "en") == pytest.approx(6)  # the teacup emoji
    assert _height_after(page, "\U0001f375", "en") == 0
    printed = _printed(page.output())

    assert set(printed) == {"NotoSans"} and "\U0001f375" not in printed["NotoSans"]


def test_without_a_cjk_font_chinese_lines_are_left_out_and_the_rest_prints(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(pdf, "CJK_FONTS", [])
    page = PrintedPage((105, 148), title="test")
    assert _height_after(page, "垃圾桶滿了", "zh-hant") == 0
    assert _height_after(page, f"Venue {CHINESE}", "en") == 0
    assert _height_after(page, "¿Está lleno?", "es") == pytest.approx(6)


def test_without_any_font_latin_text_falls_back_to_the_pdf_core_font(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in FONT_LISTS:
        monkeypatch.setattr(pdf, name, [])
    page = PrintedPage("A4", title="test")
    assert _height_after(page, "Café \u2013 ready", "en") == pytest.approx(6)  # the dash becomes "?"
    assert page.pdf.font_family == "helvetica"


def test_running_text_gets_every_scripts_font_as_a_fallback(packaged_fonts_only: None) -> None:
    sheet = FPDF()
    sheet.add_page()
    family, unicode = pdf.add_text_fonts(sheet)
    sheet.set_font(family, size=10)
    sheet.cell(0, 6, f"{VIETNAMESE} {THAI} {ARABIC}")
    printed = _printed(bytes(sheet.output()))

    assert (family, unicode) == ("latin", True) and sheet.text_shaping
    assert _font_printing(printed, VIETNAMESE) == {"NotoSans"}
    assert _font_printing(printed, THAI) >= {"NotoSansThai"}
    assert _font_printing(printed, ARABIC) == {"NotoSansArabic"}


def test_a_qr_code_is_placed_below_the_text_and_moves_the_next_line_down() -> None:
    page = PrintedPage("A4", title="test", margin=10)
    page.line("Scan me", "en", 12, 6)
    top = page.pdf.get_y()
    page.qr_code("https://city.example/report/BIN-1", 50)
    assert page.pdf.get_y() == pytest.approx(top + 50 + 8)
    assert len(page.output()) > 1000
