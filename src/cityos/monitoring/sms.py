"""The route for residents without a smartphone: text PARK (停車, APARCAR) with a car park's
name, AIR (空氣, AIRE) or WATER (水質, AGUA) with a district's name or code, to the city's SMS
number; the reply gives free bays, the air-quality index with its advice, or the water status
with its readings, in the keyword's language (or the sender's account language for English
keywords). Alone, a keyword gives the city's summary and how to ask for one place.

The gateway posts {"from": phone, "text": "AIR harbour"} to ``/monitoring/hooks/sms/`` with
the gateway token, as for core's STOP/START hook and epi's RISK, and sends ``reply`` back.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.utils import formats, timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import pgettext

from cityos.core.accounts.models import Language
from cityos.core.notifications.rendering import join_sentences
from cityos.core.notifications.webhooks import sms_keyword_endpoint
from cityos.monitoring import meanings, selectors

ZH = Language.TRADITIONAL_CHINESE.value
ES = Language.SPANISH.value
# Keyword -> (service, the reply's language: "" = the sender's account language, else English).
KEYWORDS: dict[str, tuple[str, str]] = {
    "parking": ("park", ""),
    "park": ("park", ""),
    "停車": ("park", ZH),
    "停车": ("park", ZH),
    "aparcar": ("park", ES),
    "estacionar": ("park", ES),
    "air": ("air", ""),
    "空氣": ("air", ZH),
    "空气": ("air", ZH),
    "aire": ("air", ES),
    "water": ("water", ""),
    "水質": ("water", ZH),
    "水质": ("water", ZH),
    "agua": ("water", ES),
}
MAX_QUERY = 100
LIST_MAX = 4  # places named in a summary reply: one SMS, not five


@dataclass(frozen=True)
class Query:
    service: str  # park, air or water
    keyword: str  # as the resident wrote it, quoted back in hints
    language: str
    place: str  # what followed the keyword ("" for the city)


def parse(text: str) -> Query | None:
    cleaned = " ".join((text or "").split()).strip(".!?。\uff01\uff1f")
    folded = cleaned.casefold()
    for keyword, (service, language) in KEYWORDS.items():
        if (
            folded == keyword
            or folded.startswith(keyword + " ")
            or (not keyword.isascii() and folded.startswith(keyword))
        ):
            rest = cleaned[len(keyword) :].strip()[:MAX_QUERY]
            return Query(service=service, keyword=cleaned[: len(keyword)], language=language, place=rest)
    return None


def _sentence(parts: list[str]) -> str:
    return pgettext("between parts of an SMS", "; ").join(parts) + pgettext("end of an SMS sentence", ".")


def _time(value: object) -> str:
    if value is None:
        return "—"
    return formats.time_format(timezone.localtime(value), "H:i")  # type: ignore[arg-type]


def _park_text(park: selectors.CarPark) -> str:
    if park.stale:
        return _("%(name)s: no recent data (last reading %(time)s)") % {
            "name": park.name,
            "time": _time(park.last_updated),
        }
    return _("%(name)s: %(free)s of %(total)s bays free at %(time)s") % {
        "name": park.name,
        "free": park.free,
        "total": park.total,
        "time": _time(park.last_updated),
    }


def _find_park(parks: list[selectors.CarPark], wanted: str) -> selectors.CarPark | None:
    folded = wanted.casefold()
    exact = [p for p in parks if folded in (p.id.casefold(), p.name.casefold())]
    if exact:
        return exact[0]
    partial = [p for p in parks if folded in p.name.casefold() or folded in p.id.casefold()]
    return partial[0] if len(partial) == 1 else None


def _parking(query: Query) -> tuple[str, str]:
    parks = selectors.car_parks()
    if not parks:
        return "no_data", _("There is no parking information yet. Please try again later.")
    if query.place:
        park = _find_park(parks, query.place)
        if park is None:
            return "unknown_place", _(
                "We do not know the car park “%(place)s”. "
                "Text %(keyword)s and a car park's name, e.g. %(keyword)s %(example)s."
            ) % {"place": query.place, "keyword": query.keyword, "example": parks[0].name}
        return "park", _sentence([_park_text(park)])
    best = sorted(parks, key=lambda p: (p.stale, -p.free))[:LIST_MAX]
    return "park_city", join_sentences(
        _sentence([_park_text(p) for p in best]),
        _("Text %(keyword)s and a car park's name for one car park.") % {"keyword": query.keyword},
    )


def _unknown_district(query: Query, rows: list[selectors.DistrictStatus]) -> tuple[str, str]:
    example = next((r.name for r in rows if r.name), "")
    return "unknown_place", _(
        "We do not know the district “%(district)s”. "
        "Text %(keyword)s and a district's name, e.g. %(keyword)s %(example)s."
    ) % {"district": query.place, "keyword": query.keyword, "example": example}


def _air_text(row: selectors.DistrictStatus) -> str:
    if row.index is None:
        return _("%(district)s: no recent air-quality data") % {"district": row.name}
    category = meanings.aqi_category(row.index)
    return _("%(district)s: air quality index %(index)s, %(category)s") % {
        "district": row.name,
        "index": row.index,
        "category": category.label,
    }


def _air(query: Query, language: str) -> tuple[str, str]:
    rows = [r for r in selectors.air_districts(language=language) if r.district_id is not None]
    if not rows:
        return "no_data", _("There is no air-quality information yet. Please try again later.")
    if query.place:
        row = selectors.find_district(rows, query.place)
        if row is None:
            return _unknown_district(query, rows)
        text = _sentence([_air_text(row)])
        if row.index is not None:
            text = join_sentences(text, str(meanings.aqi_category(row.index).advice))
        return "air", text
    worst = sorted(rows, key=lambda r: -(r.index or -1))[:LIST_MAX]
    return "air_city", join_sentences(
        _sentence([_air_text(r) for r in worst]),
        _("Text %(keyword)s and your district's name for its advice.") % {"keyword": query.keyword},
    )


def _water_text(row: selectors.DistrictStatus, *, details: bool) -> str:
    labels = meanings.status_labels()
    text = _("%(district)s: drinking water %(status)s") % {"district": row.name, "status": labels[row.status]}
    if not details:
        return text
    # The readings that are not good, else every latest reading: what the status rests on.
    readings = [r for s in row.stations for r in s.readings if r.status in ("advisory", "problem")]
    if not readings:
        readings = [r for s in row.stations[:1] for r in s.readings if r.value is not None and not r.stale]
    parts = [text]
    for reading in readings[:LIST_MAX]:
        unit = f" {reading.measure.unit}" if reading.measure.unit else ""
        parts.append(f"{reading.measure.label} {reading.value:g}{unit}")
        if reading.status in ("advisory", "problem"):
            parts[-1] += f" ({reading.meaning.rstrip('.')})"
    return _sentence(parts)


def _water(query: Query, language: str) -> tuple[str, str]:
    rows = [r for r in selectors.water_districts(language=language) if r.district_id is not None]
    if not rows:
        return "no_data", _("There is no water-quality information yet. Please try again later.")
    if query.place:
        row = selectors.find_district(rows, query.place)
        if row is None:
            return _unknown_district(query, rows)
        return "water", _water_text(row, details=True)
    worst = sorted(rows, key=lambda r: -meanings.STATUS_ORDER[r.status])[:LIST_MAX]
    return "water_city", join_sentences(
        _sentence([_water_text(r, details=False) for r in worst]),
        _("Text %(keyword)s and your district's name for its readings.") % {"keyword": query.keyword},
    )


def answer(query: Query, language: str, sender: str = "") -> tuple[str, str]:
    """(action, reply) for a query, the reply in ``language``."""
    with translation.override(language):
        if query.service == "park":
            return _parking(query)
        if query.service == "air":
            return _air(query, language)
        return _water(query, language)


# The SMS gateway posts {"from": phone, "text": ...}; the reply goes back by SMS.
inbound_sms = sms_keyword_endpoint(parse, answer)
