"""The route for residents without a smartphone: text BIN (垃圾桶, CONTENEDOR) with the bin's
reference from its sticker and, optionally, what is wrong (FULL or DAMAGED; 滿 or 壞; LLENO or
ROTO; full when left out) to the city's SMS number. The reply gives the report number, or what
to fix, in the keyword's language (the sender's account language for the English keyword).

The gateway posts {"from": phone, "text": "BIN BIN-0012 FULL"} to ``/waste/hooks/sms/`` with the
gateway token, as for core's STOP/START hook and epi's RISK, and sends the answer's ``reply``
back by SMS. The sender's number and the reply's language are kept with the report, to text
the resident once the bin is emptied; the number is cleared then (or by the retention job).
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.utils import translation
from django.utils.translation import gettext as _

from cityos.core.accounts.models import Language
from cityos.core.notifications.rendering import join_sentences
from cityos.core.notifications.webhooks import sms_keyword_endpoint
from cityos.waste import refs, services
from cityos.waste.models import ReportChannel, ReportProblem

ZH = Language.TRADITIONAL_CHINESE.value
ES = Language.SPANISH.value
# Keyword -> the reply's language ("" = the sender's account language, else the city's).
KEYWORDS: dict[str, str] = {"bin": "", "垃圾桶": ZH, "contenedor": ES}


def keyword_for(language: str) -> str:
    """The keyword to print for readers of ``language`` (its reply then comes in that language)."""
    for keyword, replies_in in KEYWORDS.items():
        if replies_in and language.lower().startswith(replies_in):
            return keyword.upper()
    return "BIN"


# What is wrong, in any of the languages (case does not matter).
PROBLEMS: dict[str, str] = {
    "full": ReportProblem.FULL,
    "overflowing": ReportProblem.FULL,
    "滿": ReportProblem.FULL,
    "满": ReportProblem.FULL,
    "lleno": ReportProblem.FULL,
    "damaged": ReportProblem.DAMAGED,
    "broken": ReportProblem.DAMAGED,
    "壞": ReportProblem.DAMAGED,
    "坏": ReportProblem.DAMAGED,
    "損壞": ReportProblem.DAMAGED,
    "roto": ReportProblem.DAMAGED,
    "dañado": ReportProblem.DAMAGED,
    "danado": ReportProblem.DAMAGED,
}
MAX_QUERY = 100
# Where a run of Chinese characters meets other text ("B-0012滿"): a word boundary, as a space is.
_CJK_EDGE = re.compile(
    r"(?<=[\u2e80-\u9fff\uf900-\ufaff])(?=[^\s\u2e80-\u9fff\uf900-\ufaff])|"
    r"(?<=[^\s\u2e80-\u9fff\uf900-\ufaff])(?=[\u2e80-\u9fff\uf900-\ufaff])"
)


@dataclass(frozen=True)
class BinQuery:
    keyword: str  # as the resident wrote it, quoted back in hints
    language: str
    ref: str  # "" when the resident sent the keyword alone
    problem: str  # a ReportProblem value, or "" when the word was not understood
    word: str  # the problem word as written ("" when left out)
    # The reference without the keyword the resident repeated before it ("0041" where ``ref`` is
    # "bin 0041"), tried when ``ref`` names no bin; "" when the keyword was not repeated.
    bare: str = ""


def _problem(word: str) -> str:
    return PROBLEMS.get(word.casefold().strip(",.;:!?"), "")


def parse(text: str) -> BinQuery | None:
    """The BIN keyword, the bin's reference and the problem, or None when it is not a bin report.

    Text from a CJK input method is read as NFKC (full-width letters, digits and spaces become
    ASCII). The reference is the words after the keyword (the keyword may be repeated, as in
    "BIN bin 0041 full") up to the problem word: it ends at a word of ``PROBLEMS``, a word in
    another script, or a word without a digit after one with digits ("BIN 0041 smelly": the
    reference is 0041, the problem "smelly", not understood)."""
    cleaned = " ".join(unicodedata.normalize("NFKC", text or "").split()).strip(".!?。")
    folded = cleaned.casefold()
    for keyword, language in KEYWORDS.items():
        if (
            folded == keyword
            or folded.startswith(keyword + " ")
            or (not keyword.isascii() and folded.startswith(keyword))
        ):
            words = _CJK_EDGE.sub(" ", cleaned[len(keyword) :].strip()[:MAX_QUERY]).split()
            repeated = 0
            while repeated < len(words) and words[repeated].casefold() in KEYWORDS:
                repeated += 1
            end, digits = repeated, False
            while end < len(words):
                word = words[end]
                has_digit = any(c.isdigit() for c in word)
                if _problem(word) or refs.foreign(word) or (digits and not has_digit):
                    break
                digits = digits or has_digit
                end += 1
            ref = " ".join(words[repeated:end])
            bare = ""
            # A repeated keyword in ASCII may be the reference's own start ("BIN 0041" for BIN-0041).
            if ref and repeated and not any(refs.foreign(w) for w in words[:repeated]):
                ref, bare = " ".join(words[:end]), ref
            word = " ".join(words[end:])
            problem = _problem(word) if word else ReportProblem.FULL
            return BinQuery(cleaned[: len(keyword)], language, ref, problem, word, bare)
    return None


def _how(query: BinQuery) -> str:
    return _(
        "Text %(keyword)s, the bin's reference from its sticker and FULL or DAMAGED, e.g. %(keyword)s BIN-0012 FULL."
    ) % {"keyword": query.keyword}


def answer(query: BinQuery, language: str, sender: str = "") -> tuple[str, str]:
    """(action, reply) for a bin report from ``sender``, the reply in ``language``."""
    with translation.override(language):
        if not query.ref:
            return "bin_help", _how(query)
        if not query.problem:
            return "unknown_problem", join_sentences(
                _("We did not understand “%(word)s”.") % {"word": query.word}, _how(query)
            )
        try:
            ref = services.reportable_bin(query.ref, *([query.bare] if query.bare else [])).ref
            outcome = services.report_bin(
                ref, query.problem, channel=ReportChannel.SMS, phone=sender, language=language
            )
        except ValidationError as error:
            errors = error.message_dict if hasattr(error, "error_dict") else {"bin": error.messages}
            # A sender number the city cannot use for a reply does not stop the report.
            if set(errors) == {"phone"}:
                outcome = services.report_bin(ref, query.problem, channel=ReportChannel.SMS)
            else:
                messages = [m for field in ("bin", "problem") for m in errors.get(field, [])]
                return "refused", join_sentences(*messages, _how(query))
        report = outcome.report
        # Said only when it holds: a report past its followers limit keeps no more numbers.
        texted = _("We will text you once the bin has been emptied.") if outcome.texted else ""
        if outcome.repeated:
            thanks = _("Thank you. Bin %(ref)s was already reported (report %(number)d); we added yours to it.")
            return "reported_again", join_sentences(thanks % {"ref": report.bin.ref, "number": report.pk}, texted)
        thanks = _("Thank you. Your report on bin %(ref)s is number %(number)d.")
        return "reported", join_sentences(thanks % {"ref": report.bin.ref, "number": report.pk}, texted)


inbound_sms = sms_keyword_endpoint(parse, answer)
