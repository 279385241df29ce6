"""Doing and undoing one step, safely from any state a kill may have left.

Every step looks at the tree before acting, so doing a done step, or undoing
a step that never ran, changes nothing: that is what lets a journal batch be
replayed after a crash. Every path is checked first: it must lie inside the
folders the migration was given, reached without passing through a link, and
a file is never written through a link.

A move is a rename; across filesystems it is a copy verified by size and
SHA-256 (:mod:`ocr.migrate._copy`), then the removal of the source.
"""

from __future__ import annotations

import errno
import os
from typing import TYPE_CHECKING

from ocr.atomic import atomic_write_bytes
from ocr.errors import MigrationConfinementError, MigrationConflictError
from ocr.migrate._copy import copy_verified, partial_path, remove_path, same_contents
from ocr.migrate._model import Action, ActionKind
from ocr.migrate._rewrite import rewrite_paths

if TYPE_CHECKING:
    from collections.abc import Iterable
    from pathlib import Path

__all__ = ["StepRunner"]


class StepRunner:
    """Does and undoes steps inside a set of allowed folders.

    Args:
        base: The folder every step's paths are relative to.
        tops: The folders steps may touch (the output root, legacy
            ``multirun``/``wandb``), relative to ``base``.
    """

    def __init__(self, base: Path, tops: Iterable[str]) -> None:
        self.base = base
        self._allowed = [os.path.realpath(base / top) for top in tops]
        self._real_parents: dict[Path, str] = {}
        self.leftovers: list[str] = []

    def do(self, action: Action) -> None:
        """Do one step (nothing when it is already done).

        Args:
            action: The step.

        Raises:
            MigrationConflictError: Something unplanned is in the way.
            MigrationConfinementError: The step would leave the allowed folders.
            MigrationCopyError: A copy did not verify.
        """
        path = self._checked(action.path)
        match action.kind:
            case ActionKind.MKDIR:
                path.mkdir(exist_ok=True)
            case ActionKind.MOVE:
                self._move(self._source(action), path)
            case ActionKind.COPY:
                copy_verified(self._source(action), path)
            case ActionKind.REWRITE:
                self._rewrite(action, path)
            case ActionKind.WRITE:
                self._write(action, path)
            case ActionKind.RMDIR:
                self._remove_folder(path)
            case ActionKind.RELINK:
                ((old, new),) = action.replacements
                _repoint(path, old, new)

    def undo(self, action: Action) -> None:
        """Undo one step (nothing when it never ran or is already undone).

        Args:
            action: The step.

        Raises:
            MigrationConflictError: The tree is not in any state the step can leave.
            MigrationConfinementError: The step would leave the allowed folders.
        """
        path = self._checked(action.path)
        match action.kind:
            case ActionKind.MKDIR:
                self._remove_folder(path)
            case ActionKind.MOVE:
                self._move(path, self._source(action))
            case ActionKind.COPY:
                remove_path(path)
                remove_path(partial_path(path))
            case ActionKind.REWRITE | ActionKind.WRITE:
                self._restore(action, path)
            case ActionKind.RMDIR:
                path.mkdir(exist_ok=True)
            case ActionKind.RELINK:
                ((old, new),) = action.replacements
                if os.path.lexists(path):
                    _repoint(path, new, old)

    # -- paths -----------------------------------------------------------------

    def _checked(self, relative: str) -> Path:
        """The absolute path, once it is known to stay inside the allowed folders."""
        path = self.base / relative
        parent = self._real_parents.get(path.parent)
        if parent is None:
            # Steps touch the same few folders over and over; the migration
            # itself never turns a folder into a link, so the answer holds.
            parent = self._real_parents[path.parent] = os.path.realpath(path.parent)
        if not any(parent == top or parent.startswith(top + os.sep) for top in self._allowed):
            raise MigrationConfinementError(
                f"refusing to touch {str(path)!r}: it is outside the migrated folders or "
                "reached through a link",
                fix="Remove the link, or migrate the folder it points to on its own",
                path=path,
            )
        return path

    def _source(self, action: Action) -> Path:
        assert action.source is not None  # moves and copies always have one
        return self._checked(action.source)

    # -- steps -----------------------------------------------------------------

    def _move(self, source: Path, destination: Path) -> None:
        there, here = os.path.lexists(destination), os.path.lexists(source)
        if there and not here:
            return  # done
        if there and here:
            # A move across filesystems was killed between its verified copy and
            # the removal of the source: finish it if the copy is whole.
            if not same_contents(source, destination):
                raise MigrationConflictError(
                    f"both {str(source)!r} and {str(destination)!r} exist and differ",
                    fix="Move one of them out of the way, then run the command again",
                    path=destination,
                )
            remove_path(source)
            return
        if not here:
            raise MigrationConflictError(
                f"{str(source)!r} is gone and {str(destination)!r} was never made",
                fix="Restore the missing folder from a backup, then run the command again",
                path=source,
            )
        try:
            source.rename(destination)
        except OSError as exc:
            if exc.errno != errno.EXDEV:
                raise
            copy_verified(source, destination)
            remove_path(source)

    def _rewrite(self, action: Action, path: Path) -> None:
        backup = self._kept(action, path)
        assert backup is not None  # a rewrite always keeps the original
        original = backup.read_bytes()
        new = rewrite_paths(original.decode("utf-8"), action.replacements).encode("utf-8")
        if path.read_bytes() != new:
            _write_like(path, new, backup)

    def _write(self, action: Action, path: Path) -> None:
        self._kept(action, path)
        new = (action.text or "").encode("utf-8")
        if not os.path.lexists(path) or not _holds(path, action):
            atomic_write_bytes(path, new, durable=False)  # synced with its journal batch

    def _kept(self, action: Action, path: Path) -> Path | None:
        """Keep the original bytes (a hard link to the same file) before changing it."""
        if path.is_symlink():
            raise MigrationConfinementError(
                f"refusing to write {str(path)!r}: it is a link",
                fix="Replace the link by the file it points to, then run the command again",
                path=path,
            )
        if action.backup is None:
            return None
        backup = self._checked(action.backup)
        if not os.path.lexists(backup) and os.path.lexists(path):
            backup.parent.mkdir(parents=True, exist_ok=True)
            try:
                os.link(path, backup)
            except OSError:  # no hard links here: a verified copy keeps the bytes and times
                copy_verified(path, backup)
        return backup

    def _restore(self, action: Action, path: Path) -> None:
        """Put the original back; remove a file the step wrote where there was none."""
        backup = None if action.backup is None else self._checked(action.backup)
        if backup is not None and os.path.lexists(backup):
            backup.replace(path)
        elif action.kind is ActionKind.WRITE and os.path.lexists(path) and _holds(path, action):
            path.unlink()

    def _remove_folder(self, path: Path) -> None:
        try:
            path.rmdir()
        except FileNotFoundError:
            return
        except OSError as exc:
            if exc.errno not in (errno.ENOTEMPTY, errno.EEXIST):
                raise
            self.leftovers.append(f"{path} is not empty, so it was kept")


def _repoint(link: Path, old: str, new: str) -> None:
    """Make ``link`` point at ``new`` instead of ``old`` (atomically; nothing if done)."""
    current = str(link.readlink())
    if current == new:
        return
    if current != old:
        raise MigrationConflictError(
            f"the link {str(link)!r} points at {current!r}, neither {old!r} nor {new!r}",
            fix="Point it back at one of them, then run the command again",
            path=link,
        )
    partial = partial_path(link)
    remove_path(partial)
    partial.symlink_to(new)
    partial.replace(link)


def _holds(path: Path, action: Action) -> bool:
    """Whether a file holds exactly what a write step writes."""
    return path.read_bytes() == (action.text or "").encode("utf-8")


def _write_like(path: Path, data: bytes, model: Path) -> None:
    """Replace a file's bytes atomically, keeping the times of ``model``."""
    atomic_write_bytes(path, data, durable=False)  # synced with its journal batch
    stat = model.stat()
    os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns))
