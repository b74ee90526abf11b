"""Printed pages (posters, stickers, route sheets) in every script a city's residents write, with
QR codes.

Fonts come from Python packages pinned in pyproject.toml, so a page prints the same on any
machine, offline: Noto Sans (``fontpkg-noto-sans``: Latin with Vietnamese, Greek, Cyrillic and
Devanagari), Noto Sans Thai and Noto Sans Arabic. The system's fonts are the fallback where a
package is missing (DejaVu or Liberation; Debian's Noto for Thai, Arabic, Devanagari), and the
only source of Chinese, Japanese and Korean: no CJK font package on PyPI is of a reasonable size
(the smallest is some 33 MB installed), so these need Debian's ``fonts-noto-cjk`` or
``fonts-wqy-microhei``.

A printed page registers only the fonts its lines need: the first for the line's language (the
CJK font for Chinese, Japanese and Korean, Noto Sans for the others) as the family, the rest as
fpdf2 fallback fonts, which it uses for each character the family lacks, so a line mixing scripts
prints. Running text (``add_text_fonts``: a route sheet) gets every script's font the same way.
Only the default instance (Regular) of the variable Noto fonts is embedded, subset. With
``uharfbuzz`` (pinned) text is shaped: Devanagari conjuncts, Thai marks, Arabic joining and
right-to-left order. A line with a letter, digit or mark no font has is left out rather than
printed with empty boxes; a symbol no font has (an emoji) is dropped from its line. With no
Unicode font at all, text is printed in the PDF core font, reduced to Latin-1.
"""

from __future__ import annotations

import importlib.resources
import io
import json
import logging
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache
from importlib.util import find_spec
from pathlib import Path

import segno
from fontTools.ttLib import TTFont
from fpdf import FPDF
from fpdf.fonts import TTFFont

# fontTools' subsetter, which fpdf2 runs on every embedded font, logs each table it prunes at
# INFO (some 40 lines a font): noise in the JSON log, and time spent formatting it.
logging.getLogger("fontTools.subset").setLevel(logging.WARNING)


@dataclass(frozen=True)
class Packaged:
    """A font shipped as a Python package (fontpkg's layout: a ``metadata.json`` next to the
    files, naming each with its style); the regular face is used."""

    module: str


FontSource = str | Packaged

LATIN_FONTS: list[FontSource] = [
    Packaged("fontpkg_noto_sans"),  # also Vietnamese, Greek, Cyrillic and Devanagari
    "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf",
    "/usr/share/fonts/truetype/liberation/LiberationSans-Regular.ttf",
]
DEVANAGARI_FONTS: list[FontSource] = [  # only where Noto Sans is missing: it has Devanagari
    "/usr/share/fonts/truetype/noto/NotoSansDevanagari-Regular.ttf",
    "/usr/share/fonts/truetype/lohit-devanagari/Lohit-Devanagari.ttf",
]
THAI_FONTS: list[FontSource] = [
    Packaged("fontpkg_noto_sans_thai"),
    "/usr/share/fonts/truetype/noto/NotoSansThai-Regular.ttf",
    "/usr/share/fonts/truetype/tlwg/Garuda.ttf",
]
ARABIC_FONTS: list[FontSource] = [
    Packaged("fontpkg_noto_sans_arabic"),
    "/usr/share/fonts/truetype/noto/NotoSansArabic-Regular.ttf",
]
CJK_FONTS: list[FontSource] = [
    "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc",
    "/usr/share/fonts/truetype/noto/NotoSansCJK-Regular.ttc",
    "/usr/share/fonts/truetype/wqy/wqy-microhei.ttc",
    "/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc",
    "/usr/share/fonts/truetype/arphic/uming.ttc",
]
CJK_LANGUAGES = ("zh", "ja", "ko")

# Characters fpdf2 lays out itself, whatever the font.
_LAYOUT = frozenset("\n\r\t")
# Tables of a registered font that fpdf2 does not embed: OpenType layout (it drops it when
# subsetting; HarfBuzz shapes from the font file itself) and variations (only the default
# instance, Regular, is printed). Deleted as a font is added, so that fontTools does not decompile
# them when subsetting only to drop them (a quarter of a poster's time with Noto Sans's large
# layout tables), and the PDF embeds a small static font.
_NOT_EMBEDDED = ("GDEF", "GSUB", "GPOS", "fvar", "gvar", "avar", "cvar", "HVAR", "VVAR", "MVAR", "STAT")


def first_font(sources: Sequence[FontSource]) -> str | None:
    """The file of the first of ``sources`` that is there: a package installed, a file present."""
    for source in sources:
        path = _packaged_file(source.module) if isinstance(source, Packaged) else source
        if path and Path(path).is_file():
            return path
    return None


@cache
def _packaged_file(module: str) -> str | None:
    if find_spec(module) is None:
        return None
    root = importlib.resources.files(module)
    metadata = json.loads((root / "metadata.json").read_text(encoding="utf-8"))
    regular = next((entry["path"] for entry in metadata["files"] if entry["style"] == "normal"), None)
    return str(root / regular) if regular else None


def text_fonts(language: str = "") -> list[tuple[str, str]]:
    """(family, file) of each script's font found, in the order to try them for a character of a
    line in ``language``: its own script's font first where that matters (Chinese punctuation
    and Latin letters in a Chinese line from the CJK font), then Latin, Devanagari, Thai,
    Arabic, CJK."""
    scripts = [
        ("latin", LATIN_FONTS),
        ("devanagari", DEVANAGARI_FONTS),
        ("thai", THAI_FONTS),
        ("arabic", ARABIC_FONTS),
        ("cjk", CJK_FONTS),
    ]
    if language.lower().replace("_", "-").split("-")[0] in CJK_LANGUAGES:  # zh-hant, not kok
        scripts.insert(0, scripts.pop())
    found: list[tuple[str, str]] = []
    for family, sources in scripts:
        path = first_font(sources)
        if path and all(path != known for _, known in found):
            found.append((family, path))
    return found


@cache
def coverage(path: str) -> frozenset[int]:
    """The code points a font file has glyphs for (the first face of a collection, as fpdf2
    uses); read once a process, from the cmap alone."""
    font = TTFont(path, lazy=True, fontNumber=0)
    try:
        return frozenset(font.getBestCmap() or ())
    finally:
        font.close()


def shaping_available() -> bool:
    return find_spec("uharfbuzz") is not None


def add_text_fonts(pdf: FPDF) -> tuple[str, bool]:
    """Register every script's font found on ``pdf`` for running text that may mix scripts (a
    table, a sheet): the Latin font as the family, the others as its fallbacks, which fpdf2 uses
    for each character the first lacks; text shaping on where uharfbuzz is installed. Returns
    the family to set and whether it is Unicode; if not (no font found), text must be reduced to
    Latin-1."""
    fonts = text_fonts()
    if not fonts:
        return "helvetica", False
    for family, path in fonts:
        _add_font(pdf, family, path)
    pdf.set_fallback_fonts([family for family, _ in fonts[1:]])
    if shaping_available():
        pdf.set_text_shaping(True)
    return fonts[0][0], True


def _add_font(pdf: FPDF, family: str, path: str) -> None:
    pdf.add_font(family, fname=path)
    font = pdf.fonts[family]
    if isinstance(font, TTFFont):
        for tag in _NOT_EMBEDDED:
            if tag in font.ttfont:
                del font.ttfont[tag]


def plan_line(text: str, fonts: Sequence[tuple[str, str]]) -> tuple[list[str], str] | None:
    """The families ``text`` needs, in the order given (each character from the first font that
    has it, as fpdf2 picks fallback fonts), and the text as it can be printed: without symbols
    no font has. None if a letter, digit or mark has no font: such a line is left out."""
    used: set[str] = set()
    printable: list[str] = []
    for char in text:
        if char in _LAYOUT:
            printable.append(char)
            continue
        code = ord(char)
        family = next((family for family, path in fonts if code in coverage(path)), None)
        if family is not None:
            used.add(family)
            printable.append(char)
        elif unicodedata.category(char)[0] in "LNM":
            return None
    kept = "".join(printable)
    if text.strip() and not kept.strip():
        return None
    return [family for family, _ in fonts if family in used], kept


class PrintedPage:
    """One page of centred lines, each in the fonts its text and language need, and QR codes."""

    def __init__(self, page_format: str | tuple[float, float], *, title: str, margin: float | None = None) -> None:
        self.pdf = FPDF(format=page_format)
        self.pdf.set_auto_page_break(auto=False)
        if margin is not None:
            self.pdf.set_margins(margin, margin, margin)
        self.pdf.set_title(title)
        self.pdf.add_page()
        self.body_end = 0.0  # where a layout's text ends (mm from the top), for it to check
        self.unicode = bool(text_fonts())
        if self.unicode and shaping_available():
            self.pdf.set_text_shaping(True)
        self._registered: list[str] = []  # families added to the document, as they were needed
        self._fonts: dict[str, list[tuple[str, str]]] = {}  # text_fonts() per language

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
        """Set the fonts ``text`` in ``language`` needs; the text as it can be printed, or None."""
        if not self.unicode:
            self.pdf.set_font("helvetica", size=size)
            return text.encode("latin-1", "replace").decode("latin-1")
        if language not in self._fonts:
            self._fonts[language] = text_fonts(language)
        fonts = self._fonts[language]
        plan = plan_line(text, fonts)
        if plan is None:
            return None
        needed, printable = plan
        family = needed[0] if needed else fonts[0][0]  # a blank line: any font
        paths = dict(fonts)
        for name in needed or [family]:
            if name not in self._registered:
                _add_font(self.pdf, name, paths[name])
                self._registered.append(name)
        self.pdf.set_font(family, size=size)
        # The fallbacks in the order plan_line assumed, so fpdf2 picks the same font per character.
        self.pdf.set_fallback_fonts([known for known, _ in fonts if known in self._registered and known != family])
        return printable

    def qr_code(self, data: str, size: float, *, gap: float = 4) -> None:
        """A QR code of ``data``, ``size`` mm square, centred below what is already there."""
        image = io.BytesIO()
        segno.make(data, error="m").save(image, kind="png", scale=10, border=2)
        image.seek(0)
        self.pdf.image(image, x=(self.pdf.w - size) / 2, y=self.pdf.get_y() + gap, w=size, h=size)
        self.pdf.set_y(self.pdf.get_y() + size + 2 * gap)

    def output(self) -> bytes:
        return bytes(self.pdf.output())
