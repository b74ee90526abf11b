"""Printed pages: each line in a font that can print its language, Chinese left out rather than
printed as empty boxes where the system has no CJK font, and a QR code below the text."""

from __future__ import annotations

import pytest

from cityos.core.web import pdf
from cityos.core.web.pdf import PrintedPage


def _height_after(page: PrintedPage, text: str, language: str) -> float:
    before = page.pdf.get_y()
    page.line(text, language, 12, 6)
    return page.pdf.get_y() - before


def test_chinese_lines_print_with_a_cjk_font_when_the_system_has_one() -> None:
    if pdf.first_font(pdf.CJK_FONTS) is None:
        pytest.skip("no CJK font here (apt-get install fonts-wqy-microhei)")
    page = PrintedPage((105, 148), title="test")
    assert _height_after(page, "垃圾桶滿了", "zh-hant") == pytest.approx(6)
    assert _height_after(page, "Venue 茶餐廳", "en") == pytest.approx(6)  # a Chinese name in an English line
    assert page.output().startswith(b"%PDF")


def test_without_a_cjk_font_chinese_lines_are_left_out_and_the_rest_prints(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(pdf, "CJK_FONTS", [])
    page = PrintedPage((105, 148), title="test")
    assert _height_after(page, "垃圾桶滿了", "zh-hant") == 0
    assert _height_after(page, "¿Está lleno?", "es") == pytest.approx(6)


def test_without_any_font_latin_text_falls_back_to_the_pdf_core_font(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(pdf, "CJK_FONTS", [])
    monkeypatch.setattr(pdf, "LATIN_FONTS", [])
    page = PrintedPage("A4", title="test")
    assert _height_after(page, "Café \u2013 ready", "en") == pytest.approx(6)  # the dash becomes "?"
    assert page.pdf.font_family == "helvetica"


def test_a_qr_code_is_placed_below_the_text_and_moves_the_next_line_down() -> None:
    page = PrintedPage("A4", title="test", margin=10)
    page.line("Scan me", "en", 12, 6)
    top = page.pdf.get_y()
    page.qr_code("https://city.example/report/BIN-1", 50)
    assert page.pdf.get_y() == pytest.approx(top + 50 + 8)
    assert len(page.output()) > 1000
