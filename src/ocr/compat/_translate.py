"""Old path to new path, through the mappings the migrator leaves behind.

The mapping files and their format are described in :mod:`ocr.compat._mapping`
and docs/compat.md. :func:`translate` warns once per path and process with
:class:`LegacyPathWarning` and a log line, so every caller of an old path learns
the new one before legacy support goes.
"""

from __future__ import annotations

import functools
import logging
import threading
import warnings
from typing import TYPE_CHECKING, Final

from ocr.compat._mapping import MigrationMapping, mapping_files, read_mapping
from ocr.compat._switch import require_legacy_enabled
from ocr.errors import LegacyPathNotMappedError
from ocr.layout import resolve_user_path

if TYPE_CHECKING:
    from collections.abc import Iterable
    from pathlib import Path

__all__ = ["LegacyPathWarning", "load_mappings", "merge_mappings", "translate"]

_logger = logging.getLogger(__name__)


class LegacyPathWarning(DeprecationWarning):
    """A legacy path was used; it has moved to the new layout."""


def load_mappings(root: Path) -> dict[Path, Path]:
    """Read every migration mapping of a root into one absolute old -> new mapping.

    Migrations apply oldest first (``created_at``, then ID): a later one that
    maps the same old path wins, and a later one that moved an earlier one's
    new path (or a folder holding it) carries that entry along. Entries of one
    migration never chain into each other, so a swap (a -> b, b -> a) stays one.

    Args:
        root: The output root (absolute).

    Returns:
        Old path -> new path, absolute.

    Raises:
        MigrationMappingInvalidError: A mapping file is not JSON or breaks the schema.
        MigrationMappingVersionError: A mapping file was written by a newer ocr.
        OSError: A mapping file cannot be read.
    """
    return merge_mappings([read_mapping(path) for path in mapping_files(root)], root=root)


def merge_mappings(mappings: Iterable[MigrationMapping], *, root: Path) -> dict[Path, Path]:
    """Merge mappings already read into one absolute old -> new mapping.

    Args:
        mappings: The root's mappings, in any order (they are applied oldest first).
        root: The output root (absolute).

    Returns:
        Old path -> new path, absolute, as :func:`load_mappings` describes.
    """
    merged: dict[Path, Path] = {}
    for mapping in sorted(mappings, key=lambda found: (found.created_at, found.migration_id)):
        moves = {
            mapping.path_of(old, root=root): mapping.path_of(new, root=root)
            for old, new in mapping.entries.items()
        }
        merged = {old: _look_up(moves, new) or new for old, new in merged.items()} | moves
    return merged


def translate(old_path: Path, *, root: Path) -> Path:
    """The new path of a legacy checkpoint, file or folder, after migration.

    Warns once per path and process with :class:`LegacyPathWarning` and logs
    the same line, so callers learn the new path.

    Args:
        old_path: The path as it was before migration.
        root: The output root that was migrated.

    Returns:
        The new path (a file inside a migrated folder maps to the same file in
        the folder's new place).

    Raises:
        LegacySupportDisabledError: Legacy support is off.
        LegacyPathNotMappedError: No migration of ``root`` maps the path.
        MigrationMappingInvalidError: A mapping file is not valid.
        MigrationMappingVersionError: A mapping file was written by a newer ocr.
    """
    old, root = resolve_user_path(old_path), resolve_user_path(root)
    require_legacy_enabled("translate", old)
    new = _look_up(_cached_mappings(root, _signature(root)), old)
    if new is None:
        raise LegacyPathNotMappedError(
            f"no migration of {str(root)!r} maps {str(old)!r}",
            fix="Migrate the tree first (`ocr migrate apply ROOT`), or pass a path that a migration moved",
            path=old,
        )
    if _is_first_use(old):
        message = f"legacy path {str(old)!r} has moved to {str(new)!r}; use the new path"
        _logger.warning(message)
        warnings.warn(message, LegacyPathWarning, stacklevel=2)
    return new


def _look_up(moves: dict[Path, Path], path: Path) -> Path | None:
    """Where ``path`` went: its own entry, or the entry of the nearest folder holding it."""
    if (new := moves.get(path)) is not None:
        return new
    folder = next((parent for parent in path.parents if parent in moves), None)
    return None if folder is None else moves[folder] / path.relative_to(folder)


def _signature(root: Path) -> tuple[tuple[Path, int, int], ...]:
    stats = ((path, path.stat()) for path in mapping_files(root))
    return tuple((path, stat.st_mtime_ns, stat.st_size) for path, stat in stats)


@functools.lru_cache(maxsize=16)
def _cached_mappings(root: Path, signature: tuple[tuple[Path, int, int], ...]) -> dict[Path, Path]:
    """:func:`load_mappings`, reused while no mapping file changes (``signature``)."""
    del signature
    return load_mappings(root)


_WARNED: Final[set[Path]] = set()
_WARNED_LOCK: Final = threading.Lock()


def _is_first_use(old: Path) -> bool:
    """Whether this process has not warned about ``old`` yet (and from now on, has)."""
    with _WARNED_LOCK:
        if old in _WARNED:
            return False
        _WARNED.add(old)
        return True
