"""The OData-style expression language of ``$filter`` and ``$orderby`` (OGC 18-088, 9.3.3.5).

A hand-written lexer and precedence-climbing parser produce a small tree; ``unparse`` writes
it back (used by the property tests). Any text either parses or raises
:class:`FilterSyntaxError` saying where it went wrong; nothing else escapes.

Two limits keep every later step (the compiler, Django, the database) clear of Python's
recursion limit: nesting (parentheses, functions, ``not``, minus, arithmetic) is at most
:data:`MAX_DEPTH` levels, and at most :data:`MAX_TERMS` conditions are joined by ``and``/``or``.
A chain ``a and b and c ...`` is parsed and compiled in a loop, so only its length counts.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, time
from typing import Union

from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from cityos.sensing.sta.errors import StaError


class FilterSyntaxError(StaError):
    """``problem`` is already translated; the position counts from 1, as people count."""

    def __init__(self, problem: str, position: int) -> None:
        super().__init__(
            _("$filter: %(problem)s at position %(position)s") % {"problem": problem, "position": position + 1}
        )
        self.position = position


@dataclass(frozen=True)
class Literal:
    value: object  # str, int, float, bool, None, datetime, time, or a WKT string for geography
    kind: str  # "string" | "number" | "bool" | "null" | "datetime" | "time" | "geography"


@dataclass(frozen=True)
class Path:
    parts: tuple[str, ...]


@dataclass(frozen=True)
class Call:
    name: str
    args: tuple[Node, ...]


@dataclass(frozen=True)
class BinOp:
    op: str
    left: Node
    right: Node


@dataclass(frozen=True)
class Not:
    operand: Node


@dataclass(frozen=True)
class Negate:
    operand: Node


Node = Union[Literal, Path, Call, BinOp, Not, Negate]  # noqa: UP007 - a runtime alias used by dataclasses

COMPARISONS = ("eq", "ne", "gt", "ge", "lt", "le")
ADDITIVE = ("add", "sub")
MULTIPLICATIVE = ("mul", "div", "mod")
KEYWORDS = {"and", "or", "not", *COMPARISONS, *ADDITIVE, *MULTIPLICATIVE}
CHAINS = ("and", "or", *ADDITIVE, *MULTIPLICATIVE)  # left-associative: "a add b add c" is (a add b) add c

# Each level of nesting costs the parser up to nine Python frames, the compiler and Django
# a few more each: 50 levels stay well inside the default limit of 1000.
MAX_DEPTH = 50
# Long and/or chains are flat in the compiled query, but SQLite refuses expressions more than
# 1000 deep (it nests "a AND b AND c" as it reads it), and 500 is beyond any URL gunicorn accepts.
MAX_TERMS = 500

FUNCTIONS: dict[str, tuple[int, int]] = {  # name: (fewest, most) arguments
    "substringof": (2, 2),
    "endswith": (2, 2),
    "startswith": (2, 2),
    "length": (1, 1),
    "indexof": (2, 2),
    "substring": (2, 3),
    "tolower": (1, 1),
    "toupper": (1, 1),
    "trim": (1, 1),
    "concat": (2, 2),
    "year": (1, 1),
    "month": (1, 1),
    "day": (1, 1),
    "hour": (1, 1),
    "minute": (1, 1),
    "second": (1, 1),
    "fractionalseconds": (1, 1),
    "date": (1, 1),
    "time": (1, 1),
    "totaloffsetminutes": (1, 1),
    "now": (0, 0),
    "mindatetime": (0, 1),
    "maxdatetime": (0, 1),
    "round": (1, 1),
    "floor": (1, 1),
    "ceiling": (1, 1),
    "geo.intersects": (2, 2),
    "geo.distance": (2, 2),
    "geo.length": (1, 1),
    "st_equals": (2, 2),
    "st_disjoint": (2, 2),
    "st_touches": (2, 2),
    "st_within": (2, 2),
    "st_overlaps": (2, 2),
    "st_crosses": (2, 2),
    "st_intersects": (2, 2),
    "st_contains": (2, 2),
    "st_relate": (3, 3),
}

_DATETIME = re.compile(
    r"\d{4}-\d{2}-\d{2}(?:T\d{2}:\d{2}(?::\d{2}(?:\.\d{1,9})?)?(?P<zone>Z|[+-]\d{2}:?\d{2})?)?(?![\w:.-])"
)
# OData's timeOfDay (hh:mm[:ss[.fffffff]]), compared with time(...); tried before numbers.
_TIME_OF_DAY = re.compile(r"\d{2}:\d{2}(?::\d{2}(?:\.\d{1,9})?)?(?![\w:.-])")
_NUMBER = re.compile(r"\d+(?:\.\d+)?(?:[eE][+-]?\d+)?(?![\w.])")
_NAME = re.compile(r"[A-Za-z_@][A-Za-z0-9_.@]*(?:/[A-Za-z_@$][A-Za-z0-9_.@]*)*")
_GEOGRAPHY = re.compile(r"geography'((?:[^']|'')*)'", re.IGNORECASE)


@dataclass(frozen=True)
class Token:
    kind: str  # "literal" | "name" | "op" | "(" | ")" | "," | "-" | "end"
    text: str
    position: int
    value: Literal | None = None


def parse_datetime_literal(text: str, position: int) -> datetime:
    """An ISO 8601 instant; one without a time zone is refused rather than guessed."""
    if "T" in text and not re.search(r"(Z|[+-]\d{2}:?\d{2})$", text):
        raise FilterSyntaxError(
            _("the time %(text)s has no time zone (add Z or an offset such as +08:00)") % {"text": repr(text)}, position
        )
    candidate = text if "T" in text else text + "T00:00:00Z"
    try:
        return datetime.fromisoformat(candidate.replace("Z", "+00:00"))
    except ValueError:
        raise FilterSyntaxError(_("%(text)s is not a valid date or time") % {"text": repr(text)}, position) from None


def parse_time_literal(text: str, position: int) -> time:
    """A time of day (13:05, 13:05:30.5), as time(phenomenonTime) gives it: in UTC."""
    whole, _point, fraction = text.partition(".")
    try:
        return time.fromisoformat(whole + ("." + fraction[:6].ljust(6, "0") if fraction else ""))
    except ValueError:
        raise FilterSyntaxError(_("%(text)s is not a valid time of day") % {"text": repr(text)}, position) from None


def tokenize(text: str) -> list[Token]:
    tokens: list[Token] = []
    i, n = 0, len(text)
    while i < n:
        ch = text[i]
        if ch.isspace():
            i += 1
            continue
        if ch in "(),":
            tokens.append(Token(ch, ch, i))
            i += 1
            continue
        if ch == "-":
            tokens.append(Token("-", ch, i))
            i += 1
            continue
        if ch == "'":
            j, chars = i + 1, []
            while True:
                if j >= n:
                    raise FilterSyntaxError(_("a text in quotes is not closed"), i)
                if text[j] == "'":
                    if j + 1 < n and text[j + 1] == "'":
                        chars.append("'")
                        j += 2
                        continue
                    break
                chars.append(text[j])
                j += 1
            tokens.append(Token("literal", text[i : j + 1], i, Literal("".join(chars), "string")))
            i = j + 1
            continue
        geography = _GEOGRAPHY.match(text, i)
        if geography:
            wkt = geography.group(1).replace("''", "'")
            tokens.append(Token("literal", geography.group(0), i, Literal(wkt, "geography")))
            i = geography.end()
            continue
        when = _DATETIME.match(text, i)
        if when and ("-" in when.group(0)):
            tokens.append(
                Token("literal", when.group(0), i, Literal(parse_datetime_literal(when.group(0), i), "datetime"))
            )
            i = when.end()
            continue
        clock = _TIME_OF_DAY.match(text, i)
        if clock:
            tokens.append(Token("literal", clock.group(0), i, Literal(parse_time_literal(clock.group(0), i), "time")))
            i = clock.end()
            continue
        number = _NUMBER.match(text, i)
        if number:
            raw = number.group(0)
            value: int | float = float(raw) if any(c in raw for c in ".eE") else int(raw)
            tokens.append(Token("literal", raw, i, Literal(value, "number")))
            i = number.end()
            continue
        name = _NAME.match(text, i)
        if name:
            word = name.group(0)
            lowered = word.lower()
            if lowered in KEYWORDS:
                tokens.append(Token("op", lowered, i))
            elif lowered in ("true", "false"):
                tokens.append(Token("literal", word, i, Literal(lowered == "true", "bool")))
            elif lowered == "null":
                tokens.append(Token("literal", word, i, Literal(None, "null")))
            else:
                tokens.append(Token("name", word, i))
            i = name.end()
            continue
        raise FilterSyntaxError(_("unexpected character %(character)s") % {"character": repr(ch)}, i)
    tokens.append(Token("end", "", n))
    return tokens


class Parser:
    def __init__(self, text: str) -> None:
        self.text = text
        self.tokens = tokenize(text)
        self.index = 0
        self.nesting = 0  # how deep the parser's own recursion is (parentheses, functions, not, minus)
        self.terms = 1  # conditions joined by and/or, in the whole expression
        self.depths: dict[int, int] = {}  # id(node) -> the depth of its tree, and/or chains not counted

    def enter(self) -> None:
        self.nesting += 1
        if self.nesting > MAX_DEPTH:
            self.too_deep()

    def too_deep(self) -> None:
        raise FilterSyntaxError(
            _("the expression is nested too deeply (at most %(levels)s levels)") % {"levels": MAX_DEPTH},
            self.peek().position,
        )

    def made(self, node: Node) -> Node:
        """Notes the new node's depth: one more than its deepest operand, except for and/or, which
        the compiler flattens; refuses a tree deeper than MAX_DEPTH."""
        children: tuple[Node, ...] = ()
        if isinstance(node, BinOp):
            children = (node.left, node.right)
        elif isinstance(node, Not | Negate):
            children = (node.operand,)
        elif isinstance(node, Call):
            children = node.args
        depth = max((self.depths.get(id(child), 0) for child in children), default=0)
        if not (isinstance(node, BinOp) and node.op in ("and", "or")):
            depth += 1
        if depth > MAX_DEPTH:
            self.too_deep()
        self.depths[id(node)] = depth
        return node

    def joined(self) -> None:
        self.terms += 1
        if self.terms > MAX_TERMS:
            raise FilterSyntaxError(
                _("the expression joins more than %(limit)s conditions with 'and'/'or' (the limit)")
                % {"limit": MAX_TERMS},
                self.peek().position,
            )

    def peek(self) -> Token:
        return self.tokens[self.index]

    def take(self) -> Token:
        token = self.tokens[self.index]
        if token.kind != "end":
            self.index += 1
        return token

    def expect(self, kind: str, what: str) -> Token:
        token = self.peek()
        if token.kind != kind:
            if token.kind == "end":
                problem = _("expected %(expected)s but found the end") % {"expected": what}
            else:
                problem = _("expected %(expected)s but found %(found)s") % {"expected": what, "found": repr(token.text)}
            raise FilterSyntaxError(problem, token.position)
        return self.take()

    def is_op(self, *ops: str) -> bool:
        token = self.peek()
        return token.kind == "op" and token.text in ops

    def parse(self) -> Node:
        if self.peek().kind == "end":
            raise FilterSyntaxError(_("the expression is empty"), 0)
        node = self.expression()
        token = self.peek()
        if token.kind != "end":
            raise FilterSyntaxError(_("unexpected %(token)s") % {"token": repr(token.text)}, token.position)
        return node

    def expression(self) -> Node:
        self.enter()
        try:
            return self.disjunction()
        finally:
            self.nesting -= 1

    # The chains below loop rather than recurse: a flat "a or b or c ..." costs no depth.
    def disjunction(self) -> Node:
        node = self.conjunction()
        while self.is_op("or"):
            self.take()
            self.joined()
            node = self.made(BinOp("or", node, self.conjunction()))
        return node

    def conjunction(self) -> Node:
        node = self.negation()
        while self.is_op("and"):
            self.take()
            self.joined()
            node = self.made(BinOp("and", node, self.negation()))
        return node

    def negation(self) -> Node:
        if self.is_op("not"):
            self.take()
            self.enter()
            try:
                return self.made(Not(self.negation()))
            finally:
                self.nesting -= 1
        return self.comparison()

    def comparison(self) -> Node:
        node = self.additive()
        if self.is_op(*COMPARISONS):
            op = self.take().text
            node = self.made(BinOp(op, node, self.additive()))
            if self.is_op(*COMPARISONS):
                raise FilterSyntaxError(_("comparisons cannot be chained; join them with 'and'"), self.peek().position)
        return node

    def additive(self) -> Node:
        node = self.multiplicative()
        while self.is_op(*ADDITIVE):
            op = self.take().text
            node = self.made(BinOp(op, node, self.multiplicative()))
        return node

    def multiplicative(self) -> Node:
        node = self.unary()
        while self.is_op(*MULTIPLICATIVE):
            op = self.take().text
            node = self.made(BinOp(op, node, self.unary()))
        return node

    def unary(self) -> Node:
        if self.peek().kind == "-":
            self.take()
            self.enter()
            try:
                operand = self.unary()
            finally:
                self.nesting -= 1
            if isinstance(operand, Literal) and operand.kind == "number":
                return Literal(-operand.value, "number")  # type: ignore[operator]
            return self.made(Negate(operand))
        return self.primary()

    def primary(self) -> Node:
        token = self.peek()
        if token.kind == "literal":
            self.take()
            assert token.value is not None
            return token.value
        if token.kind == "(":
            self.take()
            node = self.expression()
            self.expect(")", "')'")
            return node
        if token.kind == "name":
            self.take()
            if self.peek().kind == "(":
                return self.call(token)
            return Path(tuple(token.text.split("/")))
        raise FilterSyntaxError(
            _("expected a value, a property or a function but found the end")
            if token.kind == "end"
            else _("expected a value, a property or a function but found %(found)s") % {"found": repr(token.text)},
            token.position,
        )

    def call(self, name_token: Token) -> Node:
        name = name_token.text.lower()
        if name not in FUNCTIONS:
            raise FilterSyntaxError(
                _("unknown function %(name)s") % {"name": repr(name_token.text)}, name_token.position
            )
        self.expect("(", "'('")
        args: list[Node] = []
        if self.peek().kind != ")":
            args.append(self.expression())
            while self.peek().kind == ",":
                self.take()
                args.append(self.expression())
        self.expect(")", _("%(one)s or %(other)s") % {"one": "')'", "other": "','"})
        fewest, most = FUNCTIONS[name]
        if not fewest <= len(args) <= most:
            wanted = str(fewest) if fewest == most else _("%(fewest)s to %(most)s") % {"fewest": fewest, "most": most}
            problem = ngettext(
                "%(name)s() takes %(wanted)s argument, not %(count)s",
                "%(name)s() takes %(wanted)s arguments, not %(count)s",
                most,
            ) % {"name": name, "wanted": wanted, "count": len(args)}
            raise FilterSyntaxError(problem, name_token.position)
        return self.made(Call(name, tuple(args)))


def parse(text: str) -> Node:
    """The tree of a ``$filter`` or ``$orderby`` expression, or a :class:`FilterSyntaxError`."""
    return Parser(text).parse()


def format_datetime(value: datetime) -> str:
    return value.isoformat().replace("+00:00", "Z")


def unparse(node: Node) -> str:
    """Text that parses back to ``node`` (fully parenthesised)."""
    if isinstance(node, BinOp) and node.op in CHAINS:
        # A left-leaning chain is as deep as it is long: written out in a loop, without recursion.
        operands = [node.right]
        left = node.left
        while isinstance(left, BinOp) and left.op == node.op:
            operands.append(left.right)
            left = left.left
        operands.append(left)
        return f" {node.op} ".join(f"({unparse(operand)})" for operand in reversed(operands))
    if isinstance(node, Literal):
        if node.kind == "string":
            return "'" + str(node.value).replace("'", "''") + "'"
        if node.kind == "bool":
            return "true" if node.value else "false"
        if node.kind == "null":
            return "null"
        if node.kind == "datetime":
            assert isinstance(node.value, datetime)
            return format_datetime(node.value)
        if node.kind == "time":
            assert isinstance(node.value, time)
            return node.value.isoformat()
        if node.kind == "geography":
            return "geography'" + str(node.value).replace("'", "''") + "'"
        return repr(node.value)
    if isinstance(node, Path):
        return "/".join(node.parts)
    if isinstance(node, Call):
        return f"{node.name}({', '.join(unparse(a) for a in node.args)})"
    if isinstance(node, Not):
        return f"not ({unparse(node.operand)})"
    if isinstance(node, Negate):
        return f"-({unparse(node.operand)})"
    return f"({unparse(node.left)}) {node.op} ({unparse(node.right)})"
