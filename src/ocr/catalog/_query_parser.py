"""The parser of the catalog query language: ``--where`` expressions and ``best(...)``.

A small, safe (no ``eval``) language in the spirit of MLflow's search filter;
``docs/catalog-query.md`` gives its grammar and semantics. This module holds the
grammar (recursive descent over the lexer's tokens, with a nesting limit so that
hostile input cannot exhaust the stack); it builds the syntax tree of
:mod:`ocr.catalog._query_ast`, which :mod:`ocr.catalog._query_evaluator` walks.

>>> from ocr.catalog._entry import CatalogEntry
>>> entry = CatalogEntry(
...     path="runs/a/epoch=3.ckpt", layout="new", sidecar="valid",
...     encoder="resnet18", metrics={"val/hmean": 0.93}, tags=("baseline",),
... )
>>> where = parse_where("metrics.val/hmean > 0.9 and model.encoder = 'resnet18'")
>>> where(entry), parse_where("tags = 'baseline' and epoch IS NULL")(entry)
(True, True)
>>> parse_best("best(metrics.val/hmean, by=[model.encoder])")
('metrics.val/hmean', ['model.encoder'])
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Final, Literal

from ocr.catalog import _query_ast as ast
from ocr.catalog import _query_lexer as lexis
from ocr.catalog._query_evaluator import Where

if TYPE_CHECKING:
    from collections.abc import Mapping

    from ocr.catalog._query_ast import Key, Node
    from ocr.catalog._query_evaluator import ConfigLookup
    from ocr.catalog._query_lexer import Token
    from ocr.errors import CatalogQueryError

__all__ = ["parse_best", "parse_where"]

_MAX_DEPTH: Final = 50
_SYMBOLS: Final[Mapping[str, Literal["=", "<", "<=", ">", ">="]]] = {
    "=": "=",
    "==": "=",
    "!=": "=",
    "<": "<",
    "<=": "<=",
    ">": ">",
    ">=": ">=",
}


class _Parser:
    """Recursive descent over the tokens of one text, one method per grammar rule."""

    def __init__(self, source: lexis.Source) -> None:
        self.source = source
        self._tokens = lexis.tokenize(source)
        self._position = 0
        self.bare_metrics: list[str] = []

    def peek(self) -> Token:
        return self._tokens[self._position]

    def advance(self) -> Token:
        token = self._tokens[self._position]
        self._position = min(self._position + 1, len(self._tokens) - 1)
        return token

    def at(self, *values: str) -> bool:
        token = self.peek()
        return token.kind in ("keyword", "punct", "op") and token.value in values

    def fail(self, token: Token, problem: str, fix: str) -> CatalogQueryError:
        return self.source.error(token.column, f"{problem}, got {token.describe()}", fix)

    def expect(self, symbol: str, fix: str, *, after: str) -> None:
        token = self.advance()
        if token.kind not in ("punct", "op") or token.value != symbol:
            raise self.fail(token, f"expected {symbol!r} {after}", fix)

    def end(self, expected: str, fix: str) -> None:
        if (token := self.peek()).kind != "end":
            raise self.fail(token, f"expected {expected}", fix)

    def key(self, *, ranking: bool = False) -> Key:
        token = self.advance()
        if token.kind != "word":
            raise self.fail(token, "expected a key", lexis.KEY_HELP)
        key = lexis.build_key(self.source, token, ranking=ranking)
        if key.bare and key.name not in self.bare_metrics:
            self.bare_metrics.append(key.name)
        return key

    def where(self) -> Node:
        if self.peek().kind == "end":
            fix = "Write a condition such as metrics.val/hmean > 0.9"
            raise self.source.error(1, "the expression is empty", fix)
        node = self.junction(0, "or")
        fix = "Join conditions with AND or OR, and close each '(' once"
        self.end("AND, OR or the end of the expression", fix)
        return node

    def junction(self, depth: int, word: Literal["or", "and"]) -> Node:
        def part() -> Node:  # OR joins AND-junctions, which join factors: AND binds tighter
            return self.junction(depth, "and") if word == "or" else self.factor(depth)

        parts = [part()]
        while self.at(word):
            self.advance()
            parts.append(part())
        return parts[0] if len(parts) == 1 else ast.Junction(tuple(parts), any_of=word == "or")

    def factor(self, depth: int) -> Node:
        if not self.at("not", "("):
            return self.condition()
        if depth >= _MAX_DEPTH:
            problem = f"the expression nests deeper than {_MAX_DEPTH} levels"
            fix = "Simplify the expression: use fewer nested parentheses and NOTs"
            raise self.source.error(self.peek().column, problem, fix)
        opening = self.advance()
        if opening.value == "not":
            return ast.Not(self.factor(depth + 1))
        node = self.junction(depth + 1, "or")
        self.expect(
            ")", "Add the missing ')'", after=f"to close the '(' at column {opening.column}"
        )
        return node

    def condition(self) -> Node:
        key = self.key()
        operator = self.advance()
        if operator.kind == "op":
            return self.comparison(key, operator)
        word = operator.value if operator.kind == "keyword" else ""
        if word == "is":
            return self.is_null(key)
        negated = word == "not"
        if negated:
            if not self.at("in", "like", "ilike"):
                raise self.fail(
                    self.peek(), "expected IN, LIKE or ILIKE after NOT", lexis.OPERATOR_HELP
                )
            operator = self.advance()
            word = operator.value
        if word == "in":
            return self.member(key, operator, negated=negated)
        if word in ("like", "ilike"):
            return self.like(key, operator, negated=negated)
        raise self.fail(operator, f"expected an operator after {key.text}", lexis.OPERATOR_HELP)

    def comparison(self, key: Key, operator: Token) -> Node:
        lexis.check_operator(self.source, key, operator)
        symbol = _SYMBOLS[operator.text]
        literal = lexis.check_literal(self.source, key, self.advance(), exact=symbol == "=")
        return ast.Comparison(key, symbol, literal, negated=operator.text == "!=")

    def member(self, key: Key, operator: Token, *, negated: bool) -> Node:
        lexis.check_operator(self.source, key, operator)
        fix = "Write IN (value, ...), e.g. IN ('resnet18', 'resnet34')"
        self.expect("(", fix, after="after IN")
        if self.at(")"):
            raise self.source.error(self.peek().column, "IN needs at least one value", fix)
        literals = [lexis.check_literal(self.source, key, self.advance(), exact=True)]
        while not self.at(")"):
            if not self.at(","):
                raise self.fail(self.peek(), "expected ',' or ')' in the IN list", fix)
            self.advance()
            literals.append(lexis.check_literal(self.source, key, self.advance(), exact=True))
        self.advance()
        return ast.Membership(key, tuple(literals), negated=negated)

    def like(self, key: Key, operator: Token, *, negated: bool) -> Node:
        lexis.check_operator(self.source, key, operator)
        pattern = self.advance()
        if pattern.kind != "string":
            fix = f"Quote the pattern, e.g. {key.text} LIKE 'dbnet%'"
            raise self.fail(pattern, f"{str(operator.value).upper()} needs a quoted pattern", fix)
        ignore_case = operator.value == "ilike"
        return ast.Like(key, str(pattern.value), ignore_case=ignore_case, negated=negated)

    def is_null(self, key: Key) -> Node:
        negated = self.at("not")
        if negated:
            self.advance()
        token = self.advance()
        if token.kind != "keyword" or token.value != "null":
            fix = f"Write {key.text} IS NULL or {key.text} IS NOT NULL"
            raise self.fail(token, "expected NULL or NOT NULL after IS", fix)
        return ast.IsNull(key, negated=negated)

    def best(self) -> tuple[str, list[str]]:
        self.word("best", "best(")
        self.expect("(", lexis.BEST_HELP, after="after best")
        metric, groups = self.key(ranking=True).text, list[str]()
        if self.at(","):
            self.advance()
            self.word("by", "by=")
            self.expect("=", lexis.BEST_HELP, after="after by")
            self.expect("[", lexis.BEST_HELP, after="after by=")
            while not self.at("]"):
                if groups:
                    self.expect(",", lexis.BEST_HELP, after="between keys")
                groups.append(self.key().text)
            self.advance()
        self.expect(")", lexis.BEST_HELP, after="to close best(")
        self.end("the end of the expression", lexis.BEST_HELP)
        return metric, groups

    def word(self, word: str, shown: str) -> None:
        token = self.advance()
        if token.kind != "word" or token.text.lower() != word:
            raise self.fail(token, f"expected {shown}", lexis.BEST_HELP)


def parse_where(text: str, *, config_lookup: ConfigLookup | None = None) -> Where:
    """Parse a ``--where`` expression into a predicate over catalog entries.

    Args:
        text: The expression, e.g. ``metrics.val/hmean > 0.9 and model.encoder = 'resnet18'``.
        config_lookup: Gives an entry's saved run config (a nested mapping, or
            ``None`` when unknown) for ``config.*`` keys, which are unknown
            without it; called at most once per entry and call. Give plain,
            resolved mappings: values are compared as they are.

    Returns:
        A callable that is true for the entries the expression selects.

    Raises:
        CatalogQueryError: When the expression is malformed, names an unknown key,
            applies an operator the key's type lacks, or compares a key with a
            value of the wrong type.
    """
    parser = _Parser(lexis.Source(text))
    node = parser.where()
    return Where(text, node, config_lookup, tuple(parser.bare_metrics))


def parse_best(text: str) -> tuple[str, list[str]]:
    """Parse ``best(<key>)`` or ``best(<key>, by=[<key>, ...])``, the CLI's ``--best``.

    Args:
        text: The expression, e.g. ``best(metrics.val/hmean, by=[model.encoder])``.

    Returns:
        The ranking key and the grouping keys as written (none without ``by``),
        ready for :func:`best_per_group`.

    Raises:
        CatalogQueryError: When the text is not of that form, a key is unknown,
            or the ranking key holds no numbers.
    """
    return _Parser(lexis.Source(text, "best expression")).best()
