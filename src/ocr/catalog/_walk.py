"""The catalog's walk: every folder under the roots, and the checkpoints each holds.

A folder is listed again only when its mtime changed (creating, removing or
renaming anything in it changes it); an unchanged folder's listing comes
from the index, checked first (:mod:`ocr.catalog._index_payload`). What is a
checkpoint:

- a regular file ``*.ckpt``, or a link named so whose target is a regular
  file inside the scanned folders (a link out of them is never followed, a
  FIFO or device is no checkpoint);
- a folder ``*.ckpt`` (a sharded checkpoint): one checkpoint, its size the
  total of its files, never walked into and never opened. Its own mtime is
  stat'ed on every scan (a shard added or replaced changes it, not its
  parent's), and its folder listed again when it changed.

A folder that cannot be listed is remembered as unlisted (mtime ``-1``), so
it is listed again on the next scan instead of being taken for empty.
"""

from __future__ import annotations

import logging
import os
import stat as stat_module
import sys
from typing import TYPE_CHECKING, Final

from ocr._folder_checkpoint import folder_checkpoint_size
from ocr.naming import CHECKPOINT_SUFFIX, sidecar_name

if TYPE_CHECKING:
    from pathlib import Path

__all__ = ["UNLISTED", "Folder", "Stat", "walk"]

_log = logging.getLogger(__name__)

Stat = tuple[int, int, bool]
"""A checkpoint as the walk saw it: (size, mtime_ns, has a sidecar)."""
Folder = tuple[int, tuple[str, ...], dict[str, Stat], tuple[str, ...]]
"""A folder: (mtime_ns, subfolder paths, {checkpoint path: its Stat}, folder checkpoints)."""
UNLISTED: Final = -1
"""The mtime a folder that could not be listed is remembered with: never equal to a real one."""


def walk(tops: list[Path], known: dict[str, Folder], *, skip: str) -> dict[str, Folder]:
    """Walk the tops, reusing what ``known`` says of unchanged folders.

    Args:
        tops: The root and its legacy folders.
        known: Folder -> its state from the index (a hint).
        skip: A folder not to walk (the root's ``.ocr``).

    Returns:
        Folder -> its state now.
    """
    # Paths stay the strings os.scandir gives: building Path objects for every
    # folder would cost more than the walk itself.
    folders: dict[str, Folder] = {}
    inside = tuple(os.path.realpath(top) for top in tops)
    stack = [sys.intern(str(top)) for top in tops if top.is_dir()]
    while stack:
        folder = stack.pop()
        try:
            mtime_ns = os.stat(folder).st_mtime_ns  # noqa: PTH116 (no Path objects in the hot walk)
        except OSError:
            continue  # removed while we walked
        state = known.get(folder)
        if state is None or state[0] != mtime_ns or (state[3] and not _shards_unchanged(state)):
            state = _list(folder, mtime_ns, inside)
        folders[folder] = state
        stack.extend(sub for sub in state[1] if sub != skip)
    return folders


def _shards_unchanged(state: Folder) -> bool:
    """Whether the folder checkpoints of a reused listing are as they were (rare, and few)."""
    _, _, checkpoints, in_folders = state
    for path in in_folders:
        try:
            if os.stat(path).st_mtime_ns != checkpoints[path][1]:  # noqa: PTH116 (a string)
                return False
        except OSError:
            return False
    return True


def _list(folder: str, mtime_ns: int, inside: tuple[str, ...]) -> Folder:
    subfolders: list[str] = []
    checkpoints: dict[str, Stat] = {}
    in_folders: list[str] = []
    try:
        with os.scandir(folder) as listing:
            entries = list(listing)
    except OSError as exc:
        _log.warning("cannot list %s: %s", folder, exc)
        return (UNLISTED, (), {}, ())
    names = {entry.name for entry in entries}
    for entry in entries:
        is_checkpoint = entry.name.endswith(CHECKPOINT_SUFFIX)
        # Folder links are not followed: they can loop or leave the tree.
        if entry.is_dir(follow_symlinks=False):
            if not is_checkpoint:
                subfolders.append(sys.intern(entry.path))
                continue
            size = folder_checkpoint_size(entry.path)
            found: Stat | None = (size, entry.stat().st_mtime_ns, False)
            in_folders.append(entry.path)
        elif is_checkpoint:
            found = _file_stat(entry, inside)
        else:
            continue
        if found is not None:
            size, mtime, _ = found
            checkpoints[entry.path] = (size, mtime, sidecar_name(entry.name) in names)
    return (mtime_ns, tuple(sorted(subfolders)), checkpoints, tuple(in_folders))


def _file_stat(entry: os.DirEntry[str], inside: tuple[str, ...]) -> Stat | None:
    """A checkpoint file's stat; ``None`` for a link out, a dangling link or a special file."""
    if entry.is_symlink() and not _leads_inside(entry.path, inside):
        return None  # a link out of the tree: not ours to list (nor to stat)
    try:
        found = entry.stat()
    except OSError:
        return None  # a dangling link is no checkpoint
    if not stat_module.S_ISREG(found.st_mode):
        return None  # a FIFO, device or socket named *.ckpt holds no checkpoint
    return (found.st_size, found.st_mtime_ns, False)


def _leads_inside(link: str, tops: tuple[str, ...]) -> bool:
    """Whether a link's target lies inside one of the scanned folders."""
    target = os.path.realpath(link)
    return any(target == top or target.startswith(top + os.sep) for top in tops)
