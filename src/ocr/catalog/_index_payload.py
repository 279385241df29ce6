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
"""

from __future__ import annotations

import os
from datetime import datetime
from typing import TYPE_CHECKING, Any, Final, TypeGuard

from ocr.catalog._entry import ENTRY_FIELDS, LayoutKind, SidecarState

if TYPE_CHECKING:
    from collections.abc import Sequence

__all__ = ["index_problem"]

_NONE: Final = type(None)
_TEXT_OR_NONE: Final = (str, _NONE)
# The type each field of an entry row may have (CatalogEntry.as_row).
_ROW_TYPES: Final[dict[str, tuple[type, ...]]] = {
    "path": (str,),
    "layout": (str,),
    "sidecar": (str,),
    "run_dir": _TEXT_OR_NONE,
    "experiment_id": _TEXT_OR_NONE,
    "name": _TEXT_OR_NONE,
    "created_at": _TEXT_OR_NONE,
    "architecture": _TEXT_OR_NONE,
    "encoder": _TEXT_OR_NONE,
    "decoder": _TEXT_OR_NONE,
    "head": _TEXT_OR_NONE,
    "epoch": (int, _NONE),
    "step": (int, _NONE),
    "metrics": (dict,),
    "is_best": (bool,),
    "is_last": (bool,),
    "size_bytes": (int,),
    "config_hash": _TEXT_OR_NONE,
    "status": _TEXT_OR_NONE,
    "tags": (tuple,),
    "sources": (dict,),
    "problems": (tuple,),
    "monitor": _TEXT_OR_NONE,
}
_TYPES: Final = tuple(_ROW_TYPES[name] for name in ENTRY_FIELDS)
_CREATED: Final = ENTRY_FIELDS.index("created_at")
# Containers of a row: (field index, key type or None for a tuple, allowed value types).
_CONTAINERS: Final = (
    (ENTRY_FIELDS.index("metrics"), str, (float, int)),
    (ENTRY_FIELDS.index("sources"), str, (str,)),
    (ENTRY_FIELDS.index("tags"), None, (str,)),
    (ENTRY_FIELDS.index("problems"), None, (str,)),
)
_LAYOUTS: Final = frozenset(kind.value for kind in LayoutKind)
_SIDECARS: Final = frozenset(state.value for state in SidecarState)


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
    inside = tuple(top.rstrip(os.sep) + os.sep for top in tops)
    listed: set[str] = set()
    for folder, state in folders.items():
        problem = _folder_problem(folder, state, inside)
        if problem is not None:
            return problem
        listed.update(state[2])
    seen: set[int] = set()
    for path, cached in entries.items():
        problem = _entry_problem(path, cached, listed, seen)
        if problem is not None:
            return problem
    return None


def _folder_problem(folder: object, state: object, inside: tuple[str, ...]) -> str | None:
    if type(folder) is not str or not (folder + os.sep).startswith(inside):
        return f"it names a folder outside the scanned ones ({folder!r})"
    if not _is_folder_state(state):
        return f"the state of {folder!r} is malformed"
    _, subfolders, checkpoints, in_folders = state
    strays = [path for path in (*subfolders, *checkpoints) if not _is_child(path, folder)]
    if strays:
        return f"{folder!r} lists something that is not in it ({strays[0]!r})"
    if not all(type(stat) is tuple and _is_stat(stat) for stat in checkpoints.values()):
        return f"a checkpoint's stat in {folder!r} is malformed"
    if not set(in_folders) <= checkpoints.keys():
        return f"{folder!r} lists a folder checkpoint it does not hold"
    return None


def _is_folder_state(
    state: object,
) -> TypeGuard[tuple[int, tuple[str, ...], dict[str, Any], tuple[str, ...]]]:
    if type(state) is not tuple or len(state) != 4:
        return False
    kinds = (int, tuple, dict, tuple)
    return all(type(part) is kind for part, kind in zip(state, kinds, strict=True))


def _entry_problem(path: object, cached: object, listed: set[str], seen: set[int]) -> str | None:
    if type(path) is not str or path not in listed:
        return f"an entry is on no listed checkpoint ({path!r})"
    row, depends = cached if type(cached) is tuple and len(cached) == 2 else ((), None)
    if type(row) is not tuple or len(row) != len(_TYPES) or row[0] != path:
        return f"the entry of {path!r} is malformed"
    if type(depends) is not tuple or not all(type(folder) is str for folder in depends):
        return f"the entry of {path!r} is malformed"
    fits = all(type(value) in types for value, types in zip(row, _TYPES, strict=True))
    if not fits or row[1] not in _LAYOUTS or row[2] not in _SIDECARS:
        return f"a field of {path!r} has the wrong type or value"
    return _containers_problem(path, row, seen)


def _containers_problem(path: str, row: tuple[Any, ...], seen: set[int]) -> str | None:
    """The time, metrics, sources, tags and problems of a row hold what they should.

    Rows share their containers (marshal keeps them shared), so each is checked once.
    """
    created = row[_CREATED]
    if created is not None:
        try:
            datetime.fromisoformat(created)
        except ValueError:
            return f"the time of {path!r} is malformed"
    for index, keys, values in _CONTAINERS:
        shared = row[index]
        if id(shared) in seen:
            continue
        items = shared.items() if keys is not None else (("", item) for item in shared)
        if not all(type(key) is str and type(value) in values for key, value in items):
            return f"a field of {path!r} holds values of the wrong type"
        seen.add(id(shared))
    return None


def _is_child(path: object, folder: str) -> bool:
    return (
        type(path) is str
        and path.startswith(folder + os.sep)
        and os.sep not in path[len(folder) + 1 :]
        and path[len(folder) + 1 :] not in ("", ".", "..")
    )


def _is_stat(stat: tuple[Any, ...]) -> bool:
    if len(stat) != 3:
        return False
    size, mtime_ns, has_sidecar = stat
    return type(size) is int and type(mtime_ns) is int and type(has_sidecar) is bool
