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

from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.utils import translation
from django.utils.translation import gettext as _

from cityos.core.accounts.models import Language
from cityos.core.notifications.rendering import join_sentences
from cityos.core.notifications.webhooks import sms_keyword_endpoint
from cityos.waste import services
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


@dataclass(frozen=True)
class BinQuery:
    keyword: str  # as the resident wrote it, quoted back in hints
    language: str
    ref: str  # "" when the resident sent the keyword alone
    problem: str  # a ReportProblem value, or "" when the word was not understood
    word: str  # the problem word as written ("" when left out)


def parse(text: str) -> BinQuery | None:
    """The BIN keyword, the bin's reference and the problem, or None when it is not a bin report."""
    cleaned = " ".join((text or "").split()).strip(".!?。\uff01\uff1f")
    folded = cleaned.casefold()
    for keyword, language in KEYWORDS.items():
        if (
            folded == keyword
            or folded.startswith(keyword + " ")
            or (not keyword.isascii() and folded.startswith(keyword))
        ):
            rest = cleaned[len(keyword) :].strip()[:MAX_QUERY].split(" ")
            ref = rest[0] if rest and rest[0] else ""
            word = " ".join(rest[1:]).strip()
            problem = PROBLEMS.get(word.casefold(), "") if word else ReportProblem.FULL
            return BinQuery(keyword=cleaned[: len(keyword)], language=language, ref=ref, problem=problem, word=word)
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
            outcome = services.report_bin(
                query.ref, query.problem, channel=ReportChannel.SMS, phone=sender, language=language
            )
        except ValidationError as error:
            errors = error.message_dict
            # A sender number the city cannot use for a reply does not stop the report.
            if set(errors) == {"phone"}:
                outcome = services.report_bin(query.ref, query.problem, channel=ReportChannel.SMS)
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
