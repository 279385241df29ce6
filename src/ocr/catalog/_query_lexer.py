"""The lexical layer of the catalog query language: tokens, typed keys and literals.

The grammar (:mod:`ocr.catalog._query_parser`) reads tokens from here and types each key
and value here, at parse time, so that evaluation never meets a type it cannot
compare. Every error names the text, the column (1-based) and the problem, then
the fix; no input raises anything but :class:`~ocr.errors.CatalogQueryError`.
"""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Final, Literal

from ocr.catalog._query_ast import CHOICES, FIELD_KINDS, MODEL_PARTS, Key
from ocr.errors import CatalogQueryError

if TYPE_CHECKING:
    from collections.abc import Mapping

    from ocr.catalog._query_ast import Scalar, ValueKind

__all__ = [
    "BEST_HELP",
    "KEY_HELP",
    "OPERATOR_HELP",
    "Source",
    "Token",
    "build_key",
    "check_literal",
    "check_operator",
    "parse_key",
    "tokenize",
]

_KEYWORDS: Final = frozenset(
    ("and", "or", "not", "in", "like", "ilike", "is", "null", "true", "false")
)
_NUMBER: Final = re.compile(r"-?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][+-]?[0-9]+)?")
_OPERATORS: Final = ("<=", ">=", "!=", "==", "=", "<", ">")
# \% and \_ stay escaped, so that LIKE can tell them from wildcards.
_ESCAPES: Final = {"\\": "\\", "'": "'", '"': '"', "n": "\n", "t": "\t", "%": "\\%", "_": "\\_"}
_ORDERED: Final = frozenset({"=", "!=", "<", "<=", ">", ">=", "in"})
_OPERATORS_BY_KIND: Final[Mapping[ValueKind, frozenset[str]]] = {
    "number": _ORDERED,
    "datetime": _ORDERED,
    "bool": frozenset({"=", "!=", "in"}),
    "string": _ORDERED | {"like"},
    "any": _ORDERED | {"like"},
    "tags": frozenset({"=", "!=", "in", "like"}),
}
_OPERATOR_FIXES: Final[Mapping[ValueKind, str]] = {
    "number": "Compare numbers with =, !=, <, <=, >, >=, IN (...), NOT IN (...) or IS NULL",
    "datetime": "Compare dates with =, !=, <, <=, >, >=, IN (...), NOT IN (...) or IS NULL",
    "bool": "Compare true/false keys with =, !=, IN (...), NOT IN (...) or IS NULL",
    "tags": "Test tags with tags = 'x', tags != 'x', tags IN ('x', 'y'), tags LIKE 'x%' or tags IS NULL",
}
KEY_HELP: Final = (
    "Write a key: metrics.<name> (or the bare metric name), model.<part>, config.<dotted.key>, "
    f"tags, or a field (also as attributes.<field>): {', '.join(sorted(FIELD_KINDS))}"
)
_PREFIXES: Final = ("attributes", "config", "metrics", "model")
# How close a bare word must be to a field or prefix to count as its typo rather than a metric.
_TYPO_CUTOFF: Final = 0.75
_DATE_FIX: Final = "Quote an ISO date or time, e.g. '2025-10-18' or '2025-10-18T14:03:22+02:00'"
_KIND_HELP: Final[Mapping[ValueKind, tuple[str, str]]] = {
    "number": ("numbers", "Compare it with a number such as 3, -0.5 or 1e-3"),
    "string": ("strings", "Quote the value, e.g. 'resnet18'"),
    "bool": ("true or false", "Compare it with true or false"),
    "datetime": ("dates", _DATE_FIX),
    "tags": ("tag strings", "Quote the tag, e.g. tags = 'baseline'"),
    "any": ("any value", "Write a number, a quoted string, true or false"),
}
OPERATOR_HELP: Final = (
    "Use one of =, !=, <, <=, >, >=, LIKE, ILIKE, NOT LIKE, NOT ILIKE, IN (...), NOT IN (...), "
    "IS NULL, IS NOT NULL"
)
BEST_HELP: Final = "Write best(<key>) or best(<key>, by=[<key>, ...]), e.g. best(metrics.val/hmean, by=[model.encoder])"


@dataclass(frozen=True)
class Source:
    """The text being parsed and what to call it in messages."""

    text: str
    label: str = "catalog query"

    def error(self, column: int, problem: str, fix: str) -> CatalogQueryError:
        """Return the error for ``problem`` at ``column`` (1-based)."""
        cause = f"invalid {self.label} {self.text!r} at column {column}: {problem}"
        return CatalogQueryError(cause, fix=fix, value=self.text)


@dataclass(frozen=True)
class Token:
    """One token; ``value`` holds string contents, numbers, lower-case keywords or symbols."""

    kind: Literal["word", "keyword", "string", "number", "op", "punct", "end"]
    text: str
    column: int
    value: str | int | float = ""
    segments: tuple[str, ...] = ()  # a word's parts between unquoted dots

    def describe(self) -> str:
        """Name the token for an error message."""
        if self.kind == "end":
            return "the end of the expression"
        if self.kind == "string":
            return f"the string {self.value!r}"
        if self.kind == "number":
            return f"the number {self.text}"
        return repr(self.text)


def tokenize(source: Source) -> list[Token]:
    """Split ``source`` into tokens, ending with an ``end`` token.

    Raises:
        CatalogQueryError: On a character no token starts with, or an unclosed quote.
    """
    text, tokens, i = source.text, [], 0
    while i < len(text):
        char = text[i]
        if char.isspace():
            i += 1
            continue
        if char in "'\"":
            token = _string(source, i)
        elif number := _NUMBER.match(text, i):
            value = float(number[0]) if set(number[0]) & set(".eE") else int(number[0])
            token = Token("number", number[0], i + 1, value)
        elif char.isalpha() or char in "_`":
            token = _word(source, i)
        elif symbol := next((op for op in _OPERATORS if text.startswith(op, i)), None):
            token = Token("op", symbol, i + 1, symbol)
        elif char in "()[],":
            token = Token("punct", char, i + 1, char)
        else:
            fix = "Quote values as 'text', and keys with other characters in backticks: metrics.`weird key`"
            raise source.error(i + 1, f"unexpected character {char!r}", fix)
        tokens.append(token)
        i += len(token.text)
    tokens.append(Token("end", "", len(text) + 1))
    return tokens


def _string(source: Source, start: int) -> Token:
    text, quote, chars, i = source.text, source.text[start], [], start + 1
    while i < len(text) and text[i] != quote:
        if text[i] == "\\" and i + 1 < len(text):
            if (escape := text[i + 1]) not in _ESCAPES:
                fix = "Use one of \\\\ \\' \\\" \\n \\t, or \\% and \\_ in LIKE patterns"
                raise source.error(i + 1, f"unknown escape {text[i : i + 2]!r} in a string", fix)
            chars.append(_ESCAPES[escape])
            i += 2
        else:
            chars.append(text[i])
            i += 1
    if i >= len(text):
        fix = f"Close the string with a matching {quote} (write \\{quote} for one inside it)"
        raise source.error(start + 1, "the string starting here is not closed", fix)
    return Token("string", text[start : i + 1], start + 1, "".join(chars))


def _word(source: Source, start: int) -> Token:
    text, segments, i, quoted = source.text, [""], start, False
    while i < len(text):
        char = text[i]
        if char == "`":
            end = i + 1
            while (end := text.find("`", end)) != -1 and text.startswith("``", end):
                end += 2
            if end == -1:
                fix = "Close the key with a backtick (write `` for a backtick inside it)"
                raise source.error(i + 1, "the quoted key starting here is not closed", fix)
            segments[-1] += text[i + 1 : end].replace("``", "`")
            i, quoted = end + 1, True
        elif char == ".":
            segments.append("")
            i += 1
        elif char.isalnum() or char in "_/-":
            segments[-1] += char
            i += 1
        else:
            break
    raw = text[start:i]
    if not quoted and raw.lower() in _KEYWORDS:
        return Token("keyword", raw, start + 1, raw.lower())
    return Token("word", raw, start + 1, raw, tuple(segments))


def build_key(source: Source, token: Token, *, ranking: bool = False) -> Key:
    """Type the key a word token names; with ``ranking``, a key holding numbers.

    Raises:
        CatalogQueryError: On an unknown prefix, field or model part, an empty
            name, or a ``ranking`` key that holds no numbers.
    """
    key = _type_key(source, token)
    if ranking and key.kind not in ("number", "any"):
        fix = "Rank by a metric or another number key, e.g. best(metrics.val/hmean)"
        raise source.error(token.column, f"{key.text} holds no numbers to rank by", fix)
    return key


def _type_key(source: Source, token: Token) -> Key:
    (head, *rest), text, column = token.segments, token.text, token.column
    if not rest and head == "tags":
        return Key(text, "tags", "tags", kind="tags")
    if head not in _PREFIXES and (rest or head not in FIELD_KINDS):
        return _bare_metric(source, token)
    if "" in rest:
        fix = "Write a name after each dot, e.g. metrics.val/hmean or config.model.encoder"
        raise source.error(column, f"key {text!r} has an empty name part", fix)
    name = ".".join(rest) if rest else head
    if rest and head == "metrics":
        return Key(text, "metrics", name, kind="number")
    if rest and head == "config":
        return Key(text, "config", path=tuple(rest))
    valid = {"model": MODEL_PARTS, "attributes": tuple(FIELD_KINDS)}.get(head, ())
    if rest and not valid:
        fix = "Use one of the prefixes attributes., config., metrics., model., or a field or tags"
        raise source.error(column, f"unknown key prefix {head!r} in {text!r}", fix)
    if rest and name not in valid:
        fix = f"Use one of {', '.join(f'{head}.{part}' for part in sorted(valid))}"
        raise source.error(column, f"unknown {head} key {text!r}", fix)
    return Key(text, "field", name, kind=FIELD_KINDS[name], choices=CHOICES.get(name, ()))


def _bare_metric(source: Source, token: Token) -> Key:
    """A word that is no field, ``tags`` or prefix names a metric, unless it looks like a typo."""
    name = ".".join(token.segments)
    words = [*FIELD_KINDS, "tags", *(f"{prefix}." for prefix in _PREFIXES)]
    close = difflib.get_close_matches(token.segments[0], words, n=1, cutoff=_TYPO_CUTOFF)
    if close:
        fix = f"Did you mean {close[0].rstrip('.')!r}? For a metric of that name write metrics.`{name}`"
        raise source.error(token.column, f"unknown key {token.text!r}", fix)
    return Key(token.text, "metrics", name, kind="number", bare=True)


def check_operator(source: Source, key: Key, operator: Token) -> None:
    """Refuse an operator that ``key``'s type does not support.

    Raises:
        CatalogQueryError: When ``operator`` does not apply to ``key``.
    """
    name = {"==": "=", "ilike": "like"}.get(str(operator.value), str(operator.value))
    if name not in _OPERATORS_BY_KIND[key.kind]:
        shown = repr(operator.text) if operator.kind == "op" else str(operator.value).upper()
        problem = f"{shown} does not apply to {key.text}"
        raise source.error(operator.column, problem, _OPERATOR_FIXES[key.kind])


def check_literal(source: Source, key: Key, token: Token, *, exact: bool) -> Scalar:
    """Return the value ``token`` gives, as ``key`` compares it (dates become datetimes).

    Raises:
        CatalogQueryError: When ``token`` is no value, ``key`` cannot hold it, or,
            for an ``exact`` match (=, !=, IN), it is none of the key's choices.
    """
    if token.kind == "keyword" and token.value == "null":
        fix = f"Write {key.text} IS NULL or {key.text} IS NOT NULL"
        raise source.error(token.column, "compare with null using IS NULL", fix)
    value: Scalar = token.value
    strings: tuple[ValueKind, ...] = ("string", "tags", "datetime")
    kinds = ("number",) if token.kind == "number" else strings
    if token.kind == "keyword" and token.value in ("true", "false"):
        value, kinds = token.value == "true", ("bool",)
    elif token.kind not in ("number", "string"):
        fix = "Write a number (3, -0.5, 1e-3), a quoted string ('resnet18'), true or false"
        raise source.error(token.column, f"expected a value, got {token.describe()}", fix)
    if key.kind not in (*kinds, "any"):
        noun, fix = _KIND_HELP[key.kind]
        raise source.error(token.column, f"{key.text} holds {noun}, got {token.describe()}", fix)
    if exact and key.choices and value not in key.choices:
        fix = f"Use one of {', '.join(map(repr, key.choices))}"
        raise source.error(token.column, f"{key.text} has no value {value!r}", fix)
    if key.kind != "datetime" or not isinstance(value, str):
        return value
    try:
        moment = datetime.fromisoformat(value)
        # A naive time is local time, as on the clock of the user typing it.
        return moment if moment.tzinfo is not None else moment.astimezone()
    except (ValueError, OverflowError, OSError) as exc:
        problem = f"{value!r} is not an ISO date or time"
        raise source.error(token.column, problem, _DATE_FIX) from exc


def parse_key(text: str, label: str, *, ranking: bool = False) -> Key:
    """Parse a text holding one key; with ``ranking``, a key holding numbers.

    Raises:
        CatalogQueryError: When ``text`` is not one key, or ranks by a non-number.
    """
    source = Source(text, label)
    token, after = [*tokenize(source), Token("end", "", len(text) + 1)][:2]
    if token.kind != "word":
        raise source.error(token.column, f"expected a key, got {token.describe()}", KEY_HELP)
    if after.kind != "end":
        problem = f"expected the end of the key, got {after.describe()}"
        fix = "Write one key; put characters other than letters, digits, _ / - . in backticks"
        raise source.error(after.column, problem, fix)
    return build_key(source, token, ranking=ranking)
