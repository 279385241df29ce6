"""Launch folders this process claimed: reused while empty, removed at exit when never used.

Hydra may compose a config more than once in one process, and OmegaConf
resolves ``hydra.run.dir`` while it merges a later config over it (before the
command-line overrides are in); each resolution asks for a launch folder. A
folder this process claimed under the same root that nothing has written into
yet is still this launch's, so it is handed out again instead of a second one.
A folder still empty when the process exits was never used and is removed,
together with the folders its claim created (its date folder, and the output
root itself when the claim made it); ``rmdir`` only ever removes an empty
folder. A process killed without a word can leave one empty folder behind.
"""

from __future__ import annotations

import atexit
import contextlib
import os
import threading
from typing import TYPE_CHECKING

from ocr.layout._names import allocate_launch_dir

if TYPE_CHECKING:
    from pathlib import Path

__all__ = ["claim_launch_dir", "release_unused_claims"]


class _Claims:
    """This process's claims: root -> (folder, the folders the claim created, deepest first)."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.by_root: dict[Path, tuple[Path, list[Path]]] = {}
        self.released: list[tuple[Path, list[Path]]] = []
        self.hooked = False


_CLAIMS = _Claims()


def claim_launch_dir(root: Path) -> Path:
    """A fresh launch folder under ``root``, or the one this process claimed and left empty.

    Args:
        root: The absolute output root.

    Returns:
        The launch folder, ``<root>/YYYY-MM-DD/HH-MM-SS[_n]``.

    Raises:
        LaunchDirAllocationError: The root cannot be created or written.
    """
    with _CLAIMS.lock:
        previous = _CLAIMS.by_root.get(root)
        if previous is not None and _is_empty_folder(previous[0]):
            return previous[0]
        if previous is not None:
            _CLAIMS.released.append(previous)  # used: kept, but still checked at exit
        missing = [p for p in (root, *root.parents) if not p.exists()]  # deepest first
        folder = allocate_launch_dir(root)
        # The date folder may have existed; an empty one is removed all the same
        # (allocate_launch_dir makes it again when another process needs it).
        _CLAIMS.by_root[root] = (folder, [folder.parent, *missing])
        if not _CLAIMS.hooked:
            atexit.register(release_unused_claims)
            _CLAIMS.hooked = True
        return folder


def release_unused_claims() -> None:
    """Remove every folder this process claimed that is still empty, and what its claim made."""
    with _CLAIMS.lock:
        claims = [*_CLAIMS.by_root.values(), *_CLAIMS.released]
        _CLAIMS.by_root.clear()
        _CLAIMS.released.clear()
    for folder, created in claims:
        # rmdir refuses a folder with anything in it, so a used folder (and the
        # folders holding it) stay, and so does one another process filled.
        for empty in (folder, *created):
            with contextlib.suppress(OSError):
                empty.rmdir()


def _is_empty_folder(folder: Path) -> bool:
    try:
        with os.scandir(folder) as entries:
            return next(entries, None) is None
    except OSError:
        return False  # gone or unreadable: not a folder to hand out again
