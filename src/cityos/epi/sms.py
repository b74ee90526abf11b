"""The route for residents without a smartphone: text RISK (風險, RIESGO), alone or with a
district's name or code, to the city's SMS number, and the reply gives the district's risk
level, new cases per 100,000 over 7 days and Rt from the latest dashboard snapshot (small
counts withheld as on the dashboard), in the keyword's language.

The gateway posts {"from": phone, "text": "RISK harbour"} to ``/epi/hooks/sms/`` with the
gateway token, as for core's STOP/START hook, and sends the answer's ``reply`` back by SMS.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.utils import translation
from django.utils.translation import gettext as _
from django.utils.translation import pgettext

from cityos.core.accounts.models import Language
from cityos.core.geo import selectors as geo_selectors
from cityos.core.notifications.webhooks import sms_keyword_endpoint
from cityos.epi import conf, selectors
from cityos.epi.views import risk_labels, trend_labels

# Keyword -> the language the reply is in ("" = the sender's account language, else English).
KEYWORDS = {"risk": "", "風險": Language.TRADITIONAL_CHINESE.value, "风险": Language.TRADITIONAL_CHINESE.value}
KEYWORDS["riesgo"] = Language.SPANISH.value
TOP_DISTRICTS = 3
MAX_QUERY = 100


@dataclass(frozen=True)
class RiskQuery:
    keyword: str  # as the resident wrote it, to quote back in the reply
    language: str
    district: str  # what followed the keyword ("" for the city)


def parse(text: str) -> RiskQuery | None:
    """The RISK keyword and what follows it, or None when the text is not a risk query."""
    cleaned = " ".join((text or "").split()).strip(".!?。\uff01\uff1f")  # also full-width ! and ?
    folded = cleaned.casefold()
    for keyword, language in KEYWORDS.items():
        if (
            folded == keyword
            or folded.startswith(keyword + " ")
            or (not keyword.isascii() and folded.startswith(keyword))
        ):
            rest = cleaned[len(keyword) :].strip()[:MAX_QUERY]
            return RiskQuery(keyword=cleaned[: len(keyword)], language=language, district=rest)
    return None


def find_district(rows: list[dict[str, Any]], wanted: str) -> dict[str, Any] | None:
    """The row whose code, name or translated name is ``wanted`` (any case), else the only one
    whose name contains it."""
    folded = wanted.casefold()

    def names(row: dict[str, Any]) -> list[str]:
        return [row["code"], row["name"], *(row.get("names") or {}).values()]

    exact = [row for row in rows if any(folded == n.casefold() for n in names(row))]
    if exact:
        return exact[0]
    partial = [row for row in rows if any(folded in n.casefold() for n in names(row))]
    return partial[0] if len(partial) == 1 else None


def _district_reply(row: dict[str, Any], as_of: str, language: str, threshold: int) -> str:
    name = geo_selectors.localized_name(row["name"], row.get("names") or {}, language)
    risk = risk_labels().get(row["risk"], row["risk"])
    parts = [_("%(district)s on %(date)s: risk %(risk)s") % {"district": name, "date": as_of, "risk": risk}]
    if row.get("incidence") is not None:
        parts.append(_("%(incidence)s new cases per 100,000 in 7 days") % {"incidence": row["incidence"]})
    elif row.get("cases_7d") is None:
        parts.append(_("fewer than %(threshold)s new cases in 7 days") % {"threshold": threshold})
    else:
        parts.append(_("%(cases)s new cases in 7 days") % {"cases": row["cases_7d"]})
    parts.append(trend_labels().get(row["trend"], row["trend"]))
    parts.append(_rt_text(row.get("rt"), row.get("rt_lower"), row.get("rt_upper")))
    return pgettext("between parts of an SMS", "; ").join(parts) + pgettext("end of an SMS sentence", ".")


def _rt_text(rt: float | None, lower: float | None, upper: float | None) -> str:
    if rt is None:
        return _("Rt: too few cases to estimate")
    return _("Rt %(rt)s (95%% range %(lower)s to %(upper)s)") % {"rt": rt, "lower": lower, "upper": upper}


def _city_reply(data: dict[str, Any], keyword: str, language: str) -> str:
    rt = data.get("rt") or {}
    parts = [
        _("City on %(date)s: %(rt)s")
        % {"date": data.get("as_of", ""), "rt": _rt_text(rt.get("mean"), rt.get("lower"), rt.get("upper"))}
    ]
    risks = risk_labels()
    top = [
        _("%(district)s (%(risk)s)")
        % {
            "district": geo_selectors.localized_name(r["name"], r.get("names") or {}, language),
            "risk": risks.get(r["risk"], r["risk"]),
        }
        for r in data.get("districts", [])[:TOP_DISTRICTS]
    ]
    if top:
        parts.append(_("highest risk: %(districts)s") % {"districts": pgettext("between list items", ", ").join(top)})
    sentence = pgettext("between parts of an SMS", "; ").join(parts) + pgettext("end of an SMS sentence", ".")
    return _("%(figures)s Text %(keyword)s and your district's name for its figures.") % {
        "figures": sentence,
        "keyword": keyword,
    }


def answer(query: RiskQuery, language: str, sender: str = "") -> tuple[str, str]:
    """(action, reply) for a risk query, the reply in ``language``."""
    snapshot = selectors.snapshot()
    with translation.override(language):
        if snapshot is None:
            return "no_figures", _("There are no figures yet. Please try again later.")
        data = snapshot.data
        if not query.district:
            return "risk_city", _city_reply(data, query.keyword, language)
        row = find_district(data.get("districts", []), query.district)
        if row is None:
            rows = data.get("districts", [])
            example = (
                geo_selectors.localized_name(rows[0]["name"], rows[0].get("names") or {}, language) if rows else ""
            )
            reply = _(
                "We do not know the district “%(district)s”. "
                "Text %(keyword)s and a district's name, e.g. %(keyword)s %(example)s."
            ) % {
                "district": query.district,
                "keyword": query.keyword,
                "example": example,
            }
            return "unknown_district", reply
        return "risk_district", _district_reply(row, data.get("as_of", ""), language, conf.small_count_threshold())


# The SMS gateway posts {"from": phone, "text": ...}; the reply goes back by SMS.
inbound_sms = sms_keyword_endpoint(parse, answer)
