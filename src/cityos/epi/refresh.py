"""The hourly job: Rt and 14-day forecasts per district and for the city, forecast accuracy,
community risk, hospital capacity forecast and alert, all cached in one DashboardSnapshot row.

Everything is written in one transaction (events on commit); the public page only reads the row.
"""

from __future__ import annotations

import datetime
import logging
from typing import Any

import numpy as np
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone

from cityos.core.events import publish
from cityos.core.geo.models import District
from cityos.core.notifications import services as notifications
from cityos.core.notifications.models import Audience
from cityos.core.notifications.selectors import Segment
from cityos.epi import analysis, conf, forecast, rt, selectors
from cityos.epi.events import CapacityForecastCrossed, DashboardRefreshed
from cityos.epi.models import CITY, RESOURCES, CapacityAlert, DashboardSnapshot, Forecast, RtValue

logger = logging.getLogger(__name__)

SHOWN_DAYS = 90  # days of history on the dashboard's charts
ACCURACY_DAYS = 365  # forecasts issued this far back count in the accuracy panel
HORIZON = forecast.DEFAULT_HORIZON
# Cori et al. (2013) advise at least 12 cases in a window for a usable estimate; below that the
# posterior mostly repeats the prior, so no Rt is shown.
MIN_CASES_IN_WINDOW = 12


def _informative(estimate: rt.RtEstimate) -> np.ndarray:
    """Per series and window: has the window enough cases for its Rt to be shown?"""
    prior_shape = (rt.DEFAULT_PRIOR_MEAN / rt.DEFAULT_PRIOR_SD) ** 2
    return np.asarray(estimate.shape - prior_shape >= MIN_CASES_IN_WINDOW)


def _forecast_rows(areas: list[str], as_of: datetime.date, result: forecast.CaseForecast) -> list[Forecast]:
    rows = []
    index = {q: i for i, q in enumerate(rt.QUANTILES)}
    for s, area in enumerate(areas):
        for h in range(result.mean.shape[1]):
            q = result.quantiles[s, h]
            rows.append(
                Forecast(
                    area=area,
                    issue_date=as_of,
                    horizon=h + 1,
                    target_date=as_of + datetime.timedelta(days=h + 1),
                    mean=float(result.mean[s, h]),
                    median=float(q[index[0.5]]),
                    lower=float(q[index[0.025]]),
                    q25=float(q[index[0.25]]),
                    q75=float(q[index[0.75]]),
                    upper=float(q[index[0.975]]),
                )
            )
    return rows


def run_forecasts(
    districts: list[District], as_of: datetime.date, *, samples: int | None = None, seed: int | None = None
) -> tuple[list[str], forecast.CaseForecast, datetime.date] | None:
    """Rt and forecasts for every district and the city (last row) on data up to ``as_of``."""
    start = as_of - datetime.timedelta(days=conf.history_days() - 1)
    local, imported = selectors.case_matrix(districts, start, as_of)
    local = np.vstack([local, local.sum(axis=0)])
    imported = np.vstack([imported, imported.sum(axis=0)])
    try:
        result = forecast.forecast_cases_batch(
            local,
            imported=imported,
            si_mean=conf.si_mean(),
            si_sd=conf.si_sd(),
            window=conf.window(),
            horizon=HORIZON,
            samples=samples or conf.forecast_samples(),
            seed=seed,
        )
    except rt.InvalidRtInput:
        logger.info("epi: too few days of cases for Rt", extra={"as_of": as_of.isoformat()})
        return None
    return [d.code for d in districts] + [CITY], result, start


def store_forecasts(areas: list[str], as_of: datetime.date, result: forecast.CaseForecast) -> None:
    Forecast.objects.filter(issue_date=as_of, area__in=areas).delete()
    Forecast.objects.bulk_create(_forecast_rows(areas, as_of, result), batch_size=2000)


def _store_rt(areas: list[str], start: datetime.date, estimate: rt.RtEstimate) -> None:
    ends = estimate.end - 1  # 0-based day index of each window's last day
    keep = ends >= ends.max() - SHOWN_DAYS + 1 if ends.size else ends.astype(bool)
    index = {q: i for i, q in enumerate(rt.QUANTILES)}
    informative = _informative(estimate)
    rows = [
        RtValue(
            area=area,
            date=start + datetime.timedelta(days=int(ends[w])),
            mean=float(estimate.mean[s, w]),
            median=float(estimate.quantiles[s, w, index[0.5]]),
            lower=float(estimate.quantiles[s, w, index[0.025]]),
            upper=float(estimate.quantiles[s, w, index[0.975]]),
        )
        for s, area in enumerate(areas)
        for w in np.flatnonzero(keep & informative[s])
    ]
    RtValue.objects.filter(area__in=areas).delete()
    RtValue.objects.bulk_create(rows, batch_size=2000)


def _accuracy(as_of: datetime.date, city_cases: dict[datetime.date, float]) -> list[dict[str, Any]]:
    due = selectors.forecasts_due(CITY, as_of - datetime.timedelta(days=ACCURACY_DAYS), as_of)
    usable = [(h, median, city_cases[day]) for h, median, day in due if day in city_cases]
    if not usable:
        return analysis.mape_by_horizon([], [], [], HORIZON)
    h, predicted, actual = zip(*usable, strict=True)
    return analysis.mape_by_horizon(h, predicted, actual, HORIZON)


def _hospital(
    as_of: datetime.date, start: datetime.date, city_cases: np.ndarray, city_forecast: dict[str, np.ndarray]
) -> dict[str, Any]:
    series = selectors.hospital_series(start, as_of)
    threshold = conf.small_count_threshold()
    out: dict[str, Any] = {"resources": [], "series": [], "forecast": [], "crossings": {}, "models": {}}
    shown_from = max(0, len(city_cases) - SHOWN_DAYS)
    for i in range(shown_from, len(city_cases)):
        row: dict[str, Any] = {"date": (start + datetime.timedelta(days=i)).isoformat()}
        for name, values in series.items():
            row[name] = None if np.isnan(values[i]) else analysis.suppress(int(values[i]), threshold)
        out["series"].append(row)
    forecasts: dict[str, dict[str, np.ndarray]] = {}
    for resource in RESOURCES:
        total, occupied = series[f"{resource}_total"], series[f"{resource}_occupied"]
        reported = np.flatnonzero(~np.isnan(occupied))
        if not reported.size:
            continue
        last = int(reported[-1])
        capacity, today = int(total[last]), int(occupied[last])
        # A hidden count stays hidden in its share and in where its forecast starts.
        today_shown = analysis.published_value(today, threshold)
        out["resources"].append(
            {
                "resource": resource,
                "date": (start + datetime.timedelta(days=last)).isoformat(),
                "total": capacity,
                "occupied": analysis.suppress(today, threshold),
                "share": round(100 * today / capacity, 1)
                if capacity and not analysis.hidden(today, threshold)
                else None,
            }
        )
        # Days without a report are filled from the day before, so the fit sees a full series.
        filled = np.copy(occupied)
        for i in range(1, len(filled)):
            if np.isnan(filled[i]):
                filled[i] = filled[i - 1]
        first = int(reported[0])
        model = analysis.fit_occupancy(city_cases[first : last + 1], filled[first : last + 1])
        if model is None or last != len(city_cases) - 1:
            continue
        out["models"][resource] = {
            "admission_rate": round(model.admission_rate, 4),
            "length_of_stay": model.length_of_stay,
        }
        forecasts[resource] = {
            band: analysis.forecast_occupancy(model, city_cases, today_shown, city_forecast[band])
            for band in ("median", "lower", "upper")
        }
        crossing = analysis.first_crossing(forecasts[resource]["median"], capacity)
        if crossing is not None:
            out["crossings"][resource] = {
                "date": (as_of + datetime.timedelta(days=crossing + 1)).isoformat(),
                "capacity": capacity,
                "forecast": round(float(forecasts[resource]["median"][crossing]), 1),
            }
    for h in range(HORIZON):
        row = {"date": (as_of + datetime.timedelta(days=h + 1)).isoformat()}
        for resource, bands in forecasts.items():
            for band, values in bands.items():
                row[f"{resource}_{band}"] = round(float(values[h]), 1)
        out["forecast"].append(row)
    return out


def _send_capacity_alerts(as_of: datetime.date, crossings: dict[str, dict[str, Any]]) -> None:
    """To the health officers of epi's departments (CITYOS_EPI_DEPARTMENT) or of none: at most one
    alert per resource and day of data, so the hourly reruns on the same data do not repeat it."""
    for resource, crossing in crossings.items():
        alert, created = CapacityAlert.objects.get_or_create(
            resource=resource,
            issue_date=as_of,
            defaults={
                "crossing_date": datetime.date.fromisoformat(crossing["date"]),
                "capacity": crossing["capacity"],
                "forecast": crossing["forecast"],
            },
        )
        if not created:
            continue
        publish(CapacityForecastCrossed(resource=resource, crossing_date=crossing["date"], capacity=alert.capacity))
        try:
            with transaction.atomic():
                notifications.send_to_segment(
                    # The health officers of the departments that do epi's work (or of none).
                    Segment(audience=Audience.STAFF, roles=conf.WRITE_ROLES),
                    conf.CAPACITY_ALERT_TEMPLATE,
                    {
                        "resource": resource,
                        "date": crossing["date"],
                        "capacity": crossing["capacity"],
                        "forecast": crossing["forecast"],
                    },
                    sent_by=None,
                )
        except (ValidationError, PermissionDenied) as error:
            # No template or no health officer yet: the alert is kept and shown on the dashboard.
            logger.warning("epi: capacity alert not sent", extra={"resource": resource, "why": str(error)})
        else:
            alert.sent = True
            alert.save(update_fields=["sent"])


def _district_rows(
    districts: list[District], local: np.ndarray, estimate: rt.RtEstimate, threshold: int
) -> list[dict[str, Any]]:
    rows = []
    last = estimate.quantiles.shape[1] - 1
    index = {q: i for i, q in enumerate(rt.QUANTILES)}
    informative = _informative(estimate)[:, last]
    for s, district in enumerate(districts):
        last_7d = int(local[s, -7:].sum())
        previous_7d = int(local[s, -14:-7].sum())
        incidence = analysis.incidence_per_100k(last_7d, district.population)
        shown = analysis.suppress(last_7d, threshold)
        rows.append(
            {
                "code": district.code,
                "name": district.name,
                "names": district.names,
                "population": district.population,
                "cases_7d": shown,
                "incidence": None if shown is None else incidence,
                # Of the weekly sums as published, so that it gives no hidden sum back.
                "trend": analysis.trend(
                    analysis.published_value(last_7d, threshold), analysis.published_value(previous_7d, threshold)
                ),
                "rt": round(float(estimate.mean[s, last]), 2) if informative[s] else None,
                "rt_lower": round(float(estimate.quantiles[s, last, index[0.025]]), 2) if informative[s] else None,
                "rt_upper": round(float(estimate.quantiles[s, last, index[0.975]]), 2) if informative[s] else None,
                "risk": analysis.risk_level(incidence),
            }
        )
    order = {level: i for i, level in enumerate(("high", "substantial", "moderate", "low", "unknown"))}
    return sorted(rows, key=lambda r: (order[r["risk"]], -(r["incidence"] or 0)))


def refresh_dashboard(as_of: datetime.date | None = None, *, seed: int | None = None) -> DashboardSnapshot:
    """Compute and store everything the dashboard shows, on the data up to ``as_of``."""
    as_of = as_of or selectors.last_case_date() or timezone.localdate()
    threshold = conf.small_count_threshold()
    districts = list(District.objects.order_by("code"))
    data: dict[str, Any] = {"as_of": as_of.isoformat(), "threshold": threshold}
    with transaction.atomic():
        ran = run_forecasts(districts, as_of, seed=seed)
        start = as_of - datetime.timedelta(days=conf.history_days() - 1)
        local, imported = selectors.case_matrix(districts, start, as_of)
        total = local + imported
        city = total.sum(axis=0)
        # What the public sees of each day; the sums and averages below are built from it.
        city_shown = analysis.published(city, threshold)
        dates = selectors.days_between(start, as_of)
        shown = slice(max(0, len(dates) - SHOWN_DAYS), len(dates))
        data["cases"] = [
            {
                "date": d.isoformat(),
                "cases": analysis.suppress(int(n), threshold),
                "average_7d": round(float(city_shown[max(0, i - 6) : i + 1].mean()), 1),
            }
            for i, (d, n) in enumerate(zip(dates, city, strict=True))
        ][shown]
        data["cases_7d"] = analysis.suppress(round(float(city_shown[-7:].sum())), threshold)
        data["cases_previous_7d"] = analysis.suppress(round(float(city_shown[-14:-7].sum())), threshold)
        # Of the published days, as the sums above: exact sums would let the category give a
        # hidden day back.
        data["trend"] = analysis.trend(float(city_shown[-7:].sum()), float(city_shown[-14:-7].sum()))
        tests, positives = selectors.lab_series(start, as_of)
        data["tests"] = [
            {
                "date": d.isoformat(),
                "tests": analysis.suppress(int(t), threshold),
                "positives": analysis.suppress(int(p), threshold),
                # Not of a hidden count: tests x positivity would give it back.
                "positivity": round(100 * p / t, 1) if t >= threshold and not analysis.hidden(p, threshold) else None,
            }
            for d, t, p in zip(dates, tests, positives, strict=True)
        ][shown]
        tests_7d = float(analysis.published(tests, threshold)[-7:].sum())
        positives_7d = float(analysis.published(positives, threshold)[-7:].sum())
        data["tests_7d"] = analysis.suppress(round(tests_7d), threshold)
        data["positivity_7d"] = (
            round(100 * positives_7d / tests_7d, 1)
            if tests_7d >= threshold and not analysis.hidden(positives_7d, threshold)
            else None
        )
        data["districts"], data["rt"], data["forecast"], data["rt_series"] = [], None, [], []
        city_forecast = {band: np.zeros(HORIZON) for band in ("median", "lower", "upper")}
        if ran is not None:
            areas, result, _start = ran
            store_forecasts(areas, as_of, result)
            _store_rt(areas, start, result.rt)
            data["districts"] = _district_rows(districts, total, result.rt, threshold)
            city_rows = _forecast_rows([CITY], as_of, _city_only(result))
            data["forecast"] = [
                {
                    "date": f.target_date.isoformat(),
                    "median": round(f.median, 1),
                    "lower": round(f.lower, 1),
                    "q25": round(f.q25, 1),
                    "q75": round(f.q75, 1),
                    "upper": round(f.upper, 1),
                }
                for f in city_rows
            ]
            city_forecast = {
                "median": np.array([f.median for f in city_rows]),
                "lower": np.array([f.lower for f in city_rows]),
                "upper": np.array([f.upper for f in city_rows]),
            }
            data["rt_series"] = [
                {
                    "date": v.date.isoformat(),
                    "mean": round(v.mean, 2),
                    "lower": round(v.lower, 2),
                    "upper": round(v.upper, 2),
                }
                for v in RtValue.objects.filter(area=CITY).order_by("date")
            ]
            latest = data["rt_series"][-1] if data["rt_series"] else None
            data["rt"] = latest if latest and latest["date"] == as_of.isoformat() else None
            if data["rt"] is None:  # too few cases for Rt: no forecast to show either
                data["forecast"] = []
        # Over ACCURACY_DAYS, which reach further back than the history the models are fitted on.
        since = min(start, as_of - datetime.timedelta(days=ACCURACY_DAYS))
        past_local, past_imported = selectors.case_matrix(districts, since, as_of)
        past = (past_local + past_imported).sum(axis=0)
        data["accuracy"] = _accuracy(
            as_of, {d: float(n) for d, n in zip(selectors.days_between(since, as_of), past, strict=True)}
        )
        data["hospital"] = _hospital(as_of, start, city, city_forecast)
        _send_capacity_alerts(as_of, data["hospital"]["crossings"])
        data["alerts"] = [
            {"resource": a.resource, "date": a.crossing_date.isoformat(), "sent": a.sent}
            # Of this data's forecast only: an earlier day's alert is superseded by it.
            for a in CapacityAlert.objects.filter(issue_date=as_of, crossing_date__gt=as_of).order_by("crossing_date")
        ]
        snapshot, _created = DashboardSnapshot.objects.update_or_create(
            key="public", defaults={"computed_at": timezone.now(), "data": data}
        )
        publish(DashboardRefreshed(as_of=as_of.isoformat()))
        transaction.on_commit(selectors.forget_dashboard)
    return snapshot


def _city_only(result: forecast.CaseForecast) -> forecast.CaseForecast:
    """The last series of a batch (the city) as a batch of one."""
    return forecast.CaseForecast(day=result.day, mean=result.mean[-1:], quantiles=result.quantiles[-1:], rt=result.rt)
