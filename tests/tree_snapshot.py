"""Exact pictures of folder trees (paths, bytes, mtimes, links), for comparing before and after."""

from __future__ import annotations

import hashlib
import os
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from pathlib import Path

__all__ = ["Snapshot", "file_digests", "snapshot"]

Snapshot = dict[str, tuple[str, str, int]]
"""Relative POSIX path -> (kind ``d``/``f``/``l``, SHA-256 or link target, mtime in ns)."""


def snapshot(base: Path, *, with_folder_mtimes: bool = True) -> Snapshot:
    """Picture everything under ``base``, links not followed.

    Args:
        base: The folder.
        with_folder_mtimes: Include folders' mtimes (a file's is always in).

    Returns:
        The picture.
    """
    picture: Snapshot = {}
    top = os.fspath(base)
    for current, dirs, files in os.walk(top, followlinks=False):
        for name in dirs + files:
            path = os.path.join(current, name)  # noqa: PTH118
            relative = os.path.relpath(path, top).replace(os.sep, "/")
            stat = os.lstat(path)
            if os.path.islink(path):  # noqa: PTH114
                picture[relative] = ("l", os.readlink(path), 0)  # noqa: PTH115
            elif name in dirs:
                picture[relative] = ("d", "", stat.st_mtime_ns if with_folder_mtimes else 0)
            else:
                with open(path, "rb") as handle:  # noqa: PTH123
                    digest = hashlib.sha256(handle.read()).hexdigest()
                picture[relative] = ("f", digest, stat.st_mtime_ns)
    return picture


def file_digests(picture: Snapshot) -> dict[str, str]:
    """The SHA-256 of every regular file of a picture, by path."""
    return {path: digest for path, (kind, digest, _) in picture.items() if kind == "f"}
