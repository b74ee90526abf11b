"""Printed pages (posters, stickers) in every language of the city, with a QR code.

Chinese needs a font with CJK glyphs; the first one found on the system is used (Debian:
fonts-noto-cjk or fonts-wqy-microhei). Without one, Chinese lines are left out rather than
printed as empty boxes. Other text uses a Unicode TrueType font when the system has one, else
the PDF core font with the text reduced to Latin-1.
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from pathlib import Path

import segno
from fpdf import FPDF

CJK_FONTS = [
    "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc",
    "/usr/share/fonts/truetype/noto/NotoSansCJK-Regular.ttc",
    "/usr/share/fonts/truetype/wqy/wqy-microhei.ttc",
    "/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc",
    "/usr/share/fonts/truetype/arphic/uming.ttc",
]
LATIN_FONTS = [
    "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf",
    "/usr/share/fonts/truetype/liberation/LiberationSans-Regular.ttf",
]


def first_font(paths: list[str]) -> str | None:
    return next((p for p in paths if Path(p).is_file()), None)


def add_text_fonts(pdf: FPDF) -> tuple[str, bool]:
    """Register the system's Unicode fonts on ``pdf`` for running text that may mix scripts (a
    table, a sheet): the Latin font as the family, the CJK font as its fallback, which fpdf2
    uses for each character the first lacks. Returns the family to set and whether it is
    Unicode; if not (no font found), text must be reduced to Latin-1."""
    latin, cjk = first_font(LATIN_FONTS), first_font(CJK_FONTS)
    if latin:
        pdf.add_font("latin", fname=latin)
    if cjk:
        pdf.add_font("cjk", fname=cjk)
    if latin and cjk:
        pdf.set_fallback_fonts(["cjk"])
    if latin or cjk:
        return ("latin" if latin else "cjk"), True
    return "helvetica", False


def _has_cjk(text: str) -> bool:
    return any(ord(char) >= 0x2E80 for char in text)


class PrintedPage:
    """One page of centred lines, each in the font its language needs, and QR codes."""

    def __init__(self, page_format: str | tuple[float, float], *, title: str, margin: float | None = None) -> None:
        self.pdf = FPDF(format=page_format)
        self.pdf.set_auto_page_break(auto=False)
        if margin is not None:
            self.pdf.set_margins(margin, margin, margin)
        self.pdf.set_title(title)
        self.pdf.add_page()
        self.latin, self.cjk = first_font(LATIN_FONTS), first_font(CJK_FONTS)
        self.body_end = 0.0  # where a layout's text ends (mm from the top), for it to check
        if self.latin:
            self.pdf.add_font("latin", fname=self.latin)
        if self.cjk:
            self.pdf.add_font("cjk", fname=self.cjk)

    def line(self, text: str, language: str, size: float, height: float) -> None:
        """A centred line (wrapped if long) in ``language``; left out if no font can print it."""
        printable = self._set_font(text, language, size)
        if printable is not None:
            self.pdf.multi_cell(0, height, printable, align="C", new_x="LMARGIN", new_y="NEXT")

    def fitted_line(self, text: str, language: str, sizes: Sequence[float], *, max_lines: int) -> None:
        """A centred line at the largest of ``sizes`` that wraps to at most ``max_lines`` lines (else
        the smallest), so that a long name does not push what follows off the page."""
        chosen = sizes[-1]
        for size in sizes:
            printable = self._set_font(text, language, size)
            if printable is None:
                return
            lines = self.pdf.multi_cell(0, size * 0.5, printable, dry_run=True, output="LINES")
            if isinstance(lines, list) and len(lines) <= max_lines:
                chosen = size
                break
        self.line(text, language, chosen, chosen * 0.5)

    def _set_font(self, text: str, language: str, size: float) -> str | None:
        """Set the font ``text`` in ``language`` needs; the text as it can be printed, or None."""
        if language.startswith("zh") or _has_cjk(text):
            if not self.cjk:
                return None
            self.pdf.set_font("cjk", size=size)
            return text
        if self.latin:
            self.pdf.set_font("latin", size=size)
            return text
        self.pdf.set_font("helvetica", size=size)
        return text.encode("latin-1", "replace").decode("latin-1")

    def qr_code(self, data: str, size: float, *, gap: float = 4) -> None:
        """A QR code of ``data``, ``size`` mm square, centred below what is already there."""
        image = io.BytesIO()
        segno.make(data, error="m").save(image, kind="png", scale=10, border=2)
        image.seek(0)
        self.pdf.image(image, x=(self.pdf.w - size) / 2, y=self.pdf.get_y() + gap, w=size, h=size)
        self.pdf.set_y(self.pdf.get_y() + size + 2 * gap)

    def output(self) -> bytes:
        return bytes(self.pdf.output())
