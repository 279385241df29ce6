"""Copies that are verified before anything relies on them.

A copy goes to ``<name>.ocr-partial``, is checked against its source (size
and SHA-256 of every file), and only then renamed into place: a file or
folder at the destination is always complete, and a source is removed only
after its copy matched it.
"""

from __future__ import annotations

import hashlib
import os
import shutil
from typing import TYPE_CHECKING, Final

from ocr.errors import MigrationCopyError

if TYPE_CHECKING:
    from pathlib import Path

__all__ = ["copy_verified", "partial_path", "remove_path", "same_contents"]

_PARTIAL_SUFFIX: Final = ".ocr-partial"
_CHUNK: Final = 1024 * 1024


def same_contents(first: Path, second: Path) -> bool:
    """Whether two files, links or folders hold the same names, link targets and bytes."""
    return _digest_tree(first) == _digest_tree(second)


def copy_verified(source: Path, destination: Path) -> None:
    """Copy a file, link or folder; verified; complete at ``destination`` or not there.

    Args:
        source: What to copy.
        destination: Where the copy goes; nothing is done when something is there.

    Raises:
        MigrationCopyError: A copied file does not match its source (it is removed).
    """
    if os.path.lexists(destination):
        return
    partial = partial_path(destination)
    remove_path(partial)
    _copy_any(source, partial)
    partial.rename(destination)


def _copy_any(source: Path, destination: Path) -> None:
    """Copy a link (as a link), a folder (with what it holds) or a file, verified."""
    if source.is_symlink():
        destination.symlink_to(source.readlink())
    elif source.is_dir():
        destination.mkdir()
        for child in sorted(source.iterdir()):
            _copy_any(child, destination / child.name)
        shutil.copystat(source, destination, follow_symlinks=False)
    else:
        _copy_file(source, destination)


def _copy_file(source: Path, destination: Path) -> None:
    digest = hashlib.sha256()
    with source.open("rb") as reader, destination.open("wb") as writer:
        while chunk := reader.read(_CHUNK):
            digest.update(chunk)
            writer.write(chunk)
        writer.flush()
        os.fsync(writer.fileno())
    shutil.copystat(source, destination)
    if (
        destination.stat().st_size != source.stat().st_size
        or _digest(destination) != digest.digest()
    ):
        remove_path(destination)
        raise MigrationCopyError(
            f"the copy of {str(source)!r} does not match it (size or SHA-256); the source is kept",
            fix="Check the disk holding the destination, then run the command again",
            path=source,
        )


def _digest(path: Path) -> bytes:
    digest = hashlib.sha256()
    with path.open("rb") as reader:
        while chunk := reader.read(_CHUNK):
            digest.update(chunk)
    return digest.digest()


def _digest_tree(path: Path) -> list[tuple[str, bytes | str]]:
    """Names and contents under a path (links by target), for comparing two copies."""
    if path.is_symlink():
        return [("", str(path.readlink()))]
    if not path.is_dir():
        return [("", _digest(path))]
    found: list[tuple[str, bytes | str]] = []
    for child in sorted(path.rglob("*")):
        relative = child.relative_to(path).as_posix()
        if child.is_symlink():
            found.append((relative, str(child.readlink())))
        elif child.is_file():
            found.append((relative, _digest(child)))
        else:
            found.append((relative, "/"))
    return found


def partial_path(path: Path) -> Path:
    """Where the copy to ``path`` is made before it is complete."""
    return path.with_name(path.name + _PARTIAL_SUFFIX)


def remove_path(path: Path) -> None:
    """Remove a file, link or folder (with what it holds), if there is one."""
    if path.is_symlink() or path.is_file():
        path.unlink()
    elif path.is_dir():
        shutil.rmtree(path)
