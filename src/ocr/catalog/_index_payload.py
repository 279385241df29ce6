"""What a catalog index may hold, checked before a scan trusts any of it.

The index's checksum only proves that the payload is what some writer wrote,
not that ocr wrote it: anyone who can write ``.ocr/catalog.index`` can write a
matching header. So the payload is checked as data from outside: its shape
(plain values of the expected types, rows as long as an entry), and that
every path it names lies inside the scanned folders, every checkpoint inside
the folder that lists it, and every entry on a checkpoint some folder lists.
A payload that fails any of it is no index (it is rebuilt, and the reason
logged); ``marshal`` data holds only plain values, and a code object or any
other type fails the type checks before it reaches a code path.

A warm scan checks ten thousand rows in the time the walk stats two thousand
folders, so the rows are checked column by column with built-ins that refuse
a wrong type by themselves, in C: ``str.join`` takes only strings,
``array("q", ...)`` only integers, a set of types only what it is compared
with.
"""

from __future__ import annotations

import os
from array import array
from datetime import datetime
from itertools import chain, repeat
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
)
_COUNTS: Final = ("epoch", "step", "size_bytes")  # integers (epoch, step: or None)
_FLAGS: Final = ("is_best", "is_last")
_CONTAINERS: Final = {"metrics": dict, "sources": dict, "tags": tuple, "problems": tuple}
_FOLDER_TYPES: Final = (int, tuple, dict, tuple)
_LAYOUTS: Final = frozenset(kind.value for kind in LayoutKind)
_SIDECARS: Final = frozenset(state.value for state in SidecarState)
_MALFORMED: Final = (TypeError, ValueError, OverflowError)
_NOT_NAMES: Final = frozenset({"", ".", ".."})


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
            listed = set(chain.from_iterable(state[2] for state in folders.values()))
            problem = None if listed.issuperset(entries) else "an entry is on no listed checkpoint"
        return problem or _entries_problem(entries)
    except _MALFORMED:  # a built-in refused a value of the wrong type
        return "a value has the wrong type"


def _folders_problem(folders: dict[Any, Any], tops: tuple[str, ...]) -> str | None:
    inside = tuple(top.rstrip(os.sep) + os.sep for top in tops)
    names = list(folders)
    _text(names)
    if not all(folder in tops or folder.startswith(inside) for folder in names):
        return "it names a folder outside the scanned ones"
    states = list(folders.values())
    signatures = {tuple(map(type, state)) for state in states}
    if {type(state) for state in states} - {tuple} or signatures - {_FOLDER_TYPES}:
        return "a folder's state is malformed"
    return _listings_problem(names, states)


def _listings_problem(names: list[str], states: list[tuple[Any, ...]]) -> str | None:
    """Each folder lists only its own children, and well-formed stats of them."""
    listings = [(*state[1], *state[2]) for state in states]
    paths = list(chain.from_iterable(listings))
    _text(paths)
    # Each path is its folder, a separator and a name: a direct child.
    split = list(map(methodcaller("rpartition", os.sep), paths))
    owners = chain.from_iterable(map(repeat, names, map(len, listings)))
    if list(map(itemgetter(0), split)) != list(owners):
        return "a folder lists something that is not in it"
    if not _NOT_NAMES.isdisjoint(map(itemgetter(2), split)):
        return "a folder lists something that is not in it"
    checkpoints = [state[2] for state in states]
    in_folders = set(chain.from_iterable(state[3] for state in states))
    if not in_folders <= set(chain.from_iterable(checkpoints)):
        return "a folder checkpoint is listed by no folder"
    stats = list(chain.from_iterable(map(dict.values, checkpoints)))
    if {type(stat) for stat in stats} - {tuple} or set(map(len, stats)) - {3}:
        return "a checkpoint's stat is malformed"
    sizes, mtimes, seen = zip(*stats, strict=True) if stats else ((), (), ())
    array("q", chain(sizes, mtimes))
    return None if set(map(type, seen)) <= {bool} else "a checkpoint's stat is malformed"


def _entries_problem(entries: dict[str, Any]) -> str | None:
    cached = list(entries.values())
    if {type(item) for item in cached} - {tuple} or set(map(len, cached)) - {2}:
        return "an entry is malformed"
    rows = list(map(itemgetter(0), cached))
    if {type(row) for row in rows} - {tuple} or set(map(len, rows)) - {len(ENTRY_FIELDS)}:
        return "an entry is malformed"
    if not rows:
        return None
    column = dict(zip(ENTRY_FIELDS, zip(*rows, strict=True), strict=True))
    if list(column["path"]) != list(entries):
        return "an entry is filed under another path"
    depends = list(map(itemgetter(1), cached))
    return _columns_problem(column) or _contents_problem(column, depends)


def _columns_problem(column: dict[str, tuple[Any, ...]]) -> str | None:
    """Each field of every entry is of its type (a built-in raises on any other)."""
    if not set(column["layout"]) <= _LAYOUTS or not set(column["sidecar"]) <= _SIDECARS:
        return "an entry's layout or sidecar state is unknown"
    for name in _TEXT_OR_NONE:
        _text(filter(None, column[name]))  # None (and "") dropped: the rest must be text
    array("q", filter(None, chain.from_iterable(column[name] for name in _COUNTS)))
    if not set(map(type, chain.from_iterable(column[name] for name in _FLAGS))) <= {bool}:
        return "an entry's flags are not true or false"
    for name, kind in _CONTAINERS.items():
        if set(map(type, column[name])) - {kind}:
            return f"an entry's {name} is malformed"
    list(map(datetime.fromisoformat, filter(None, column["created_at"])))
    return None


def _contents_problem(column: dict[str, tuple[Any, ...]], depends: list[Any]) -> str | None:
    """What rows hold inside: folder names, tags, problems, sources, metrics."""
    shared = set(chain(depends, column["tags"], column["problems"]))  # rows share most
    if set(map(type, shared)) - {tuple}:
        return "an entry's folders, tags or problems are malformed"
    _text(chain.from_iterable(shared))
    sources = {id(value): value for value in column["sources"]}.values()
    _text(chain(chain.from_iterable(sources), chain.from_iterable(map(dict.values, sources))))
    metrics = column["metrics"]
    _text(chain.from_iterable(metrics))
    numbers = set(map(type, chain.from_iterable(map(dict.values, metrics))))
    return None if numbers <= {float, int} else "an entry's metrics are not numbers"


def _text(values: Iterable[Any]) -> None:
    """Raise ``TypeError`` unless every value is a string (``str.join`` checks, in C)."""
    "".join(values)
