"""Launch folders this process claimed: reused while empty, removed at exit when never used.

Hydra may compose a config more than once in one process (and a tool may
compose it only to print it), and every composition that reads
``hydra.run.dir`` asks for a launch folder. A folder this process claimed
and nothing has written into yet is still this launch's, so it is handed out
again instead of claiming a second one; a folder still empty when the process
exits was never used and is removed (``rmdir`` only ever removes an empty
folder), together with its date folder when that is empty too. A process
killed without a word can leave one empty folder behind.
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

_lock = threading.Lock()
_claims: dict[Path, Path] = {}  # output root -> the folder last claimed under it
_cleanup_registered = False


def claim_launch_dir(root: Path) -> Path:
    """A fresh launch folder under ``root``, or the one this process claimed and left empty.

    Args:
        root: The absolute output root.

    Returns:
        The launch folder, ``<root>/YYYY-MM-DD/HH-MM-SS[_n]``.

    Raises:
        LaunchDirAllocationError: The root cannot be created or written.
    """
    global _cleanup_registered  # noqa: PLW0603 (one process-wide exit hook)
    with _lock:
        previous = _claims.get(root)
        if previous is not None and _is_empty_folder(previous):
            return previous
        folder = allocate_launch_dir(root)
        _claims[root] = folder
        if not _cleanup_registered:
            atexit.register(release_unused_claims)
            _cleanup_registered = True
        return folder


def release_unused_claims() -> None:
    """Remove every folder this process claimed that is still empty (and its empty date folder)."""
    with _lock:
        claimed = list(_claims.values())
        _claims.clear()
    for folder in claimed:
        # rmdir refuses a folder with anything in it, so a used folder stays;
        # one another process removed or filled meanwhile is none of ours.
        with contextlib.suppress(OSError):
            folder.rmdir()
            folder.parent.rmdir()


def _is_empty_folder(folder: Path) -> bool:
    try:
        with os.scandir(folder) as entries:
            return next(entries, None) is None
    except OSError:
        return False  # gone or unreadable: not a folder to hand out again
