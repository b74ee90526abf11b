"""``and``, ``or`` and ``not`` in $filter mean what OData says, however they are written: text
relying on precedence (not before and before or), long chains compiled in one flat condition,
and parentheses, all select the rows that the same logic worked out by hand selects."""

from __future__ import annotations

from dataclasses import dataclass

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from cityos.sensing.models import Thing
from cityos.sensing.sta.compile import compile_filter
from cityos.sensing.sta.filter import MAX_TERMS, parse
from cityos.sensing.sta.schema import ENTITY_TYPES

THING = ENTITY_TYPES["Thing"]
NAMES = ("a", "b", "c", "d")
# Each operator's binding strength: "not" binds tighter than "and", "and" tighter than "or".
STRENGTH = {"or": 1, "and": 2, "not": 3, "atom": 4}


@dataclass(frozen=True)
class Atom:
    name: str  # the Thing's name it compares with
    equal: bool  # eq or ne


@dataclass(frozen=True)
class Op:
    op: str  # and, or
    left: Logic
    right: Logic


@dataclass(frozen=True)
class Negation:
    operand: Logic


Logic = Atom | Op | Negation


def holds(node: Logic, name: str) -> bool:
    """The condition worked out in Python for a Thing called ``name``."""
    if isinstance(node, Atom):
        return (name == node.name) == node.equal
    if isinstance(node, Negation):
        return not holds(node.operand, name)
    if node.op == "and":
        return holds(node.left, name) and holds(node.right, name)
    return holds(node.left, name) or holds(node.right, name)


def strength(node: Logic) -> int:
    if isinstance(node, Atom):
        return STRENGTH["atom"]
    return STRENGTH["not"] if isinstance(node, Negation) else STRENGTH[node.op]


def text(node: Logic, extra: frozenset[int]) -> str:
    """The filter with only the parentheses precedence needs (plus those at ``extra`` depths)."""
    return _text(node, 0, extra)


def _text(node: Logic, depth: int, extra: frozenset[int]) -> str:
    if isinstance(node, Atom):
        written = f"name {'eq' if node.equal else 'ne'} '{node.name}'"
    elif isinstance(node, Negation):
        written = "not " + _wrapped(node.operand, STRENGTH["not"], depth, extra)
    else:
        # Left-associative: a chain's left operand needs no parentheses, its right one does.
        left = _wrapped(node.left, STRENGTH[node.op], depth, extra)
        right = _wrapped(node.right, STRENGTH[node.op] + 1, depth, extra)
        written = f"{left} {node.op} {right}"
    return f"({written})" if depth in extra else written


def _wrapped(node: Logic, needed: int, depth: int, extra: frozenset[int]) -> str:
    inner = _text(node, depth + 1, extra)
    return f"({inner})" if strength(node) < needed else inner


atoms = st.builds(Atom, st.sampled_from(NAMES), st.booleans())
logic = st.recursive(
    atoms,
    lambda children: st.one_of(
        st.builds(Op, st.sampled_from(["and", "or"]), children, children),
        st.builds(Negation, children),
    ),
    max_leaves=12,
)


def selected(filter_text: str) -> set[str]:
    condition, _crosses_many = compile_filter(THING, parse(filter_text))
    return set(Thing.objects.filter(condition).values_list("name", flat=True))


@pytest.fixture
def things() -> None:
    Thing.objects.bulk_create([Thing(name=name) for name in NAMES])


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(tree=logic, extra=st.frozensets(st.integers(0, 6), max_size=3))
@pytest.mark.django_db
def test_the_rows_selected_are_those_the_logic_selects(things: None, tree: Logic, extra: frozenset[int]) -> None:
    written = text(tree, extra)
    assert selected(written) == {name for name in NAMES if holds(tree, name)}, written


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("filter_text", "expected"),
    [
        ("not name eq 'a' and name ne 'b'", {"c", "d"}),  # (not a) and (not b)
        ("not (name eq 'a' and name ne 'b')", {"b", "c", "d"}),
        ("name eq 'a' or name eq 'b' and name eq 'c'", {"a"}),  # and first
        ("(name eq 'a' or name eq 'b') and name ne 'a'", {"b"}),
        ("not not name eq 'a' or not name ne 'd'", {"a", "d"}),
        ("name ne 'a' and name ne 'b' and name ne 'c' or name eq 'a'", {"a", "d"}),
        ("name eq 'a' or (name eq 'b' or (name eq 'c' or name eq 'x'))", {"a", "b", "c"}),
        ("not (name eq 'a' or name eq 'b' or name eq 'c')", {"d"}),
        ("true and not false or name eq 'x'", set(NAMES)),
        ("false or not true", set()),
    ],
)
def test_precedence_and_not_on_rows(things: None, filter_text: str, expected: set[str]) -> None:
    assert selected(filter_text) == expected


@pytest.mark.django_db
def test_a_chain_as_long_as_the_limit_selects_its_rows(things: None) -> None:
    # The longest "or" a client may send (ids of a picked list, say), and a negated "and" of as many.
    wanted = " or ".join(f"name eq '{NAMES[i % 2]}'" for i in range(MAX_TERMS))
    assert selected(wanted) == {"a", "b"}
    unwanted = "not (" + " and ".join(f"name ne '{NAMES[i % 3]}'" for i in range(MAX_TERMS)) + ")"
    assert selected(unwanted) == {"a", "b", "c"}
