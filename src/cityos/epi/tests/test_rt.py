"""The Rt engine gives EpiEstim's estimate_R results, digit for digit as EpiEstim prints them.

Three kinds of evidence:
* EpiEstim's documented examples, compared with the output EpiEstim prints (every printed digit,
  at least 7 significant);
* an independent implementation written here in loop form, straight from the formulas of
  Cori et al. (2013), on random series, serial intervals, windows and priors;
* cases small enough to check by hand.
"""

from __future__ import annotations

import math
import random
from decimal import Decimal

import numpy as np
import pytest
from scipy import integrate, stats

from cityos.epi import rt
from cityos.epi.tests import epiestim_examples as ex

QUANTILE_COLUMNS = ex.COLUMNS[2:]


def printed_precision(printed: str) -> float:
    """Half a unit in the last printed digit: how far a value may be and still print the same."""
    exponent = Decimal(printed).as_tuple().exponent
    assert isinstance(exponent, int)
    return 0.5 * 10.0**exponent


def assert_prints_as(value: float, printed: str) -> None:
    expected = float(printed)
    slack = printed_precision(printed) * (1 + 1e-9) + 1e-15
    assert abs(value - expected) <= slack, f"{value!r} does not print as {printed}"
    if expected != 0:
        assert abs(value - expected) / abs(expected) < 1e-6, f"{value!r} differs from {printed} in 6 digits"


def assert_matches_epiestim(estimate: rt.RtEstimate, table: str) -> None:
    columns = ex.parse_r_table(table)
    assert estimate.start.tolist() == [int(v) for v in columns["t_start"]]
    assert estimate.end.tolist() == [int(v) for v in columns["t_end"]]
    ours = np.column_stack([estimate.mean, estimate.sd, estimate.quantiles])
    for column_index, name in enumerate(ex.COLUMNS):
        for row, printed in enumerate(columns[name]):
            assert_prints_as(float(ours[row, column_index]), printed)


# --- EpiEstim's documented examples ----------------------------------------------------------


def test_flu2009_with_a_given_serial_interval_matches_epiestim_example_1():
    estimate = rt.estimate_r(ex.FLU2009_INCIDENCE, si_distribution=ex.FLU2009_SI_DISTR)

    assert_matches_epiestim(estimate, ex.EXAMPLE_1_R)
    assert_prints_as(estimate.serial_interval_mean, "2.596")
    assert_prints_as(estimate.serial_interval_sd, "1.534531")


def test_local_and_imported_cases_with_a_parametric_serial_interval_match_epiestim_example_2():
    estimate = rt.estimate_r(ex.EXAMPLE_2_LOCAL, imported=ex.EXAMPLE_2_IMPORTED, si_mean=2.6, si_sd=1.5)

    assert_matches_epiestim(estimate, ex.EXAMPLE_2_R)
    assert_prints_as(estimate.serial_interval_mean, "2.599999")
    assert_prints_as(estimate.serial_interval_sd, "1.554876")


def test_flu2009_with_a_parametric_serial_interval_matches_epiestim_example_3():
    estimate = rt.estimate_r(ex.FLU2009_INCIDENCE, si_mean=2.6, si_sd=1.5)

    assert_matches_epiestim(estimate, ex.EXAMPLE_3_R)
    assert_prints_as(estimate.serial_interval_sd, "1.55488")


def test_the_discretised_serial_interval_matches_epiestims_discr_si():
    estimate = rt.estimate_r(ex.FLU2009_INCIDENCE, si_mean=2.6, si_sd=1.5)
    printed = ex.EXAMPLE_3_SI_DISTR.split()

    assert len(estimate.serial_interval) == len(printed) == len(ex.FLU2009_INCIDENCE) + 1
    for value, shown in zip(estimate.serial_interval, printed, strict=True):
        if float(shown) >= 1e-7:
            assert_prints_as(float(value), shown)
        else:
            # Below 1e-7 EpiEstim's own rounding noise (about 4e-15, see the integral test
            # below) shows in its 7th digit; the weights of such days change no estimate.
            assert abs(float(value) - float(shown)) < 1e-14


def test_the_default_windows_are_weekly_from_day_2_to_the_last_day():
    estimate = rt.estimate_r(ex.FLU2009_INCIDENCE, si_distribution=ex.FLU2009_SI_DISTR)

    assert estimate.start.tolist() == list(range(2, 27))
    assert estimate.end.tolist() == list(range(8, 33))


# --- The serial interval, discretised as discr_si does ----------------------------------------


def triangle_kernel_integral(k: int, mean: float, sd: float) -> float:
    """w_k by its definition: P(day of the secondary case = k), the primary uniform in day 0,
    the delay 1 + Gamma(mean - 1, sd); i.e. the triangle around k - 1 against the gamma density."""
    shape, scale = ((mean - 1) / sd) ** 2, sd**2 / (mean - 1)
    centre = k - 1

    def integrand(t: float) -> float:
        return (1 - abs(t - centre)) * stats.gamma.pdf(t, shape, scale=scale)

    low, high = max(centre - 1, 0.0), centre + 1
    if high <= 0:
        return 0.0
    pieces = [(low, max(low, centre)), (max(low, centre), high)]
    return sum(integrate.quad(integrand, a, b, epsabs=1e-14, epsrel=1e-12)[0] for a, b in pieces if b > a)


@pytest.mark.parametrize(("mean", "sd"), [(2.6, 1.5), (4.8, 2.3), (6.5, 4.0), (1.5, 0.3), (15.0, 9.0)])
def test_the_discretised_serial_interval_is_the_integral_that_defines_it(mean, sd):
    w = rt.discretise_serial_interval(mean, sd, 40)
    expected = [triangle_kernel_integral(k, mean, sd) for k in range(40)]

    np.testing.assert_allclose(w, expected, rtol=1e-8, atol=1e-300)
    assert w[0] == 0


def test_a_serial_interval_of_mean_2_and_sd_1_discretises_by_hand():
    # Mean 2, sd 1: the delay is 1 + Exponential(1), so w_1 = 1/e, and for k >= 2 the
    # triangle around k - 1 gives w_k = e^-(k-1) (e + 1/e - 2); w_2 = (1 - 1/e)^2.
    w = rt.discretise_serial_interval(2.0, 1.0, 6)
    e = math.e

    assert w[0] == 0
    assert w[1] == pytest.approx(1 / e, rel=1e-12)
    assert w[2] == pytest.approx((1 - 1 / e) ** 2, rel=1e-12)
    for k in range(2, 6):
        assert w[k] == pytest.approx(e ** -(k - 1) * (e + 1 / e - 2), rel=1e-12)


# --- An independent implementation, loop form, from the paper's formulas -----------------------


def rt_by_loops(local, imported, w, window, prior_mean, prior_sd):
    """Cori et al. (2013) written out day by day, with EpiEstim's conventions."""
    days = len(local)
    local, imported = list(local), list(imported or [0] * days)
    imported[0] += local[0]  # every case of day 1 is imported
    local[0] = 0
    total = [a + b for a, b in zip(local, imported, strict=True)]
    w = list(w) + [0.0] * max(0, days + 1 - len(w))
    mean_si = sum(k * p for k, p in enumerate(w))
    infectivity = {t: sum(w[s] * total[t - s - 1] for s in range(1, t)) for t in range(2, days + 1)}  # 1-based t
    a_prior, b_prior = (prior_mean / prior_sd) ** 2, prior_sd**2 / prior_mean
    rows = []
    for start in range(2, days - window + 2):
        end = start + window - 1
        if end <= mean_si:
            continue
        shape = a_prior + sum(local[t - 1] for t in range(start, end + 1))
        scale = 1 / (1 / b_prior + sum(infectivity[t] for t in range(start, end + 1)))
        posterior = stats.gamma(shape, scale=scale)
        rows.append(
            (start, end, shape * scale, math.sqrt(shape) * scale, *(float(posterior.ppf(q)) for q in rt.QUANTILES))
        )
    return rows


def random_serial_interval(rng: random.Random) -> list[float]:
    weights = [0.0] + [rng.random() ** 2 for _ in range(rng.randint(1, 15))]
    total = sum(weights) or 1.0
    return [x / total for x in weights] if total else [0.0, 1.0]


@pytest.mark.parametrize("seed", range(12))
def test_vectorised_estimates_equal_the_loop_form_on_random_series(seed):
    rng = random.Random(seed)
    days = rng.randint(10, 90)
    local = [rng.choice([0, 0, 1, 2, 3, 5, 8, 13, 40, 200]) for _ in range(days)]
    imported = [rng.choice([0, 0, 0, 1, 4]) for _ in range(days)] if seed % 2 else None
    window = rng.choice([1, 3, 7, 14])
    prior_mean, prior_sd = rng.choice([(5.0, 5.0), (1.0, 0.5), (2.5, 10.0)])
    if seed % 3 == 0:
        w = rt.discretise_serial_interval(rng.uniform(1.5, 8.0), rng.uniform(0.5, 5.0), days).tolist()
    else:
        w = random_serial_interval(rng)

    estimate = rt.estimate_r(
        local, imported=imported, si_distribution=w, window=window, prior_mean=prior_mean, prior_sd=prior_sd
    )
    expected = rt_by_loops(local, imported, w, window, prior_mean, prior_sd)

    assert [(r[0], r[1]) for r in expected] == list(zip(estimate.start.tolist(), estimate.end.tolist(), strict=True))
    ours = np.column_stack([estimate.mean, estimate.sd, estimate.quantiles])
    np.testing.assert_allclose(ours, np.array([r[2:] for r in expected]).reshape(ours.shape), rtol=1e-9)


def test_a_batch_of_districts_equals_each_district_on_its_own():
    rng = np.random.default_rng(7)
    cases = rng.poisson(lam=np.linspace(1, 60, 200), size=(5, 200))
    imported = rng.poisson(0.5, size=(5, 200))

    batch = rt.estimate_r_batch(cases, imported=imported, si_mean=4.8, si_sd=2.3, window=10)
    for district in range(5):
        alone = rt.estimate_r(cases[district], imported=imported[district], si_mean=4.8, si_sd=2.3, window=10)
        np.testing.assert_array_equal(batch.start, alone.start)
        np.testing.assert_allclose(batch.mean[district], alone.mean, rtol=1e-13)
        np.testing.assert_allclose(batch.quantiles[district], alone.quantiles, rtol=1e-13)


# --- Cases to check by hand ------------------------------------------------------------------


def test_a_one_day_serial_interval_gives_rt_by_hand():
    # Everybody infects exactly one day later: lambda_t is yesterday's cases. Prior mean = sd = 5
    # is shape 1, scale 5. Day 1's 3 cases are imported; day 2 has none.
    estimate = rt.estimate_r([3, 0, 6, 6], si_distribution=[0, 1], window=1)

    assert estimate.start.tolist() == [2, 3, 4]
    # Day 2: shape 1 + 0, scale 1 / (1/5 + 3) = 0.3125: an exponential, with closed-form quantiles.
    assert estimate.mean[0] == pytest.approx(0.3125, rel=1e-12)
    assert estimate.sd[0] == pytest.approx(0.3125, rel=1e-12)
    for q, value in zip(rt.QUANTILES, estimate.quantiles[0], strict=True):
        assert value == pytest.approx(-math.log(1 - q) * 0.3125, rel=1e-10)
    # Day 3: 6 local cases from yesterday's 0: shape 7, scale 1 / (1/5 + 0) = 5.
    assert estimate.mean[1] == pytest.approx(35.0)
    assert estimate.sd[1] == pytest.approx(math.sqrt(7) * 5)
    # Day 4: 6 cases from 6: shape 7, scale 1 / (0.2 + 6) = 1/6.2.
    assert estimate.mean[2] == pytest.approx(7 / 6.2)


def test_local_cases_on_day_1_count_as_imported_as_epiestim_does():
    with_local_day_one = rt.estimate_r([4, 2, 3, 5], imported=[0, 0, 0, 0], si_distribution=[0, 1], window=1)
    plain = rt.estimate_r([4, 2, 3, 5], si_distribution=[0, 1], window=1)
    moved = rt.estimate_r([0, 2, 3, 5], imported=[4, 0, 0, 0], si_distribution=[0, 1], window=1)

    np.testing.assert_array_equal(with_local_day_one.mean, plain.mean)
    np.testing.assert_array_equal(plain.mean, moved.mean)


def test_imported_cases_infect_but_are_not_counted_as_infected():
    # 10 imported cases on day 3 raise lambda on day 4, and are not in day 3's numerator.
    no_imports = rt.estimate_r([1, 2, 2, 2], si_distribution=[0, 1], window=1)
    imports = rt.estimate_r([1, 2, 2, 2], imported=[0, 0, 10, 0], si_distribution=[0, 1], window=1)

    assert imports.mean[1] == pytest.approx(no_imports.mean[1])  # day 3: same local cases, same lambda
    assert imports.mean[2] == pytest.approx(3 / (0.2 + 12))  # day 4: lambda 2 + 10
    assert no_imports.mean[2] == pytest.approx(3 / (0.2 + 2))


def test_windows_that_end_before_the_mean_serial_interval_are_left_out():
    si = [0.0] * 10 + [1.0]  # everyone infects 10 days later: mean 10
    estimate = rt.estimate_r(list(range(1, 31)), si_distribution=si, window=7)

    assert estimate.end[0] == 11  # windows ending on days 8, 9, 10 are left out
    assert estimate.start[0] == 5


def test_rows_give_one_plain_record_per_window():
    rows = rt.estimate_r(ex.FLU2009_INCIDENCE, si_mean=2.6, si_sd=1.5).rows()

    assert len(rows) == 25
    assert rows[0]["start"] == 2 and rows[0]["end"] == 8
    assert list(rows[0]["quantiles"]) == [0.025, 0.05, 0.25, 0.5, 0.75, 0.95, 0.975]
    assert_prints_as(rows[0]["quantiles"][0.5], "1.7037612")


# --- Bad input: each is refused, saying which value and why -----------------------------------

GOOD = {"si_mean": 2.6, "si_sd": 1.5}


def problems_of(incidence=(1, 2, 3, 4, 5, 6, 7, 8, 9, 10), **kwargs):
    arguments = {**GOOD, **kwargs} if not {"si_distribution", "si_mean", "si_sd"} & kwargs.keys() else kwargs
    with pytest.raises(rt.InvalidRtInput) as caught:
        rt.estimate_r(list(incidence), **arguments)
    return {p.field: p for p in caught.value.problems}


def test_a_negative_count_is_refused_naming_its_index():
    problems = problems_of([1, 2, -3, 4, 5, 6, 7, 8, 9, 10])

    assert set(problems) == {"incidence.2"}
    assert problems["incidence.2"].code == "negative"
    assert "-3" in problems["incidence.2"].message and "day 3" in problems["incidence.2"].message


def test_a_fractional_count_is_refused_naming_its_index():
    problems = problems_of([1, 2, 3, 4.5, 5, 6, 7, 8, 9, 10])

    assert problems["incidence.3"].code == "not_an_integer"
    assert "4.5" in problems["incidence.3"].message


def test_a_missing_count_is_refused():
    assert problems_of([1, 2, float("nan"), 4, 5, 6, 7, 8, 9, 10])["incidence.2"].code == "not_a_number"


def test_bad_imported_counts_are_refused_naming_their_index():
    problems = problems_of(imported=[0, 0, 0, 0, -1, 0, 0, 0, 0, 0.5], **GOOD)

    assert problems["imported.4"].code == "negative"
    assert problems["imported.9"].code == "not_an_integer"


def test_many_bad_counts_are_listed_up_to_a_limit_then_counted():
    with pytest.raises(rt.InvalidRtInput) as caught:
        rt.estimate_r([-1] * 30, **GOOD)

    problems = caught.value.problems
    assert len([p for p in problems if p.code == "negative"]) == rt.MAX_PROBLEMS_PER_FIELD
    assert any(p.code == "more_invalid" and "20" in p.message for p in problems)


def test_imported_counts_of_another_length_are_refused():
    problem = problems_of(imported=[0, 1, 0], **GOOD)["imported"]

    assert problem.code == "length_mismatch"
    assert "10" in problem.message and "3" in problem.message


def test_a_serial_interval_that_does_not_sum_to_1_is_refused():
    problem = problems_of(si_distribution=[0, 0.5, 0.3])["serial_interval.distribution"]

    assert problem.code == "does_not_sum_to_one"
    assert "0.8" in problem.message


def test_a_serial_interval_within_epiestims_tolerance_of_1_is_accepted():
    rt.estimate_r([1, 2, 3, 4, 5, 6, 7, 8, 9, 10], si_distribution=[0, 0.5, 0.495])


def test_a_serial_interval_above_zero_on_day_0_is_refused():
    problem = problems_of(si_distribution=[0.1, 0.5, 0.4])["serial_interval.distribution.0"]

    assert problem.code == "day_zero_not_zero"
    assert "0.1" in problem.message


def test_a_negative_serial_interval_probability_is_refused():
    assert problems_of(si_distribution=[0, 1.2, -0.2])["serial_interval.distribution.2"].code == "not_a_probability"


def test_an_empty_serial_interval_is_refused():
    assert problems_of(si_distribution=[])["serial_interval.distribution"].code == "empty"


@pytest.mark.parametrize("window", [10, 11, 100])
def test_a_window_as_long_as_the_series_or_longer_is_refused(window):
    problem = problems_of(window=window, **GOOD)["window"]

    assert problem.code == "too_long"
    assert "at most 9 days" in problem.message


@pytest.mark.parametrize("window", [0, -3])
def test_a_window_under_one_day_is_refused(window):
    assert problems_of(window=window, **GOOD)["window"].code == "too_small"


@pytest.mark.parametrize(("mean", "sd", "field"), [(0, 5, "prior.mean"), (-1, 5, "prior.mean"), (5, 0, "prior.sd")])
def test_a_prior_mean_or_sd_that_is_not_positive_is_refused(mean, sd, field):
    assert problems_of(prior_mean=mean, prior_sd=sd, **GOOD)[field].code == "not_positive"


@pytest.mark.parametrize("mean", [1, 0.5, -2, float("inf")])
def test_a_parametric_serial_interval_needs_a_mean_above_1_day(mean):
    problem = problems_of(si_mean=mean, si_sd=1.5)["serial_interval.mean"]

    assert "greater than 1" in problem.message


@pytest.mark.parametrize("sd", [0, -1])
def test_a_parametric_serial_interval_needs_a_positive_sd(sd):
    assert "above 0" in problems_of(si_mean=2.6, si_sd=sd)["serial_interval.sd"].message


def test_the_serial_interval_is_given_one_way_only():
    assert problems_of(si_distribution=[0, 1], si_mean=2.6, si_sd=1)["serial_interval"].code == "ambiguous"
    with pytest.raises(rt.InvalidRtInput) as caught:
        rt.estimate_r([1, 2, 3, 4], window=3)
    assert caught.value.problems[0].field == "serial_interval"
    assert caught.value.problems[0].code == "missing"


def test_every_problem_is_reported_at_once():
    problems = problems_of([1, -2, 3], imported=[0], si_distribution=[0.5, 0.5], window=0, prior_mean=0)

    assert {"incidence.1", "serial_interval.distribution.0", "window", "prior.mean"} <= set(problems)


def test_discretising_needs_a_mean_above_1():
    with pytest.raises(rt.InvalidRtInput):
        rt.discretise_serial_interval(1.0, 1.0, 10)


def test_a_batch_names_the_district_and_day_of_a_bad_count():
    with pytest.raises(rt.InvalidRtInput) as caught:
        rt.estimate_r_batch([[1, 2, 3, 4], [1, 2, -1, 4]], si_distribution=[0, 1], window=2)

    assert [p.field for p in caught.value.problems] == ["incidence.1.2"]


def test_a_serial_interval_sd_too_small_to_compute_with_is_refused_not_crashed():
    problem = problems_of(si_mean=2.6, si_sd=1e-300)["serial_interval.sd"]

    assert problem.code == "not_computable"


def test_a_prior_too_extreme_to_compute_with_is_refused_not_crashed():
    assert problems_of(prior_mean=1e-300, prior_sd=1000, **GOOD)["prior"].code == "not_computable"
    assert problems_of(prior_mean=1000, prior_sd=1e-300, **GOOD)["prior"].code == "not_computable"


def test_a_tiny_serial_interval_sd_is_a_point_mass_shared_between_two_days():
    # sd -> 0: the delay is exactly mean = 2.6 days, from a primary uniform in day 0: day 2 gets
    # 0.4 of the mass and day 3 gets 0.6 (the triangle around 1.6).
    np.testing.assert_allclose(rt.discretise_serial_interval(2.6, 1e-6, 6), [0, 0, 0.4, 0.6, 0, 0], atol=1e-9)


def test_a_batch_needs_imported_counts_for_every_series():
    with pytest.raises(rt.InvalidRtInput) as caught:
        rt.estimate_r_batch([[1, 2, 3, 4], [1, 2, 3, 4]], imported=[[0, 0, 0, 0]], si_distribution=[0, 1], window=2)

    assert caught.value.problems[0].field == "imported"
    assert "2 series" in caught.value.problems[0].message
