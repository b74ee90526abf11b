"""Property tests through the whole $filter pipeline: any filter text sent to the API is
answered 200 or with a SensorThings 400, never a server error."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from django.test import Client
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from cityos.sensing.models import Thing
from cityos.sensing.sta.compile import compile_filter
from cityos.sensing.sta.errors import StaError
from cityos.sensing.sta.filter import BinOp, Call, Literal, Node, Not, Path, unparse
from cityos.sensing.sta.schema import ENTITY_TYPES
from cityos.sensing.tests.conftest import get

OBSERVATION = ENTITY_TYPES["Observation"]
PATHS = [
    ("result",),
    ("phenomenonTime",),
    ("resultTime",),
    ("id",),
    ("parameters", "depth"),
    ("Datastream", "name"),
    ("Datastream", "Thing", "properties", "kind"),
    ("FeatureOfInterest", "feature"),
    ("nothing",),
]
leaves = st.one_of(
    st.sampled_from(PATHS).map(Path),
    st.integers(-5, 50).map(lambda v: Literal(v, "number")),
    st.sampled_from(["a", "Station 1", ""]).map(lambda v: Literal(v, "string")),
    st.booleans().map(lambda v: Literal(v, "bool")),
    st.just(Literal(None, "null")),
    st.just(Literal("POLYGON((121 24, 122 24, 122 26, 121 24))", "geography")),
)
FUNCTIONS = ["length", "tolower", "year", "hour", "round", "floor", "now", "substringof", "st_within", "concat"]


def _extend(children: st.SearchStrategy[Node]) -> st.SearchStrategy[Node]:
    operators = ["eq", "ne", "gt", "le", "and", "or", "add", "sub", "mul", "div", "mod"]
    return st.one_of(
        st.builds(BinOp, st.sampled_from(operators), children, children),
        st.builds(Not, children),
        st.builds(
            lambda name, args: Call(
                name, tuple(args[: 0 if name == "now" else 2 if name in ("substringof", "st_within", "concat") else 1])
            ),
            st.sampled_from(FUNCTIONS),
            st.lists(children, min_size=2, max_size=2),
        ),
    )


trees = st.recursive(leaves, _extend, max_leaves=8)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(trees)
@pytest.mark.django_db
def test_any_tree_compiles_or_is_refused_with_a_reason(tree: Node) -> None:
    try:
        compile_filter(OBSERVATION, tree)
    except StaError as error:
        assert error.code == 400 and error.message


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(text=st.from_regex(r"[a-zA-Z/() ',0-9.:TZ-]{0,40}", fullmatch=True) | trees.map(unparse))
@pytest.mark.django_db
def test_any_filter_through_the_api_is_200_or_400(
    client: Client, make_station: Callable[..., Thing], text: str
) -> None:
    if not Thing.objects.exists():
        make_station(count=2)
    response = get(client, "/Observations", **{"$filter": text})
    assert response.status_code in (200, 400), (text, response.content)
    if response.status_code == 400:
        assert response.json()["type"] == "error"


def test_a_filter_too_deep_for_the_database_is_refused_not_a_server_error(
    client: Client, make_station: Callable[..., Thing]
) -> None:
    make_station()
    deep = get(client, "/Datastreams", **{"$filter": "properties/" + "a/" * 250 + "b eq 1"})
    assert deep.status_code == 400 and "more than 16 members" in deep.json()["message"]
    assert get(client, "/Datastreams", **{"$filter": "properties/" + "a/" * 15 + "b eq 1"}).status_code == 200
