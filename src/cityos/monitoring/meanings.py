"""What the readings mean: water-quality guideline bands, the US EPA Air Quality Index and the
damp-and-mould risk of a home. Pure functions, so every page, API and SMS reply agrees.

Sources (see docs/modules/monitoring.md):
- Water: WHO Guidelines for drinking-water quality, 4th edition with addenda (2022): pH 6.5-8.5
  operational range; turbidity ideally below 1 NTU for effective disinfection and not
  noticeable below 5 NTU; free chlorine residual at least 0.2 mg/L at the tap, health-based
  guideline value 5 mg/L. Conductivity has no WHO health value: the EU Drinking Water Directive
  (EU) 2020/2184 indicator value is 2,500 µS/cm.
- Air: US EPA, Technical Assistance Document for the Reporting of Daily Air Quality - the Air
  Quality Index (AQI), EPA-454/B-24-002, May 2024 (the PM2.5 breakpoints revised in 2024).
- Damp: dew point by the Magnus formula with Sonntag's (1990) constants; the hour counts are
  the rule described in :func:`damp_risk`.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from decimal import ROUND_DOWN, ROUND_HALF_UP, Decimal
from typing import Literal, cast

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

Status = Literal["good", "advisory", "problem", "unknown"]
STATUS_ORDER: dict[str, int] = {"unknown": 0, "good": 1, "advisory": 2, "problem": 3}


def species_labels() -> dict[str, Promise]:
    """Names of the animals predator traps report (the device sends an English code); an
    unknown code is shown as sent."""
    return {
        "rat": _("rat"),
        "mouse": _("mouse"),
        "stoat": _("stoat"),
        "weasel": _("weasel"),
        "ferret": _("ferret"),
        "possum": _("possum"),
        "hedgehog": _("hedgehog"),
        "cat": _("feral cat"),
        "unknown": _("unknown"),
    }


def status_labels() -> dict[str, Promise]:
    return {
        "good": _("Good"),
        "advisory": _("Check advisory"),
        "problem": _("Problem"),
        "unknown": _("No recent data"),
    }


# --- water quality -------------------------------------------------------------------------
@dataclass(frozen=True)
class Band:
    """``status`` applies when ``low <= value < high`` (None: unbounded)."""

    low: float | None
    high: float | None
    status: Status
    meaning: Promise


@dataclass(frozen=True)
class WaterMeasure:
    key: str  # the ObservedProperty name
    label: Promise
    unit: str
    guideline: Promise
    why: Promise
    bands: tuple[Band, ...]

    def assess(self, value: float) -> Band:
        for band in self.bands:
            if (band.low is None or value >= band.low) and (band.high is None or value < band.high):
                return band
        return self.bands[-1]  # pragma: no cover - the bands cover the whole line


WATER_MEASURES: tuple[WaterMeasure, ...] = (
    WaterMeasure(
        "pH",
        _("Acidity (pH)"),
        "",
        _("WHO: 6.5 to 8.5"),
        _(
            "Water that is too acidic can corrode pipes and release metals; water that is too alkaline "
            "tastes bitter and makes chlorine work less well."
        ),
        (
            Band(None, 6.0, "problem", _("Much too acidic: pipes may corrode.")),
            Band(6.0, 6.5, "advisory", _("Slightly acidic: the water company is checking.")),
            Band(6.5, 8.5, "good", _("Within the guideline range.")),
            Band(8.5, 9.5, "advisory", _("Slightly alkaline: may taste bitter; disinfection works less well.")),
            Band(9.5, None, "problem", _("Much too alkaline.")),
        ),
    ),
    WaterMeasure(
        "turbidity",
        _("Cloudiness (turbidity)"),
        "NTU",
        _("WHO: ideally below 1 NTU; below 5 NTU is not noticeable"),
        _("Cloudy water can shelter germs from disinfection and may show a problem at the treatment works."),
        (
            Band(None, 1.0, "good", _("Clear: below the ideal limit of 1 NTU.")),
            Band(1.0, 5.0, "advisory", _("Slightly cloudy: above the ideal 1 NTU but not noticeable.")),
            Band(5.0, None, "problem", _("Cloudy: 5 NTU or more.")),
        ),
    ),
    WaterMeasure(
        "chlorine",
        _("Free chlorine"),
        "mg/L",
        _("WHO: at least 0.2 mg/L at the tap; health guideline 5 mg/L"),
        _(
            "A little chlorine left in the water keeps it safe on its way through the pipes; "
            "too much is a health concern."
        ),
        (
            Band(None, 0.1, "problem", _("Almost no chlorine left: the water is less protected against germs.")),
            Band(0.1, 0.2, "advisory", _("Low chlorine: below the 0.2 mg/L minimum.")),
            Band(0.2, 5.0, "good", _("Enough chlorine to keep the water safe.")),
            Band(5.0, None, "problem", _("Above the WHO health guideline of 5 mg/L.")),
        ),
    ),
    WaterMeasure(
        "conductivity",
        _("Dissolved minerals (conductivity)"),
        "µS/cm",
        _("EU indicator value: 2,500 µS/cm"),
        _("Conductivity shows how much salt and minerals are dissolved; a sudden change can mean contamination."),
        (
            Band(None, 2500.0, "good", _("Normal mineral content.")),
            Band(2500.0, None, "advisory", _("High mineral content: above the EU indicator value of 2,500 µS/cm.")),
        ),
    ),
)
WATER_BY_KEY: dict[str, WaterMeasure] = {m.key: m for m in WATER_MEASURES}


def worst(statuses: Iterable[str]) -> Status:
    """The most serious status; "unknown" only when nothing is known."""
    found = [s for s in statuses if s != "unknown"]
    if not found:
        return "unknown"
    return cast(Status, max(found, key=lambda s: STATUS_ORDER[s]))


# --- US EPA Air Quality Index --------------------------------------------------------------
# (concentration low, concentration high, index low, index high); concentrations in the
# units of the EPA tables: PM in µg/m³ (24-hour), NO2 in ppb (1-hour), O3 in ppm.
Breakpoints = tuple[tuple[float, float, int, int], ...]
PM25_BREAKPOINTS: Breakpoints = (
    (0.0, 9.0, 0, 50),
    (9.1, 35.4, 51, 100),
    (35.5, 55.4, 101, 150),
    (55.5, 125.4, 151, 200),
    (125.5, 225.4, 201, 300),
    (225.5, 325.4, 301, 500),
)
PM10_BREAKPOINTS: Breakpoints = (
    (0, 54, 0, 50),
    (55, 154, 51, 100),
    (155, 254, 101, 150),
    (255, 354, 151, 200),
    (355, 424, 201, 300),
    (425, 604, 301, 500),
)
NO2_BREAKPOINTS: Breakpoints = (
    (0, 53, 0, 50),
    (54, 100, 51, 100),
    (101, 360, 101, 150),
    (361, 649, 151, 200),
    (650, 1249, 201, 300),
    (1250, 2049, 301, 500),
)
O3_8H_BREAKPOINTS: Breakpoints = (
    (0.000, 0.054, 0, 50),
    (0.055, 0.070, 51, 100),
    (0.071, 0.085, 101, 150),
    (0.086, 0.105, 151, 200),
    (0.106, 0.200, 201, 300),
)
# 1-hour ozone is used where it is higher (EPA: report the larger of the 8-hour and 1-hour index).
O3_1H_BREAKPOINTS: Breakpoints = (
    (0.125, 0.164, 101, 150),
    (0.165, 0.204, 151, 200),
    (0.205, 0.404, 201, 300),
    (0.405, 0.604, 301, 500),
)
# µg/m³ to ppb at 25 °C and 1 atm: ppb = µg/m³ * 24.45 / molar mass.
MOLAR_VOLUME = 24.45
NO2_MOLAR_MASS = 46.0055
O3_MOLAR_MASS = 47.9982
# How the EPA truncates each pollutant before looking it up (decimal places).
TRUNCATE = {"pm25": 1, "pm10": 0, "no2": 0, "o3_8h": 3, "o3_1h": 3}


def ugm3_to_ppb(value: float, molar_mass: float) -> float:
    return value * MOLAR_VOLUME / molar_mass


def _truncate(value: float, places: int) -> float:
    quantum = Decimal(1).scaleb(-places)
    return float(Decimal(repr(value)).quantize(quantum, rounding=ROUND_DOWN))


def sub_index(concentration: float, breakpoints: Breakpoints, places: int) -> int | None:
    """The EPA's linear interpolation within the breakpoint row that holds the truncated value;
    above the table: 500 (beyond the AQI); below zero: None."""
    value = _truncate(concentration, places)
    if value < 0:
        return None
    for c_low, c_high, i_low, i_high in breakpoints:
        if value <= c_high:
            if value < c_low:  # between rows after truncation cannot happen; guard anyway
                value = c_low
            index = (i_high - i_low) / (c_high - c_low) * (value - c_low) + i_low
            return int(Decimal(repr(index)).quantize(Decimal(1), rounding=ROUND_HALF_UP))
    return 500


@dataclass(frozen=True)
class AqiCategory:
    key: str
    low: int
    high: int
    label: Promise
    colour: str  # the EPA's colour, for swatches; text always names the category too
    message: Promise
    advice: Promise


AQI_CATEGORIES: tuple[AqiCategory, ...] = (
    AqiCategory(
        "good",
        0,
        50,
        _("Good"),
        "#00e400",
        _("Air quality is satisfactory, and air pollution poses little or no risk."),
        _("Enjoy your usual outdoor activities."),
    ),
    AqiCategory(
        "moderate",
        51,
        100,
        _("Moderate"),
        "#ffff00",
        _(
            "Air quality is acceptable. However, there may be a risk for some people, particularly those "
            "who are unusually sensitive to air pollution."
        ),
        _("Unusually sensitive people: consider making outdoor activities shorter and less intense."),
    ),
    AqiCategory(
        "sensitive",
        101,
        150,
        _("Unhealthy for sensitive groups"),
        "#ff7e00",
        _(
            "Members of sensitive groups may experience health effects. "
            "The general public is less likely to be affected."
        ),
        _(
            "People with heart or lung disease, older adults, children and teenagers: make outdoor "
            "activities shorter and less intense, and take more breaks."
        ),
    ),
    AqiCategory(
        "unhealthy",
        151,
        200,
        _("Unhealthy"),
        "#ff0000",
        _(
            "Some members of the general public may experience health effects; members of sensitive "
            "groups may experience more serious health effects."
        ),
        _("Everyone: reduce long or intense outdoor activities. Sensitive groups: avoid them."),
    ),
    AqiCategory(
        "very-unhealthy",
        201,
        300,
        _("Very unhealthy"),
        "#8f3f97",
        _("Health alert: the risk of health effects is increased for everyone."),
        _("Everyone: avoid long or intense outdoor activities. Sensitive groups: stay indoors."),
    ),
    AqiCategory(
        "hazardous",
        301,
        500,
        _("Hazardous"),
        "#7e0023",
        _("Health warning of emergency conditions: everyone is more likely to be affected."),
        _("Everyone: avoid all physical activity outdoors; follow the city's instructions."),
    ),
)


def aqi_category(index: int) -> AqiCategory:
    return next((c for c in AQI_CATEGORIES if index <= c.high), AQI_CATEGORIES[-1])


@dataclass(frozen=True)
class Aqi:
    index: int
    category: AqiCategory
    dominant: str  # the pollutant that sets the index
    sub_indexes: dict[str, int]


POLLUTANT_LABELS: dict[str, Promise] = {
    "pm25": _("Fine particles (PM2.5)"),
    "pm10": _("Particles (PM10)"),
    "no2": _("Nitrogen dioxide (NO₂)"),
    "o3": _("Ozone (O₃)"),
}


def air_quality_index(
    pm25_24h: float | None = None,
    pm10_24h: float | None = None,
    no2_1h: float | None = None,
    o3_8h: float | None = None,
    o3_1h: float | None = None,
) -> Aqi | None:
    """The AQI from concentrations in µg/m³ over the EPA's averaging periods: the highest
    pollutant sub-index, or None when no pollutant is known."""
    subs: dict[str, int] = {}
    if pm25_24h is not None and (i := sub_index(pm25_24h, PM25_BREAKPOINTS, TRUNCATE["pm25"])) is not None:
        subs["pm25"] = i
    if pm10_24h is not None and (i := sub_index(pm10_24h, PM10_BREAKPOINTS, TRUNCATE["pm10"])) is not None:
        subs["pm10"] = i
    if no2_1h is not None:
        ppb = ugm3_to_ppb(no2_1h, NO2_MOLAR_MASS)
        if (i := sub_index(ppb, NO2_BREAKPOINTS, TRUNCATE["no2"])) is not None:
            subs["no2"] = i
    ozone: list[int] = []
    if o3_8h is not None:
        ppm = ugm3_to_ppb(o3_8h, O3_MOLAR_MASS) / 1000
        # Above the 8-hour table the EPA uses 1-hour values only.
        if ppm <= O3_8H_BREAKPOINTS[-1][1] and (i := sub_index(ppm, O3_8H_BREAKPOINTS, TRUNCATE["o3_8h"])) is not None:
            ozone.append(i)
    if o3_1h is not None:
        ppm = ugm3_to_ppb(o3_1h, O3_MOLAR_MASS) / 1000
        if _truncate(ppm, 3) >= O3_1H_BREAKPOINTS[0][0]:
            ozone.append(sub_index(ppm, O3_1H_BREAKPOINTS, TRUNCATE["o3_1h"]) or 0)
    if ozone:
        subs["o3"] = max(ozone)
    if not subs:
        return None
    dominant = max(subs, key=lambda k: subs[k])
    return Aqi(subs[dominant], aqi_category(subs[dominant]), dominant, subs)


def mean_over(hours: Mapping[datetime, float], end: datetime, count: int) -> float | None:
    """The mean of the hourly values (keyed by the hour's start) of the ``count`` hours before
    ``end`` (None if there are none)."""
    values = [v for t, v in hours.items() if 0 < (end - t).total_seconds() <= count * 3600]
    return sum(values) / len(values) if values else None


# --- damp and mould ------------------------------------------------------------------------
MAGNUS_B = 17.62
MAGNUS_C = 243.12  # °C


def dew_point(temperature: float, relative_humidity: float) -> float:
    """Dew point (°C) by the Magnus formula (Sonntag 1990 constants, -45 to 60 °C)."""
    rh = min(max(relative_humidity, 0.1), 100.0)
    gamma = math.log(rh / 100.0) + MAGNUS_B * temperature / (MAGNUS_C + temperature)
    return MAGNUS_C * gamma / (MAGNUS_B - gamma)


@dataclass(frozen=True)
class DampRisk:
    score: int  # 0-100
    level: str  # "low", "medium", "high", "unknown"
    hours: int  # hours with both temperature and humidity
    humid_hours: int
    condensation_hours: int
    mean_rh: float | None
    mean_temperature: float | None


MIN_HOURS = 24  # less than a day of paired readings says too little


def damp_level(score: int, threshold: int) -> str:
    if score >= threshold:
        return "high"
    return "medium" if score >= threshold / 2 else "low"


def damp_risk(
    temperature: Mapping[datetime, float],
    humidity: Mapping[datetime, float],
    *,
    rh_threshold: float,
    dew_margin: float,
    threshold: int,
) -> DampRisk:
    """A home's damp and mould risk from hourly mean air temperature and relative humidity.

    Each hour with both readings counts as humid when RH is at or above ``rh_threshold`` (BS
    5250:2021 treats sustained RH above 70 % as the mould-growth risk), and as a condensation
    hour when the dew point is within ``dew_margin`` °C of the air temperature (cold walls and
    windows, a few degrees cooler than the air, then reach the dew point). The score is the
    share of humid hours weighted 0.6 plus the share of condensation hours weighted 0.4, times
    100: a home humid all week scores at least 60, one also near condensation all week 100.
    """
    paired = [(temperature[h], humidity[h]) for h in temperature.keys() & humidity.keys()]
    if len(paired) < MIN_HOURS:
        return DampRisk(0, "unknown", len(paired), 0, 0, None, None)
    humid = sum(1 for _t, rh in paired if rh >= rh_threshold)
    condensing = sum(1 for t, rh in paired if t - dew_point(t, rh) <= dew_margin)
    score = round(100 * (0.6 * humid / len(paired) + 0.4 * condensing / len(paired)))
    return DampRisk(
        score=score,
        level=damp_level(score, threshold),
        hours=len(paired),
        humid_hours=humid,
        condensation_hours=condensing,
        mean_rh=round(sum(rh for _t, rh in paired) / len(paired), 1),
        mean_temperature=round(sum(t for t, _rh in paired) / len(paired), 1),
    )


def damp_level_labels() -> dict[str, Promise]:
    return {"high": _("High"), "medium": _("Medium"), "low": _("Low"), "unknown": _("Not enough data")}
