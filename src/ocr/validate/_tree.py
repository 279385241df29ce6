"""One plain walk of an output root: what is really on disk, independent of any index.

The checks compare it with what the catalog and the registry see. Like the
catalog, the walk does not follow folder links (they can loop or leave the
tree), skips ocr's own state folder (``<root>/.ocr``), and takes a folder
named ``*.ckpt`` (a sharded checkpoint) for one checkpoint, whose size is the
total of its files, without walking into it.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Final

from ocr._folder_checkpoint import folder_checkpoint_size
from ocr.layout import RootLayout, RunLayout
from ocr.naming import CHECKPOINT_SUFFIX, SIDECAR_SUFFIX
from ocr.validate._report import Problem, ProblemKind, display_path

if TYPE_CHECKING:
    from pathlib import Path

__all__ = ["TreeListing", "folder_unreadable", "list_tree"]

_SIDECAR_ENDING: Final = CHECKPOINT_SUFFIX + SIDECAR_SUFFIX


@dataclass
class TreeListing:
    """The files of an output root that the checks look at, as path strings.

    Attributes:
        checkpoints: Checkpoint file (or folder) -> its size in bytes (``None``
            when it cannot be stat'ed, e.g. a dangling link).
        sidecars: ocr sidecar files (``*.ckpt.meta.json``).
        records: Experiment record files (``run.json``), wherever they are.
        unreadable: Folders that could not be listed, with the reason.
    """

    checkpoints: dict[str, int | None] = field(default_factory=dict)
    sidecars: list[str] = field(default_factory=list)
    records: list[str] = field(default_factory=list)
    unreadable: dict[str, str] = field(default_factory=dict)


def list_tree(root: Path) -> TreeListing:
    """Walk an output root once.

    Args:
        root: The output root (absolute, resolved).

    Returns:
        Its checkpoints, sidecars and records, each list in path order.
    """
    # Paths stay the strings os.scandir gives, spelled as the catalog spells
    # them, so the two can be compared without building Path objects.
    listing = TreeListing()
    skip = str(RootLayout(root).state_dir)
    record_name = RunLayout(root).record_file.name
    stack = [str(root)]
    while stack:
        folder = stack.pop()
        try:
            with os.scandir(folder) as found:
                entries = list(found)
        except OSError as exc:
            listing.unreadable[folder] = exc.strerror or str(exc)
            continue
        for entry in entries:
            is_checkpoint = entry.name.endswith(CHECKPOINT_SUFFIX)
            if entry.is_dir(follow_symlinks=False):
                if is_checkpoint:
                    listing.checkpoints[entry.path] = folder_checkpoint_size(entry.path)
                elif entry.path != skip:
                    stack.append(entry.path)
            elif is_checkpoint:
                listing.checkpoints[entry.path] = _size(entry)
            elif entry.name.endswith(_SIDECAR_ENDING):
                listing.sidecars.append(entry.path)
            elif entry.name == record_name:
                listing.records.append(entry.path)
    listing.checkpoints = dict(sorted(listing.checkpoints.items()))
    listing.sidecars.sort()
    listing.records.sort()
    return listing


def _size(entry: os.DirEntry[str]) -> int | None:
    try:
        return entry.stat().st_size
    except OSError:
        return None  # a dangling link or a file removed while we walk: no size to compare


def folder_unreadable(root: Path, folder: str | Path, why: str) -> Problem:
    """The problem of a folder that cannot be listed.

    Args:
        root: The output root.
        folder: The folder.
        why: The reason (the OS error's text).

    Returns:
        The problem; equal however often the folder is met, so it is reported once.
    """
    return Problem.of(
        ProblemKind.FOLDER_UNREADABLE,
        display_path(root, folder),
        f"the folder cannot be listed ({why}), so nothing in it can be checked. Make it readable",
    )
