"""Evaluation of the catalog query language: key values, the condition tree, ranking.

Keys and literals were typed at parse time, so evaluation never raises. A comparison
with an unknown value (``None``), or with a value of another type (possible only for
``config.*`` keys), is false; ``not`` flips what a condition gave: logic is two-valued.
The entry points that take keys as text (:func:`resolve_key`, :func:`best_per_group`)
live here too.
"""

from __future__ import annotations

import enum
import functools
import math
import operator
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, Final, Literal, Protocol, TypeAlias

from ocr.catalog._query_ast import (
    Comparison,
    IsNull,
    Junction,
    Key,
    Like,
    Membership,
    Node,
    Not,
    Scalar,
)
from ocr.catalog._query_lexer import parse_key
from ocr.errors import CatalogQueryError

if TYPE_CHECKING:
    from ocr.catalog._entry import CatalogEntry

__all__ = [
    "ConfigLookup",
    "Context",
    "Predicate",
    "Where",
    "best_per_group",
    "evaluate",
    "rank_best",
    "resolve_key",
]

ConfigLookup: TypeAlias = Callable[["CatalogEntry"], Mapping[str, object] | None]
_OLDEST: Final = datetime.min.replace(tzinfo=UTC)


class Context:
    """One entry under test; looks its run config up at most once."""

    def __init__(self, entry: CatalogEntry, config_lookup: ConfigLookup | None) -> None:
        self.entry = entry
        self._config_lookup = config_lookup
        self._config: Mapping[str, object] | None = None

    def resolve(self, key: Key) -> object | None:
        """Return the value ``key`` names (tags as a tuple), ``None`` when unknown."""
        if key.family == "metrics":
            return self.entry.metrics.get(key.name)
        if key.family == "tags":
            return tuple(self.entry.tags)
        if key.family == "field":
            value: object = getattr(self.entry, key.name)
            if isinstance(value, datetime):
                return _local(value)
            # Enum members equal their strings, but users and JSON see the plain string.
            return value.value if isinstance(value, enum.Enum) else value
        if self._config_lookup is not None:
            # A lookup may read a file: several config keys in one query share one call.
            self._config, self._config_lookup = self._config_lookup(self.entry), None
        return _dig(self._config, key.path)


def _local(moment: datetime) -> datetime | None:
    """Read a naive time as local time; ``None`` when the platform cannot place it."""
    try:
        return moment if moment.tzinfo is not None else moment.astimezone()
    except (OverflowError, OSError, ValueError):
        return None


def _dig(config: object, path: tuple[str, ...]) -> object | None:
    current = config
    for part in path:
        if isinstance(current, Mapping):
            current = current.get(part)
        elif isinstance(current, Sequence) and not isinstance(current, str | bytes):
            index = int(part) if part.isascii() and part.isdecimal() else len(current)
            current = current[index] if index < len(current) else None
        else:
            return None
    return current


class Predicate(Protocol):
    """A parsed ``--where`` expression: true for the entries it selects."""

    def __call__(self, entry: CatalogEntry, /) -> bool:
        """Return whether ``entry`` passes."""
        ...


@dataclass(frozen=True)
class Where:
    """A parsed ``--where`` expression; call it with an entry.

    ``bare_metrics`` are the metrics it names without the ``metrics.`` prefix,
    so a caller can say when no checkpoint has one (a misspelt key, likely).
    """

    text: str
    node: Node = field(repr=False)
    config_lookup: ConfigLookup | None = field(default=None, repr=False)
    bare_metrics: tuple[str, ...] = field(default=(), repr=False)

    def __call__(self, entry: CatalogEntry, /) -> bool:
        return evaluate(self.node, Context(entry, self.config_lookup))


def evaluate(node: Node, context: Context) -> bool:
    """Return whether the entry in ``context`` passes ``node``.

    Args:
        node: A condition tree from the parser.
        context: The entry under test.

    Returns:
        The outcome; never raises.
    """
    match node:
        case Not(part):
            return not evaluate(part, context)
        case Junction(parts, any_of):
            test = any if any_of else all
            return test(evaluate(part, context) for part in parts)
        case IsNull(key, negated):
            value = context.resolve(key)
            no_tags = key.family == "tags" and value == ()
            return (value is None or no_tags) != negated
        case Comparison(key, symbol, literal, negated):
            return _holds(
                context.resolve(key), key, functools.partial(_compare, symbol, literal), negated
            )
        case Membership(key, literals, negated):
            return _holds(context.resolve(key), key, functools.partial(_member, literals), negated)
        case Like(key, pattern, ignore_case, negated):
            regex = _like_regex(pattern, ignore_case=ignore_case)
            return _holds(context.resolve(key), key, functools.partial(_like, regex), negated)


def _holds(value: object, key: Key, test: Callable[[object], bool | None], negated: bool) -> bool:
    """A test of one key's value, or of any tag; ``negated`` flips a comparable outcome."""
    if key.family == "tags" and isinstance(value, tuple):
        # Tags form a set: ``tags = 'x'`` asks for membership, ``!=`` for its absence.
        return any(test(tag) is True for tag in value) != negated
    outcome = None if value is None else test(value)
    return outcome is not None and outcome != negated


def _is_comparable(value: object, literal: Scalar) -> bool:
    # bool is an int in Python; queries keep true/false and numbers apart.
    if isinstance(literal, bool) or isinstance(value, bool):
        return isinstance(value, bool) and isinstance(literal, bool)
    if isinstance(literal, int | float):
        return isinstance(value, int | float)
    return isinstance(value, type(literal))


_ORDERINGS: Final[Mapping[str, Callable[[Any, Any], Any]]] = {
    "=": operator.eq,
    "<": operator.lt,
    "<=": operator.le,
    ">": operator.gt,
    ">=": operator.ge,
}


def _compare(symbol: str, literal: Scalar, value: object) -> bool | None:
    return bool(_ORDERINGS[symbol](value, literal)) if _is_comparable(value, literal) else None


def _member(literals: tuple[Scalar, ...], value: object) -> bool | None:
    comparable = [literal for literal in literals if _is_comparable(value, literal)]
    return any(value == literal for literal in comparable) if comparable else None


def _like(pattern: re.Pattern[str], value: object) -> bool | None:
    return pattern.fullmatch(value) is not None if isinstance(value, str) else None


@functools.lru_cache(maxsize=256)
def _like_regex(pattern: str, *, ignore_case: bool) -> re.Pattern[str]:
    r"""Compile a LIKE pattern: ``%`` any run, ``_`` one character, ``\`` escapes."""
    parts: list[str] = []
    chars = iter(pattern)
    for char in chars:
        if char == "\\":
            parts.append(re.escape(next(chars, "\\")))
        else:
            parts.append({"%": ".*", "_": "."}.get(char) or re.escape(char))
    flags = re.DOTALL | (re.IGNORECASE if ignore_case else 0)
    return re.compile("".join(parts), flags)


def rank_best(
    entries: Sequence[CatalogEntry],
    metric: Key,
    groups: Sequence[Key],
    *,
    descending: bool,
    config_lookup: ConfigLookup | None,
) -> list[CatalogEntry]:
    """Return the best entry per group (see :func:`best_per_group`)."""
    ranked: list[tuple[float, tuple[object, ...], datetime, CatalogEntry]] = []
    for entry in entries:
        context = Context(entry, config_lookup)
        score = context.resolve(metric)
        if isinstance(score, int | float) and not isinstance(score, bool) and not math.isnan(score):
            group = tuple(_hashable(context.resolve(key)) for key in groups)
            created = entry.created_at and _local(entry.created_at)
            ranked.append((score, group, created or _OLDEST, entry))
    # Stable sorts, from the last tie-breaker to the first: path, newer time, score.
    ranked.sort(key=lambda item: item[3].path)
    ranked.sort(key=lambda item: item[2], reverse=True)
    ranked.sort(key=lambda item: item[0], reverse=descending)
    best: dict[tuple[object, ...], CatalogEntry] = {}
    for _, group, _, entry in ranked:
        best.setdefault(group, entry)
    return list(best.values())


def _hashable(value: object) -> object:
    """Make a config value usable in a group key (lists and mappings do not hash)."""
    if isinstance(value, Mapping):
        return tuple(sorted((str(k), _hashable(v)) for k, v in value.items()))
    if isinstance(value, Sequence) and not isinstance(value, str | bytes):
        return tuple(_hashable(item) for item in value)
    return value


def resolve_key(
    entry: CatalogEntry, key: str, *, config_lookup: ConfigLookup | None = None
) -> object | None:
    """Return the value an expression key names for ``entry``.

    Args:
        entry: The entry.
        key: A key as written in expressions, e.g. ``metrics.val/hmean`` or ``model.encoder``.
        config_lookup: Gives the entry's saved run config, for ``config.*`` keys.

    Returns:
        The value (tags as a tuple, enums as plain strings), ``None`` when unknown.

    Raises:
        CatalogQueryError: When ``key`` is not one valid key.
    """
    return Context(entry, config_lookup).resolve(parse_key(key, "key"))


def best_per_group(
    entries: Sequence[CatalogEntry],
    metric: str,
    *,
    by: Sequence[str],
    mode: Literal["max", "min"] = "max",
    config_lookup: ConfigLookup | None = None,
) -> list[CatalogEntry]:
    """Keep the best entry of each group, ranked by ``metric``.

    Args:
        entries: The entries to rank.
        metric: The ranking key, e.g. ``metrics.val/hmean`` (any key holding numbers).
        by: The grouping keys, e.g. ``["model.encoder", "model.decoder"]``; an
            unknown value groups like any other; no keys make one group.
        mode: ``max`` when a higher value is better, ``min`` when a lower one is.
        config_lookup: Gives an entry's saved run config, for ``config.*`` keys.

    Returns:
        One entry per group, best first. Entries without a number (or with NaN)
        for ``metric`` are left out. Ties go to the newer ``created_at`` (unknown
        counts as oldest), then to the smaller ``path``.

    Raises:
        CatalogQueryError: When a key is invalid, ``metric`` holds no numbers, or
            ``mode`` is neither ``max`` nor ``min``.
    """
    if mode not in ("max", "min"):
        raise CatalogQueryError(f"unknown best mode {mode!r}", fix="Use 'max' or 'min'", value=mode)
    metric_key = parse_key(metric, "metric key", ranking=True)
    group_keys = [parse_key(key, "group key") for key in by]
    return rank_best(
        entries, metric_key, group_keys, descending=mode == "max", config_lookup=config_lookup
    )
