"""The meanings of the values, checked against the published tables: the US EPA AQI
breakpoints (EPA-454/B-24-002, 2024), WHO drinking-water guidance and the Magnus dew point."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from cityos.monitoring import meanings


@pytest.mark.parametrize(
    ("pm25", "expected"),
    [
        (0.0, 0),
        (9.0, 50),  # top of Good (2024 revision: 9.0, was 12.0)
        (9.1, 51),
        (12.0, 56),  # (100-51)/(35.4-9.1)*(12.0-9.1)+51 = 56.4 -> 56
        (35.4, 100),
        (35.5, 101),
        (55.4, 150),
        (55.5, 151),
        (125.4, 200),
        (125.5, 201),
        (225.5, 301),
        (325.4, 500),
        (35.49, 100),  # truncated to 35.4 before lookup, as the EPA says
        (1000.0, 500),
    ],
)
def test_pm25_sub_index_follows_the_epa_breakpoints(pm25: float, expected: int) -> None:
    aqi = meanings.air_quality_index(pm25_24h=pm25)
    assert aqi is not None
    assert aqi.index == expected


@pytest.mark.parametrize(("pm10", "expected"), [(54, 50), (54.9, 50), (55, 51), (154, 100), (155, 101), (424, 300)])
def test_pm10_sub_index(pm10: float, expected: int) -> None:
    aqi = meanings.air_quality_index(pm10_24h=pm10)
    assert aqi is not None and aqi.index == expected


def test_no2_and_ozone_are_converted_from_micrograms_to_ppb_and_ppm() -> None:
    # 100 ppb NO2 = 100 * 46.0055 / 24.45 = 188.2 µg/m³ -> top of Moderate (100).
    assert meanings.air_quality_index(no2_1h=188.2).index == 100  # type: ignore[union-attr]
    assert meanings.ugm3_to_ppb(1.88, meanings.NO2_MOLAR_MASS) == pytest.approx(1.0, abs=0.01)
    # 0.070 ppm O3 (8-hour) = 70 * 47.9982 / 24.45 = 137.4 µg/m³ -> 100; 0.071 ppm -> 101.
    assert meanings.air_quality_index(o3_8h=137.5).index == 100  # type: ignore[union-attr]
    assert meanings.air_quality_index(o3_8h=139.5).index == 101  # type: ignore[union-attr]


def test_one_hour_ozone_is_used_where_it_is_higher() -> None:
    # 8-hour 0.050 ppm (Good) but 1-hour 0.170 ppm: the 1-hour table gives 151-200.
    eight = 0.050 * 1000 * meanings.O3_MOLAR_MASS / meanings.MOLAR_VOLUME
    one = 0.170 * 1000 * meanings.O3_MOLAR_MASS / meanings.MOLAR_VOLUME
    aqi = meanings.air_quality_index(o3_8h=eight, o3_1h=one)
    assert aqi is not None and 151 <= aqi.index <= 200 and aqi.dominant == "o3"


def test_the_index_is_the_highest_sub_index_with_its_category_and_advice() -> None:
    aqi = meanings.air_quality_index(pm25_24h=40.0, pm10_24h=20.0, no2_1h=10.0)
    assert aqi is not None
    assert aqi.dominant == "pm25"
    assert aqi.category.key == "sensitive"
    assert "sensitive groups" in str(aqi.category.message)
    assert set(aqi.sub_indexes) == {"pm25", "pm10", "no2"}
    assert meanings.air_quality_index() is None


@pytest.mark.parametrize(
    ("index", "key"),
    [
        (0, "good"),
        (50, "good"),
        (51, "moderate"),
        (150, "sensitive"),
        (200, "unhealthy"),
        (300, "very-unhealthy"),
        (301, "hazardous"),
        (500, "hazardous"),
    ],
)
def test_categories(index: int, key: str) -> None:
    assert meanings.aqi_category(index).key == key


@pytest.mark.parametrize(
    ("measure", "value", "status"),
    [
        ("pH", 7.2, "good"),
        ("pH", 6.5, "good"),
        ("pH", 8.5, "advisory"),  # the guideline range is 6.5-8.5; 8.5 itself starts the next band
        ("pH", 6.2, "advisory"),
        ("pH", 5.5, "problem"),
        ("pH", 10.0, "problem"),
        ("turbidity", 0.3, "good"),
        ("turbidity", 1.0, "advisory"),
        ("turbidity", 4.9, "advisory"),
        ("turbidity", 5.0, "problem"),
        ("chlorine", 0.05, "problem"),
        ("chlorine", 0.15, "advisory"),
        ("chlorine", 0.2, "good"),
        ("chlorine", 0.5, "good"),
        ("chlorine", 5.0, "problem"),
        ("conductivity", 450.0, "good"),
        ("conductivity", 2600.0, "advisory"),
    ],
)
def test_water_bands_follow_the_guidelines(measure: str, value: float, status: str) -> None:
    assert meanings.WATER_BY_KEY[measure].assess(value).status == status


def test_the_worst_status_wins_and_unknown_only_when_nothing_is_known() -> None:
    assert meanings.worst(["good", "advisory", "unknown"]) == "advisory"
    assert meanings.worst(["good", "problem", "advisory"]) == "problem"
    assert meanings.worst(["unknown", "unknown"]) == "unknown"
    assert meanings.worst([]) == "unknown"


@pytest.mark.parametrize(
    ("t", "rh", "expected"), [(20.0, 50.0, 9.26), (20.0, 100.0, 20.0), (25.0, 80.0, 21.31), (0.0, 60.0, -6.83)]
)
def test_dew_point_by_the_magnus_formula(t: float, rh: float, expected: float) -> None:
    assert meanings.dew_point(t, rh) == pytest.approx(expected, abs=0.05)


T0 = datetime(2026, 1, 5, tzinfo=UTC)


def _hours(n: int, value: float) -> dict[datetime, float]:
    return {T0 + timedelta(hours=i): value for i in range(n)}


def test_damp_risk_scores_humid_and_condensation_hours() -> None:
    kwargs = {"rh_threshold": 70.0, "dew_margin": 3.0, "threshold": 50}
    dry = meanings.damp_risk(_hours(168, 20.0), _hours(168, 45.0), **kwargs)
    assert (dry.score, dry.level, dry.humid_hours, dry.condensation_hours) == (0, "low", 0, 0)
    # 75 % RH at 18 °C: humid, dew point 13.5 °C (4.5 °C margin): no condensation.
    humid = meanings.damp_risk(_hours(168, 18.0), _hours(168, 75.0), **kwargs)
    assert (humid.score, humid.level, humid.humid_hours, humid.condensation_hours) == (60, "high", 168, 0)
    # 90 % RH at 15 °C: dew point 13.4 °C, within 3 °C: humid and condensing every hour.
    wet = meanings.damp_risk(_hours(168, 15.0), _hours(168, 90.0), **kwargs)
    assert (wet.score, wet.condensation_hours) == (100, 168)
    # Half the week humid: 30.
    half = {**_hours(84, 40.0), **{T0 + timedelta(hours=84 + i): 75.0 for i in range(84)}}
    assert meanings.damp_risk(_hours(168, 18.0), half, **kwargs).score == 30
    assert meanings.damp_risk(_hours(168, 18.0), half, **kwargs).level == "medium"


def test_damp_risk_needs_a_day_of_paired_readings() -> None:
    risk = meanings.damp_risk(_hours(30, 18.0), _hours(20, 90.0), rh_threshold=70, dew_margin=3, threshold=50)
    assert (risk.level, risk.score, risk.hours) == ("unknown", 0, 20)
