"""POST /api/v1/epi/rt: any case series in, EpiEstim's estimates out; bad input is a 422 problem."""

from __future__ import annotations

import json

import pytest

from cityos.epi.tests import epiestim_examples as ex
from cityos.epi.tests.test_rt import assert_prints_as

pytestmark = pytest.mark.django_db
URL = "/api/v1/epi/rt"
QUANTILE_FIELDS = [f"quantile_{q}" for q in ("0.025", "0.05", "0.25", "0.5", "0.75", "0.95", "0.975")]


def post(client, body, **headers):
    return client.post(URL, json.dumps(body), content_type="application/json", **headers)


def problem_fields(response) -> dict[str, dict]:
    assert response.status_code == 422
    assert response["Content-Type"].startswith("application/problem+json")
    body = response.json()
    assert body["type"] == "urn:cityos:problem:validation-error"
    assert body["status"] == 422
    return {error["field"]: error for error in body["errors"]}


def test_flu2009_through_the_api_gives_epiestims_example_3(client):
    response = post(client, {"incidence": ex.FLU2009_INCIDENCE, "serial_interval": {"mean": 2.6, "sd": 1.5}})

    assert response.status_code == 200
    windows = response.json()
    printed = ex.parse_r_table(ex.EXAMPLE_3_R)
    assert [w["start"] for w in windows] == [int(v) for v in printed["t_start"]]
    assert [w["end"] for w in windows] == [int(v) for v in printed["t_end"]]
    for field, column in zip(["mean", "sd", *QUANTILE_FIELDS], ex.COLUMNS, strict=True):
        for window, shown in zip(windows, printed[column], strict=True):
            assert_prints_as(window[field], shown)


def test_a_given_distribution_and_imported_cases_are_used(client):
    response = post(
        client,
        {
            "incidence": ex.EXAMPLE_2_LOCAL,
            "imported": ex.EXAMPLE_2_IMPORTED,
            "serial_interval": {"mean": 2.6, "sd": 1.5},
            "window": 7,
            "prior": {"mean": 5, "sd": 5},
        },
    )
    assert response.status_code == 200
    assert_prints_as(response.json()[-1]["mean"], "9.8571825")

    response = post(
        client, {"incidence": ex.FLU2009_INCIDENCE, "serial_interval": {"distribution": ex.FLU2009_SI_DISTR}}
    )
    assert response.status_code == 200
    assert_prints_as(response.json()[0]["quantile_0.975"], "2.6244959")


def test_each_window_has_start_end_mean_sd_and_the_seven_quantiles(client):
    response = post(
        client, {"incidence": [5, 8, 9, 12, 15, 13, 20], "serial_interval": {"mean": 2.6, "sd": 1.5}, "window": 3}
    )

    assert response.status_code == 200
    windows = response.json()
    assert [(w["start"], w["end"]) for w in windows] == [(2, 4), (3, 5), (4, 6), (5, 7)]
    assert set(windows[0]) == {"start", "end", "mean", "sd", *QUANTILE_FIELDS}
    quantiles = [windows[0][name] for name in QUANTILE_FIELDS]
    assert quantiles == sorted(quantiles)


def test_the_operation_is_documented_with_typed_schemas(client):
    schema = client.get("/api/v1/openapi.json").json()
    operation = schema["paths"]["/api/v1/epi/rt"]["post"]
    components = schema["components"]["schemas"]

    assert operation["requestBody"]["content"]["application/json"]["schema"]["$ref"].endswith("/RtRequest")
    item = operation["responses"]["200"]["content"]["application/json"]["schema"]["items"]["$ref"]
    assert item.endswith("/RtWindowOut")
    window = components["RtWindowOut"]["properties"]
    assert set(QUANTILE_FIELDS) <= set(window)
    assert window["quantile_0.5"]["description"] == "Median of the posterior."
    request = components["RtRequest"]["properties"]
    assert request["incidence"]["items"] == {"maximum": 1_000_000_000, "minimum": 0, "type": "integer"}
    assert "application/problem+json" in operation["responses"]["422"]["content"]


def test_anyone_may_call_it_without_signing_in(client):
    response = post(client, {"incidence": [1, 2, 3, 4], "serial_interval": {"distribution": [0, 1]}, "window": 2})

    assert response.status_code == 200


# --- Bad input: 422 problem+json naming each field ----------------------------------------------

SI = {"mean": 2.6, "sd": 1.5}


def test_a_negative_count_is_named_by_its_index(client):
    errors = problem_fields(post(client, {"incidence": [1, 2, -3, 4], "serial_interval": SI, "window": 2}))

    assert set(errors) == {"body.incidence.2"}
    assert errors["body.incidence.2"]["code"] == "greater_than_equal"


def test_a_fractional_count_is_named_by_its_index(client):
    errors = problem_fields(post(client, {"incidence": [1, 2.5, 3, 4], "serial_interval": SI, "window": 2}))

    assert errors["body.incidence.1"]["message"] == "Enter a whole number."


def test_imported_counts_of_another_length_are_refused(client):
    errors = problem_fields(
        post(client, {"incidence": [1, 2, 3, 4], "imported": [0, 1], "serial_interval": SI, "window": 2})
    )

    assert errors["body.imported"]["code"] == "length_mismatch"
    assert "(4)" in errors["body.imported"]["message"] and "has 2" in errors["body.imported"]["message"]


def test_a_negative_imported_count_is_named_by_its_index(client):
    errors = problem_fields(post(client, {"incidence": [1, 2, 3, 4], "imported": [0, 0, -1, 0], "serial_interval": SI}))

    assert "body.imported.2" in errors


def test_a_serial_interval_that_does_not_sum_to_1_is_refused(client):
    errors = problem_fields(
        post(client, {"incidence": [1, 2, 3, 4], "serial_interval": {"distribution": [0, 0.4, 0.4]}, "window": 2})
    )

    assert errors["body.serial_interval.distribution"]["code"] == "does_not_sum_to_one"
    assert "0.8" in errors["body.serial_interval.distribution"]["message"]


def test_a_serial_interval_above_zero_on_day_0_is_refused(client):
    errors = problem_fields(
        post(client, {"incidence": [1, 2, 3, 4], "serial_interval": {"distribution": [0.2, 0.8]}, "window": 2})
    )

    assert errors["body.serial_interval.distribution.0"]["code"] == "day_zero_not_zero"


def test_a_window_longer_than_the_series_is_refused(client):
    errors = problem_fields(post(client, {"incidence": [1, 2, 3, 4], "serial_interval": SI, "window": 4}))

    assert errors["body.window"]["code"] == "too_long"
    assert "at most 3 days" in errors["body.window"]["message"]


def test_a_window_under_one_day_is_refused(client):
    errors = problem_fields(post(client, {"incidence": [1, 2, 3, 4], "serial_interval": SI, "window": 0}))

    assert "body.window" in errors


@pytest.mark.parametrize("prior", [{"mean": 0, "sd": 5}, {"mean": 5, "sd": -1}])
def test_a_prior_that_is_not_positive_is_refused(client, prior):
    errors = problem_fields(
        post(client, {"incidence": [1, 2, 3, 4], "serial_interval": SI, "window": 2, "prior": prior})
    )

    field = "body.prior.mean" if prior["mean"] <= 0 else "body.prior.sd"
    assert errors[field]["code"] == "greater_than"


def test_a_parametric_serial_interval_needs_a_mean_above_1_and_a_positive_sd(client):
    errors = problem_fields(post(client, {"incidence": [1, 2, 3, 4], "serial_interval": {"mean": 1, "sd": 0}}))

    assert errors["body.serial_interval.mean"]["code"] == "greater_than"
    assert errors["body.serial_interval.sd"]["code"] == "greater_than"


def test_the_serial_interval_must_be_given_one_way(client):
    neither = problem_fields(post(client, {"incidence": [1, 2, 3, 4], "serial_interval": {}, "window": 2}))
    both = problem_fields(
        post(client, {"incidence": [1, 2, 3, 4], "serial_interval": {"distribution": [0, 1], **SI}, "window": 2})
    )

    assert neither["body.serial_interval"]["code"] == "missing"
    assert both["body.serial_interval"]["code"] == "ambiguous"


def test_a_missing_series_is_refused(client):
    errors = problem_fields(post(client, {"serial_interval": SI}))

    assert errors["body.incidence"]["code"] == "missing"


def test_the_message_comes_in_the_callers_language(client):
    response = post(
        client,
        {"incidence": [1, 2, 3, 4], "serial_interval": {"distribution": [0, 0.4]}, "window": 2},
        HTTP_ACCEPT_LANGUAGE="es",
    )

    message = problem_fields(response)["body.serial_interval.distribution"]["message"]
    assert "0.4" in message and "suma" in message.lower()
