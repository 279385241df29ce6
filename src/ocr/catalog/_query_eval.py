"""Evaluation of the catalog query language: key values, the condition tree, ranking.

Keys and literals were typed at parse time, so evaluation never raises. A comparison
with an unknown value (``None``), or with a value of another type (possible only for
``config.*`` keys), is false; ``not`` flips what a condition gave: logic is two-valued.
"""

from __future__ import annotations

import enum
import math
import operator
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import partial
from typing import TYPE_CHECKING, Any, Final, Literal, Protocol, TypeAlias

from ocr.catalog._entry import LayoutKind, SidecarState

if TYPE_CHECKING:
    from ocr.catalog._entry import CatalogEntry

__all__ = [
    "CHOICES",
    "FIELD_KINDS",
    "MODEL_PARTS",
    "Condition",
    "ConfigLookup",
    "Context",
    "IsNull",
    "Junction",
    "Key",
    "Node",
    "Not",
    "Predicate",
    "Scalar",
    "ValueKind",
    "Where",
    "compare_test",
    "like_test",
    "member_test",
    "rank_best",
]

ConfigLookup: TypeAlias = Callable[["CatalogEntry"], Mapping[str, object] | None]
Scalar: TypeAlias = bool | int | float | str | datetime
ValueKind = Literal["number", "string", "bool", "datetime", "any", "tags"]
Test: TypeAlias = Callable[[object], bool | None]  # None: the value is not comparable
_OLDEST: Final = datetime.min.replace(tzinfo=UTC)
FIELD_KINDS: Final[Mapping[str, ValueKind]] = {
    **dict.fromkeys(("architecture", "config_hash", "decoder", "encoder"), "string"),
    **dict.fromkeys(("experiment_id", "head", "layout", "monitor", "name", "path"), "string"),
    **dict.fromkeys(("run_dir", "sidecar", "status", "task"), "string"),
    **dict.fromkeys(("epoch", "size_bytes", "step"), "number"),
    **dict.fromkeys(("is_best", "is_last"), "bool"),
    "created_at": "datetime",
}
MODEL_PARTS: Final = ("architecture", "decoder", "encoder", "head")
CHOICES: Final[Mapping[str, tuple[str, ...]]] = {
    "layout": tuple(sorted(kind.value for kind in LayoutKind)),
    "sidecar": tuple(sorted(state.value for state in SidecarState)),
}


@dataclass(frozen=True)
class Key:
    """A checked key: where its value lives and which type it holds (``any``: unknown).

    ``bare`` marks a metric written without its ``metrics.`` prefix.
    """

    text: str
    family: Literal["metrics", "field", "config", "tags"]
    name: str = ""
    path: tuple[str, ...] = ()
    kind: ValueKind = "any"
    choices: tuple[str, ...] = ()
    bare: bool = False


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


class Node(Protocol):
    """A node of the condition tree."""

    def evaluate(self, context: Context, /) -> bool:
        """Return whether the entry in ``context`` passes."""
        ...


@dataclass(frozen=True)
class Condition:
    """A test of one key's value, or of any tag; ``negated`` flips a comparable outcome."""

    key: Key
    test: Test
    negated: bool = False

    def evaluate(self, context: Context, /) -> bool:
        value = context.resolve(self.key)
        if self.key.family == "tags" and isinstance(value, tuple):
            # Tags form a set: ``tags = 'x'`` asks for membership, ``!=`` for its absence.
            return any(self.test(tag) is True for tag in value) != self.negated
        outcome = None if value is None else self.test(value)
        return outcome is not None and outcome != self.negated


@dataclass(frozen=True)
class IsNull:
    """``key IS NULL``, or ``IS NOT NULL`` when negated; no tags count as null."""

    key: Key
    negated: bool = False

    def evaluate(self, context: Context, /) -> bool:
        value = context.resolve(self.key)
        no_tags = self.key.family == "tags" and value == ()
        return (value is None or no_tags) != self.negated


@dataclass(frozen=True)
class Not:
    """``not part``."""

    part: Node

    def evaluate(self, context: Context, /) -> bool:
        return not self.part.evaluate(context)


@dataclass(frozen=True)
class Junction:
    """``part and part ...``, or ``part or part ...`` when ``any_of``."""

    parts: tuple[Node, ...]
    any_of: bool = False

    def evaluate(self, context: Context, /) -> bool:
        test = any if self.any_of else all
        return test(part.evaluate(context) for part in self.parts)


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
        return self.node.evaluate(Context(entry, self.config_lookup))


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


def compare_test(symbol: str, literal: Scalar) -> Test:
    """Return the test ``value <symbol> literal``, ``symbol`` one of ``= < <= > >=``."""
    return partial(_compare, symbol, literal)


def _member(literals: tuple[Scalar, ...], value: object) -> bool | None:
    comparable = [literal for literal in literals if _is_comparable(value, literal)]
    return any(value == literal for literal in comparable) if comparable else None


def member_test(literals: tuple[Scalar, ...]) -> Test:
    """Return the test ``value IN (literals)``."""
    return partial(_member, literals)


def _like(pattern: re.Pattern[str], value: object) -> bool | None:
    return pattern.fullmatch(value) is not None if isinstance(value, str) else None


def like_test(pattern: str, *, ignore_case: bool) -> Test:
    r"""Return the test ``value LIKE pattern``: ``%`` any run, ``_`` one character, ``\`` escapes."""
    parts: list[str] = []
    chars = iter(pattern)
    for char in chars:
        if char == "\\":
            parts.append(re.escape(next(chars, "\\")))
        else:
            parts.append({"%": ".*", "_": "."}.get(char) or re.escape(char))
    flags = re.DOTALL | (re.IGNORECASE if ignore_case else 0)
    return partial(_like, re.compile("".join(parts), flags))


def rank_best(
    entries: Sequence[CatalogEntry],
    metric: Key,
    groups: Sequence[Key],
    *,
    descending: bool,
    config_lookup: ConfigLookup | None,
) -> list[CatalogEntry]:
    """Return the best entry per group (see :func:`ocr.catalog._query.best_per_group`)."""
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
