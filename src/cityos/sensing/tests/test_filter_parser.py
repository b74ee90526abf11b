"""The $filter language: it parses what the standard allows, and any other text is a 400
that says where, never an exception."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from cityos.sensing.sta.errors import StaError
from cityos.sensing.sta.filter import (
    COMPARISONS,
    MAX_DEPTH,
    MAX_TERMS,
    BinOp,
    Call,
    FilterSyntaxError,
    Literal,
    Negate,
    Node,
    Not,
    Path,
    parse,
    unparse,
)


def test_precedence_follows_odata() -> None:
    tree = parse("a add 2 mul 3 gt 4 and not b eq 'x' or c lt 1")
    assert tree == BinOp(
        "or",
        BinOp(
            "and",
            BinOp(
                "gt",
                BinOp("add", Path(("a",)), BinOp("mul", Literal(2, "number"), Literal(3, "number"))),
                Literal(4, "number"),
            ),
            Not(BinOp("eq", Path(("b",)), Literal("x", "string"))),
        ),
        BinOp("lt", Path(("c",)), Literal(1, "number")),
    )


def test_literals_functions_and_paths() -> None:
    assert parse("Datastream/Thing/properties/kind eq 'it''s'") == BinOp(
        "eq", Path(("Datastream", "Thing", "properties", "kind")), Literal("it's", "string")
    )
    assert parse("phenomenonTime ge 2026-01-01T08:00:00+08:00").right == Literal(  # type: ignore[union-attr]
        datetime(2026, 1, 1, 0, 0, tzinfo=UTC), "datetime"
    )
    assert parse("st_within(location, geography'POINT(1 2)')") == Call(
        "st_within", (Path(("location",)), Literal("POINT(1 2)", "geography"))
    )
    assert parse("result eq -2.5e3").right == Literal(-2500.0, "number")  # type: ignore[union-attr]
    assert parse("ToLower(name) eq null") == BinOp("eq", Call("tolower", (Path(("name",)),)), Literal(None, "null"))


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "the expression is empty"),
        ("name eq", "expected a value, a property or a function but found the end at position 8"),
        ("name eq 'open", "a text in quotes is not closed at position 9"),
        ("name eq 'a' 'b'", "unexpected \"'b'\" at position 13"),
        ("(result gt 1", "expected ')' but found the end at position 13"),
        ("result gt 1 gt 2", "comparisons cannot be chained"),
        ("frobnicate(name)", "unknown function 'frobnicate' at position 1"),
        ("length(name, 2) eq 1", "length() takes 1 argument, not 2"),
        ("phenomenonTime gt 2026-01-01T00:00:00", "has no time zone"),
        ("name eq #", "unexpected character '#' at position 9"),
        ("phenomenonTime gt 2026-13-45T00:00:00Z", "is not a valid date or time"),
    ],
)
def test_bad_filters_say_what_and_where(text: str, message: str) -> None:
    with pytest.raises(FilterSyntaxError) as caught:
        parse(text)
    assert message in caught.value.message
    assert caught.value.code == 400


def test_deep_nesting_is_refused_not_a_crash() -> None:
    with pytest.raises(FilterSyntaxError, match="nested too deeply"):
        parse("(" * 500 + "a" + ")" * 500)
    with pytest.raises(FilterSyntaxError, match="nested too deeply"):
        parse("not " * 500 + "a")


def chain(op: str, count: int, term: str = "result gt {i}") -> str:
    return f" {op} ".join(term.format(i=i) for i in range(count))


def spine(tree: Node, op: str) -> int:
    """How many ``op`` nodes lean left from the root, counted without recursion."""
    length = 0
    while isinstance(tree, BinOp) and tree.op == op:
        length, tree = length + 1, tree.left
    return length


@pytest.mark.parametrize("op", ["and", "or"])
def test_a_long_flat_chain_parses_without_deep_recursion(op: str) -> None:
    text = chain(op, MAX_TERMS)
    tree = parse(text)
    assert spine(tree, op) == MAX_TERMS - 1  # left-associative, as OData reads it
    assert tree.right == BinOp("gt", Path(("result",)), Literal(MAX_TERMS - 1, "number"))  # type: ignore[union-attr]
    assert unparse(parse(unparse(tree))) == unparse(tree)  # written back in a loop too
    mixed = parse(chain("or", MAX_TERMS // 2, "(result gt {i} and id eq {i})"))
    assert spine(mixed, "or") == MAX_TERMS // 2 - 1


@pytest.mark.parametrize(
    "text",
    [
        chain("and", 2000),
        chain("or", 2000),
        chain("or", MAX_TERMS + 1, "id eq {i}"),
        chain("or", 300, "result gt {i} and id eq {i}"),  # 600 conditions: and and or both count
        "(" + chain("and", 400) + ") or (" + chain("and", 400) + ")",
    ],
)
def test_more_conditions_than_the_limit_are_refused_naming_it(text: str) -> None:
    with pytest.raises(FilterSyntaxError) as caught:
        parse(text)
    assert f"joins more than {MAX_TERMS} conditions with 'and'/'or' (the limit)" in caught.value.message
    assert caught.value.code == 400 and 0 < caught.value.position < len(text)


@pytest.mark.parametrize(
    ("inside", "beyond"),
    [
        # Arithmetic chains lean left as deep as they are long: each operator is a level.
        ("result" + " add 1" * (MAX_DEPTH - 1) + " gt 0", "result" + " add 1" * MAX_DEPTH + " gt 0"),
        ("result" + " mul 2" * (MAX_DEPTH - 1) + " gt 0", "result" + " mul 2 sub 1" * 1000 + " gt 0"),
        ("(" * (MAX_DEPTH - 1) + "a" + ")" * (MAX_DEPTH - 1), "(" * MAX_DEPTH + "a" + ")" * MAX_DEPTH),
        ("not " * (MAX_DEPTH - 1) + "a", "not " * MAX_DEPTH + "a"),
        (
            "tolower(" * (MAX_DEPTH - 1) + "name" + ")" * (MAX_DEPTH - 1),
            "tolower(" * MAX_DEPTH + "name" + ")" * MAX_DEPTH,
        ),
        ("result gt " + "-" * (MAX_DEPTH - 1) + "result", "result gt " + "-" * MAX_DEPTH + "result"),
    ],
)
def test_nesting_is_capped_at_max_depth_levels(inside: str, beyond: str) -> None:
    parse(inside)
    with pytest.raises(FilterSyntaxError, match=f"nested too deeply \\(at most {MAX_DEPTH} levels\\)"):
        parse(beyond)


ALPHABET = st.sampled_from(
    [
        *list("abcdefghijklmnopqrstuvwxyz_/()',.:-+ 0123456789TZ$@#"),
        "eq",
        "ne",
        "gt",
        "and",
        "or",
        "not",
        "add",
        "mul",
        "geography'",
        "substringof",
        "null",
        "true",
    ]
)


@settings(max_examples=400, deadline=None)
@given(st.lists(ALPHABET, max_size=40).map(" ".join) | st.text(max_size=60))
def test_any_text_parses_or_raises_a_filter_error(text: str) -> None:
    try:
        tree = parse(text)
    except FilterSyntaxError as error:
        assert error.message.startswith("$filter: ")
        assert 0 <= error.position <= len(text)
        return
    assert parse(unparse(tree)) == tree


names = st.from_regex(r"[a-z][a-zA-Z0-9_]{0,8}", fullmatch=True).filter(
    lambda n: (
        n.lower()
        not in {
            "and",
            "or",
            "not",
            "eq",
            "ne",
            "gt",
            "ge",
            "lt",
            "le",
            "add",
            "sub",
            "mul",
            "div",
            "mod",
            "true",
            "false",
            "null",
        }
    )
)
literals = st.one_of(
    st.integers(min_value=0, max_value=10**12).map(lambda v: Literal(v, "number")),
    st.floats(min_value=0, max_value=1e12, allow_nan=False).map(lambda v: Literal(v, "number")),
    st.text(max_size=10).map(lambda v: Literal(v, "string")),
    st.booleans().map(lambda v: Literal(v, "bool")),
    st.just(Literal(None, "null")),
    st.datetimes(min_value=datetime(1900, 1, 1), max_value=datetime(2100, 1, 1), timezones=st.just(UTC)).map(
        lambda v: Literal(v.replace(microsecond=0), "datetime")
    ),
)
paths = st.lists(names, min_size=1, max_size=3).map(lambda parts: Path(tuple(parts)))


def _extend(children: st.SearchStrategy[Node]) -> st.SearchStrategy[Node]:
    return st.one_of(
        st.builds(
            BinOp, st.sampled_from([*COMPARISONS, "and", "or", "add", "sub", "mul", "div", "mod"]), children, children
        ),
        st.builds(Not, children),
        st.builds(Negate, children.filter(lambda n: not isinstance(n, Literal))),
        st.builds(lambda a: Call("tolower", (a,)), children),
        st.builds(lambda a, b: Call("substringof", (a, b)), children, children),
        st.builds(lambda: Call("now", ())),
    )


trees = st.recursive(st.one_of(literals, paths), _extend, max_leaves=12)


@settings(max_examples=300, deadline=None)
@given(trees)
def test_every_tree_survives_a_round_trip(tree: Node) -> None:
    assert parse(unparse(tree)) == tree


def test_errors_are_sta_errors() -> None:
    assert issubclass(FilterSyntaxError, StaError)
