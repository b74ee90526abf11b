"""Bin references as residents type them, read off the bin's sticker.

A reference is stored as the city made it (``BIN-0012`` from the sensing simulator, ``BIN-S001``
for the demo's bins without a sensor, or whatever an import or a planner gave). A resident types
it how they can: ``bin 0012``, ``BIN0012``, ``BIN-0012.``, in full-width characters from a
CJK input method, or the number alone. :func:`canonical` gives the form all these share, and a typed
reference names the bin whose stored reference has the same canonical form. The lookup itself
(with its refusals) is ``services.find_bin``; this module reads no database.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable

_DIGITS = re.compile(r"\d+")


def canonical(typed: str) -> str:
    """The form every spelling of one reference shares: NFKC (full-width letters and digits from
    CJK input methods become ASCII), upper case, without spaces, dashes, underscores, full stops
    or other punctuation, and each number without its leading zeros. ``bin 0041``, ``BIN-0041.``
    and ``BIN0041`` in full-width characters are all ``BIN41``; ``BIN-S001`` is ``BINS1``. Numbers that were apart
    stay apart (``A-1-2`` is ``A1-2``, not ``A12``, the form of ``A-12``).

    "" when the text has no letter or digit, or has a letter outside ASCII (no reference has one:
    it is a word, such as the keyword of a text in Chinese). Digits of any script count."""
    pieces: list[list[str]] = []  # [kind, text]: "L" letters, "D" digits
    apart = False  # punctuation or a space since the last letter or digit
    for char in unicodedata.normalize("NFKC", typed or "").upper():
        category = unicodedata.category(char)
        if char.isascii() and char.isalpha():
            kind, value = "L", char
        elif category == "Nd":
            kind, value = "D", str(unicodedata.decimal(char))
        elif category[0] in "LMN":
            return ""
        else:
            apart = True
            continue
        # Letters join across punctuation (BIN-S is BINS); numbers only when written together.
        if pieces and pieces[-1][0] == kind and (kind == "L" or not apart):
            pieces[-1][1] += value
        else:
            pieces.append([kind, value])
        apart = False
    parts = [text if kind == "L" else (text.lstrip("0") or "0") for kind, text in pieces]
    return "".join(
        ("-" if i and pieces[i - 1][0] == "D" and pieces[i][0] == "D" else "") + part for i, part in enumerate(parts)
    )


def foreign(text: str) -> bool:
    """Whether ``text`` has a letter no reference has (a word in another script)."""
    return bool(canonical(text) == "" and any(unicodedata.category(c)[0] in "LMN" for c in text))


def anchor(key: str) -> str:
    """Text that every stored reference of canonical form ``key`` contains, ignoring case (its
    last number, which the reference holds after any leading zeros, else its first letter): a
    database filter that leaves few references to compare."""
    numbers = _DIGITS.findall(key)
    return numbers[-1] if numbers else key[:1]


def same(key: str, refs: Iterable[str]) -> list[str]:
    """The references among ``refs`` whose canonical form is ``key``."""
    return [ref for ref in refs if canonical(ref) == key]


def numbered(number: str, refs: Iterable[str]) -> list[str]:
    """The references among ``refs`` that are letters and then ``number`` (a canonical number,
    typed alone): ``41`` is ``BIN-0041``, and also ``BIN-S041`` where a city has both."""
    pattern = re.compile(r"[A-Z]+" + re.escape(number))
    return [ref for ref in refs if pattern.fullmatch(canonical(ref))]
