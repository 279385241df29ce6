"""Making things in a migrated tree without harm: scratch names, verified copies.

**Scratch names.** A verified copy, a re-pointed link and a rewritten file are first made under a
temporary name, then renamed into place. A temporary name beside the user's
file (``data.ocr-partial``) could be one of the user's own files, which the
next try would delete. So every temporary name is a fresh random name created
exclusively (``mkdir``, ``O_EXCL``, ``symlink`` all fail on an existing name)
inside the migration's own folder, ``<root>/.ocr/migrations/<id>/partial/``.
A rename cannot cross filesystems, so a destination on another filesystem (a
legacy sweep folder on a scratch disk, during a rollback) gets a folder of its
own at the top of its tree, ``<top>/.ocr-partial-<id>``, named after the
migration. Every scratch folder is emptied when a run starts (what a kill left
is not whole) and removed when it ends.

**Verified copies.** A copy is made under a fresh temporary name (:class:`Scratch`),
checked against its source (size and SHA-256 of every file), and only then
renamed into place: a file or folder at the destination is always complete,
and a source is removed only after its copy matched it. Links are copied as
links and FIFOs and device nodes as such (never opened: a FIFO would hang the
read); a socket cannot be copied and is refused.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import secrets
import shutil
import stat
from typing import TYPE_CHECKING, Final

from ocr.errors import MigrationCopyError

if TYPE_CHECKING:
    from collections.abc import Sequence
    from pathlib import Path

    from ocr.layout import MigrationLayout

__all__ = ["Scratch", "copy_verified", "remove_path", "same_contents"]

_CHUNK: Final = 1024 * 1024


class Scratch:
    """The temporary places of one migration.

    Args:
        migration: The migration's folder (``<root>/.ocr/migrations/<id>``).
        tops: The folders the migration may write in (the root first).
    """

    def __init__(self, migration: MigrationLayout, tops: Sequence[Path]) -> None:
        self._own = migration.partial_dir
        self._tops = [top for top in tops if top.is_dir()]
        self._others = [migration.partial_dir_beside(top) for top in self._tops]
        self._devices: dict[Path, int] = {}

    def name_for(self, destination: Path) -> Path:
        """A fresh temporary name on ``destination``'s filesystem (nothing is created).

        Args:
            destination: Where the finished thing will be renamed to.

        Returns:
            A path in a scratch folder that nothing else uses; the caller
            creates it exclusively.
        """
        return self.folder_for(destination) / secrets.token_hex(8)

    def folder_for(self, destination: Path) -> Path:
        """The scratch folder on ``destination``'s filesystem (made when missing).

        Args:
            destination: Where the finished thing will be renamed to.

        Returns:
            The folder, which exists.
        """
        folder = self._folder_for(destination)
        folder.mkdir(parents=True, exist_ok=True)
        return folder

    def clear(self) -> None:
        """Remove every scratch folder and what a killed run left in it."""
        for folder in (self._own, *self._others):
            with contextlib.suppress(FileNotFoundError):  # nothing was left: nothing to do
                shutil.rmtree(folder)

    def _folder_for(self, destination: Path) -> Path:
        parent = destination.parent
        while not parent.is_dir():  # a folder a later step creates
            parent = parent.parent
        own_device = self._device(self._nearest(self._own))
        if self._device(parent) == own_device:
            return self._own
        text = str(destination)
        for top, folder in zip(self._tops, self._others, strict=True):
            if text.startswith(str(top) + os.sep):
                return folder
        return self._own  # pragma: no cover - steps only write inside the tops

    def _device(self, folder: Path) -> int:
        if folder not in self._devices:
            self._devices[folder] = folder.stat().st_dev
        return self._devices[folder]

    @staticmethod
    def _nearest(folder: Path) -> Path:
        while not folder.is_dir():
            folder = folder.parent
        return folder


def same_contents(first: Path, second: Path) -> bool:
    """Whether two files, links or folders hold the same names, link targets and bytes."""
    return _digest_tree(first) == _digest_tree(second)


def copy_verified(source: Path, destination: Path, *, scratch: Scratch) -> None:
    """Copy a file, link or folder; verified; complete at ``destination`` or not there.

    Args:
        source: What to copy.
        destination: Where the copy goes; nothing is done when something is there.
        scratch: Where the copy is made before it is whole.

    Raises:
        MigrationCopyError: A copied file does not match its source, or the
            source holds something that cannot be copied (a socket); the
            partial copy is removed, the source kept.
    """
    if os.path.lexists(destination):
        return
    partial = scratch.name_for(destination)
    try:
        _copy_any(source, partial)
        partial.rename(destination)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):  # never made, or already renamed
            remove_path(partial)
        raise


def _copy_any(source: Path, destination: Path) -> None:
    """Copy a link (as a link), a folder (with what it holds) or a file, verified.

    Every name is created exclusively: a name that exists is never replaced.
    """
    mode = source.lstat().st_mode
    if stat.S_ISLNK(mode):
        destination.symlink_to(source.readlink())
    elif stat.S_ISDIR(mode):
        destination.mkdir()
        for child in sorted(source.iterdir()):
            _copy_any(child, destination / child.name)
        shutil.copystat(source, destination, follow_symlinks=False)
    elif stat.S_ISREG(mode):
        _copy_file(source, destination)
    else:
        _copy_special(source, destination, mode)


def _copy_file(source: Path, destination: Path) -> None:
    digest = hashlib.sha256()
    with source.open("rb") as reader, destination.open("xb") as writer:
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


def _copy_special(source: Path, destination: Path, mode: int) -> None:
    """A FIFO or device node is made anew (same kind, mode and times); a socket cannot be."""
    if stat.S_ISSOCK(mode):
        raise MigrationCopyError(
            f"{str(source)!r} is a socket, which cannot be copied; the source is kept",
            fix="Remove the socket (a leftover of a program that ran there), then run the "
            "command again",
            path=source,
        )
    try:
        if stat.S_ISFIFO(mode):
            os.mkfifo(destination, stat.S_IMODE(mode))
        else:
            os.mknod(destination, mode, source.lstat().st_rdev)
    except PermissionError as exc:
        raise MigrationCopyError(
            f"{str(source)!r} is a device node, which only root may make a copy of; "
            "the source is kept",
            fix="Remove the device node from the tree, or run the command as root",
            path=source,
        ) from exc
    shutil.copystat(source, destination, follow_symlinks=False)


def _digest(path: Path) -> bytes:
    digest = hashlib.sha256()
    with path.open("rb") as reader:
        while chunk := reader.read(_CHUNK):
            digest.update(chunk)
    return digest.digest()


def _digest_tree(path: Path) -> list[tuple[str, bytes | str]]:
    """Names and contents under a path (links by target), for comparing two copies."""
    found: list[tuple[str, bytes | str]] = [("", _digest_one(path))]
    if stat.S_ISDIR(path.lstat().st_mode):
        for current, folders, files in os.walk(path):
            for name in sorted(folders + files):
                child = path.joinpath(current, name)
                found.append((child.relative_to(path).as_posix(), _digest_one(child)))
    return sorted(found)


def _digest_one(path: Path) -> bytes | str:
    """A file's SHA-256; a link's target; what kind of thing anything else is."""
    status = path.lstat()
    if stat.S_ISLNK(status.st_mode):
        return "link:" + str(path.readlink())
    if stat.S_ISREG(status.st_mode):
        return _digest(path)
    if stat.S_ISDIR(status.st_mode):
        return "/"
    return f"special:{stat.S_IFMT(status.st_mode)}:{status.st_rdev}"


def remove_path(path: Path) -> None:
    """Remove a file, link, special file or folder (with what it holds), if there is one."""
    try:
        mode = path.lstat().st_mode
    except FileNotFoundError:
        return
    if stat.S_ISDIR(mode):
        shutil.rmtree(path)
    else:
        path.unlink()
