"""The syntax tree of the catalog query language: typed keys and condition nodes.

The lexer (:mod:`ocr.catalog._query_lexer`) types keys and literals against the
tables here, the parser (:mod:`ocr.catalog._query_parser`) builds the nodes, and
the evaluator (:mod:`ocr.catalog._query_evaluator`) walks them. The nodes are
plain data: nothing here reads an entry.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Final, Literal, TypeAlias

from ocr.catalog._entry import LayoutKind, SidecarState

if TYPE_CHECKING:
    from collections.abc import Mapping

__all__ = [
    "CHOICES",
    "FIELD_KINDS",
    "MODEL_PARTS",
    "Comparison",
    "IsNull",
    "Junction",
    "Key",
    "Like",
    "Membership",
    "Node",
    "Not",
    "Scalar",
    "ValueKind",
]

Scalar: TypeAlias = bool | int | float | str | datetime
ValueKind = Literal["number", "string", "bool", "datetime", "any", "tags"]
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


@dataclass(frozen=True)
class Comparison:
    """``key <symbol> literal`` (``symbol`` one of ``= < <= > >=``); ``negated``: ``!=``."""

    key: Key
    symbol: Literal["=", "<", "<=", ">", ">="]
    literal: Scalar
    negated: bool = False


@dataclass(frozen=True)
class Membership:
    """``key IN (literals)``, or ``NOT IN`` when negated."""

    key: Key
    literals: tuple[Scalar, ...]
    negated: bool = False


@dataclass(frozen=True)
class Like:
    r"""``key LIKE pattern`` (``ILIKE``: ``ignore_case``): ``%`` any run, ``_`` one character, ``\`` escapes."""

    key: Key
    pattern: str
    ignore_case: bool = False
    negated: bool = False


@dataclass(frozen=True)
class IsNull:
    """``key IS NULL``, or ``IS NOT NULL`` when negated; no tags count as null."""

    key: Key
    negated: bool = False


@dataclass(frozen=True)
class Not:
    """``not part``."""

    part: Node


@dataclass(frozen=True)
class Junction:
    """``part and part ...``, or ``part or part ...`` when ``any_of``."""

    parts: tuple[Node, ...]
    any_of: bool = False


Node: TypeAlias = Comparison | Membership | Like | IsNull | Not | Junction
"""A node of the condition tree."""
