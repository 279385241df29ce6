"""What a catalog index may hold, checked before a scan trusts any of it.

The index's checksum only proves that the payload is what some writer wrote,
not that ocr wrote it: anyone who can write ``.ocr/catalog.index`` can write a
matching header. So the payload is checked as data from outside: its shape
(plain values of the expected types, rows as long as an entry), and that
every folder it names and every path a folder lists lies inside the scanned
folders without climbing out (``..``), and every entry is on a checkpoint
some folder lists.
A payload that fails any of it is no index (it is rebuilt, and the reason
logged); ``marshal`` data holds only plain values, and a code object or any
other type fails the type checks before it reaches a code path.

A warm scan checks ten thousand rows in the time the walk stats two thousand
folders, so the rows are checked column by column, in C: the set of the
types a whole column holds (``set(map(type, column))``) against the types
the field may have.
"""

from __future__ import annotations

import os
from datetime import datetime
from functools import partial
from itertools import chain
from operator import itemgetter, methodcaller
from typing import TYPE_CHECKING, Any, Final

from ocr.catalog._entry import ENTRY_FIELDS, LayoutKind, SidecarState

if TYPE_CHECKING:
    from collections.abc import Iterable, Sequence

__all__ = ["index_problem"]

_TEXT_OR_NONE: Final = (
    "run_dir",
    "experiment_id",
    "name",
    "created_at",
    "architecture",
    "encoder",
    "decoder",
    "head",
    "config_hash",
    "status",
    "monitor",
    "task",
)
_COUNTS: Final = ("epoch", "step", "size_bytes")  # integers (epoch, step: or None)
_FLAGS: Final = ("is_best", "is_last")
_CONTAINERS: Final = {"metrics": dict, "sources": dict, "tags": tuple, "problems": tuple}
_FOLDER_TYPES: Final = (int, tuple, dict, tuple)
_INT: Final[frozenset[type]] = frozenset({int})
_TEXT: Final = frozenset({str})
_TUPLE: Final = frozenset({tuple})
_TEXT_OR_NOTHING: Final[frozenset[type]] = frozenset({str, type(None)})
_COUNT_OR_NOTHING: Final[frozenset[type]] = frozenset({int, type(None)})
_FLAG: Final = frozenset({bool})
_NUMBERS: Final = frozenset({float, int})
_types = partial(map, type)  # a tuple's item types, in C: tuple(_types(row))
_LAYOUTS: Final = frozenset(kind.value for kind in LayoutKind)
_SIDECARS: Final = frozenset(state.value for state in SidecarState)
_MALFORMED: Final = (TypeError, ValueError)
_CLIMBS: Final = tuple(f"{os.sep}{dots}{end}" for dots in (".", "..") for end in (os.sep, "\0"))


def index_problem(data: object, tops: Sequence[str]) -> str | None:
    """Why a loaded index payload cannot be trusted, or ``None`` when it can.

    Args:
        data: What ``marshal.loads`` gave.
        tops: The scanned folders (the root and its legacy folders), as strings.

    Returns:
        The first problem found, in words.
    """
    if type(data) is not dict or set(data) != {"folders", "entries", "scope"}:
        return "the payload is not an index"
    folders, entries = data["folders"], data["entries"]
    if type(folders) is not dict or type(entries) is not dict:
        return "the payload is not an index"
    try:
        problem = _folders_problem(folders, tuple(tops))
        if problem is None:
            listed = set(chain.from_iterable(map(itemgetter(2), folders.values())))
            problem = None if listed.issuperset(entries) else "an entry is on no listed checkpoint"
        return problem or _entries_problem(entries)
    except _MALFORMED:  # a built-in refused a value of the wrong type
        return "a value has the wrong type"


def _folders_problem(folders: dict[Any, Any], tops: tuple[str, ...]) -> str | None:
    inside = tuple(top.rstrip(os.sep) + os.sep for top in tops)
    names = list(folders)
    if not _all(names, _TEXT) or not all(f in tops or f.startswith(inside) for f in names):
        return "it names a folder outside the scanned ones"
    states = list(folders.values())
    if not _all(states, _TUPLE) or set(map(tuple, map(_types, states))) - {_FOLDER_TYPES}:
        return "a folder's state is malformed"
    return _listings_problem(states, inside)


def _listings_problem(states: list[tuple[Any, ...]], inside: tuple[str, ...]) -> str | None:
    """Folders list only paths inside the scanned ones, and well-formed stats of them."""
    checkpoints = list(map(itemgetter(2), states))
    paths = list(chain(chain.from_iterable(map(itemgetter(1), states)), *checkpoints))
    if not _all(paths, _TEXT):
        return "a folder lists something that is not a path"
    # Every path lies under a scanned folder and never climbs out of it: one
    # search over all of them joined (no path holds a NUL byte).
    joined = "\0".join(paths) + "\0"
    if not all(map(methodcaller("startswith", inside), paths)) or any(
        step in joined for step in _CLIMBS
    ):
        return "a folder lists something outside the scanned ones"
    in_folders = set(chain.from_iterable(map(itemgetter(3), states)))
    if in_folders and not in_folders <= set(chain.from_iterable(checkpoints)):
        return "a folder checkpoint is listed by no folder"
    stats = list(chain.from_iterable(map(dict.values, checkpoints)))
    if not stats:
        return None
    sizes, mtimes, seen = zip(*stats, strict=True)  # a stat of another length: ValueError
    if not _all(stats, _TUPLE) or not _all(chain(sizes, mtimes), _INT) or not _all(seen, _FLAG):
        return "a checkpoint's stat is malformed"
    return None


def _entries_problem(entries: dict[str, Any]) -> str | None:
    if not entries:
        return None
    # Strict zips refuse rows of another shape (ValueError), in C.
    rows, depends = zip(*entries.values(), strict=True)
    column = dict(zip(ENTRY_FIELDS, zip(*rows, strict=True), strict=True))
    if column["path"] != tuple(entries):
        return "an entry is filed under another path"
    return _columns_problem(column) or _contents_problem(column, depends)


def _columns_problem(column: dict[str, tuple[Any, ...]]) -> str | None:
    """Each field of every entry is of its type."""
    if not set(column["layout"]) <= _LAYOUTS or not set(column["sidecar"]) <= _SIDECARS:
        return "an entry's layout or sidecar state is unknown"
    if not _all(_columns(column, _TEXT_OR_NONE), _TEXT_OR_NOTHING):
        return "an entry's text field holds something else"
    if not _all(_columns(column, _COUNTS), _COUNT_OR_NOTHING):
        return "an entry's epoch, step or size is not a whole number"
    if not _all(_columns(column, _FLAGS), _FLAG):
        return "an entry's flags are not true or false"
    for name, kind in _CONTAINERS.items():
        if not _all(column[name], frozenset({kind})):
            return f"an entry's {name} is malformed"
    list(map(datetime.fromisoformat, filter(None, column["created_at"])))
    return None


def _contents_problem(column: dict[str, tuple[Any, ...]], depends: tuple[Any, ...]) -> str | None:
    """What rows hold inside: folder names, tags, problems, sources, metrics."""
    listed = (*depends, *column["tags"], *column["problems"])
    shared = dict(zip(map(id, listed), listed, strict=True)).values()  # rows share most
    if not _all(shared, _TUPLE) or not _all(chain.from_iterable(shared), _TEXT):
        return "an entry's folders, tags or problems are malformed"
    sources = {id(value): value for value in column["sources"]}.values()
    texts = chain(chain.from_iterable(sources), chain.from_iterable(map(dict.values, sources)))
    if not _all(texts, _TEXT):
        return "an entry's sources hold values of the wrong type"
    metrics = column["metrics"]
    if not _all(chain.from_iterable(metrics), _TEXT) or not _all(
        chain.from_iterable(map(dict.values, metrics)), _NUMBERS
    ):
        return "an entry's metrics are not numbers"
    return None


def _columns(column: dict[str, tuple[Any, ...]], names: Iterable[str]) -> Iterable[Any]:
    return chain.from_iterable(column[name] for name in names)


def _all(values: Iterable[Any], kinds: frozenset[type]) -> bool:
    """Whether every value is of exactly one of ``kinds`` (``bool`` is not ``int``)."""
    return set(map(type, values)) <= kinds
