"""Doing and undoing one step, safely from any state a kill may have left.

Every step looks at the tree before acting, so doing a done step, or undoing
a step that never ran, changes nothing: that is what lets a journal batch be
replayed after a crash. Every path is checked first: it must lie inside the
folders the migration was given, reached without passing through a link, and
a file is never written through a link. Temporary names live in the
migration's scratch folders (:class:`ocr.migrate._copy.Scratch`), never beside a
user's file.

A move is a rename; across filesystems it is a copy verified by size and
SHA-256 (:mod:`ocr.migrate._copy`), then the removal of the source.
"""

from __future__ import annotations

import errno
import os
from typing import TYPE_CHECKING

from ocr._reading import read_capped
from ocr.atomic import atomic_write_bytes
from ocr.errors import MigrationConfinementError, MigrationConflictError
from ocr.layout import RootLayout
from ocr.migrate._copy import Scratch, copy_verified, remove_path, same_contents
from ocr.migrate._model import (
    CopyAction,
    MkdirAction,
    MoveAction,
    RelinkAction,
    RewriteAction,
    RmdirAction,
    WriteAction,
)
from ocr.migrate._run_files import MAX_REWRITTEN_BYTES, rewrite_paths

if TYPE_CHECKING:
    from collections.abc import Iterable
    from pathlib import Path

    from ocr.migrate._model import Action, MigrationPlan

__all__ = ["StepRunner"]

_GONE_FIX = (
    "Restore it from a backup, then run the command again; or undo the migration with "
    "`ocr migrate rollback ROOT`"
)


class StepRunner:
    """Does and undoes steps inside a set of allowed folders.

    Args:
        base: The folder every step's paths are relative to.
        tops: The folders steps may touch (the output root, legacy
            ``multirun``/``wandb``), relative to ``base``.
        scratch: Where things are made before they are whole.
    """

    def __init__(self, base: Path, tops: Iterable[str], scratch: Scratch) -> None:
        self.base = base
        self.scratch = scratch
        self._allowed = [os.path.realpath(base / top) for top in tops]
        self._real_parents: dict[Path, str] = {}
        self.leftovers: list[str] = []

    @classmethod
    def for_plan(cls, root: Path, plan: MigrationPlan) -> StepRunner:
        """The runner of a plan's steps, for the root where it is now (it may have moved).

        Args:
            root: The output root.
            plan: The plan.

        Returns:
            A runner confined to the plan's folders, with the migration's scratch folders.
        """
        migration = RootLayout(root).migration(plan.migration_id)
        scratch = Scratch(migration, [root.parent / top for top in plan.tops])
        return cls(root.parent, plan.tops, scratch)

    def check(self, action: Action) -> None:
        """Check that every path of a step stays inside the allowed folders.

        Raises:
            MigrationConfinementError: One does not.
        """
        for relative in _paths_of(action):
            self._checked(relative)

    def do(self, action: Action) -> None:
        """Do one step (nothing when it is already done).

        Args:
            action: The step.

        Raises:
            MigrationConflictError: Something unplanned is in the way, or gone.
            MigrationConfinementError: The step would leave the allowed folders.
            MigrationCopyError: A copy did not verify.
            OSError: The filesystem refused (a full disk, a permission).
        """
        path = self._checked(action.path)
        match action:
            case MkdirAction():
                path.mkdir(exist_ok=True)
            case MoveAction():
                self._move(self._checked(action.source), path)
            case CopyAction():
                copy_verified(self._checked(action.source), path, scratch=self.scratch)
            case RewriteAction():
                self._rewrite(action, path)
            case WriteAction():
                self._write(action, path)
            case RmdirAction():
                self._remove_folder(path)
            case RelinkAction():
                self._repoint(path, action.old_target, action.new_target)

    def undo(self, action: Action) -> None:
        """Undo one step (nothing when it never ran or is already undone).

        What was deleted by hand after the migration moved it cannot be put
        back; it is named in :attr:`leftovers` and the rollback goes on.

        Args:
            action: The step.

        Raises:
            MigrationConflictError: The tree is not in any state the step can leave.
            MigrationConfinementError: The step would leave the allowed folders.
            OSError: The filesystem refused (a full disk, a permission).
        """
        path = self._checked(action.path)
        match action:
            case MkdirAction():
                self._remove_folder(path)
            case MoveAction():
                source = self._checked(action.source)
                if not os.path.lexists(path) and not os.path.lexists(source):
                    self.leftovers.append(
                        f"{source} could not be put back: it was deleted after the migration "
                        f"moved it to {path}"
                    )
                    return
                self._move(path, source)
            case CopyAction():
                remove_path(path)
            case RewriteAction() | WriteAction():
                self._restore(action, path)
            case RmdirAction():
                path.mkdir(exist_ok=True)
            case RelinkAction():
                if os.path.lexists(path):
                    self._repoint(path, action.new_target, action.old_target)

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
                fix=_GONE_FIX,
                path=source,
            )
        try:
            source.rename(destination)
        except OSError as exc:
            if exc.errno != errno.EXDEV:
                raise
            copy_verified(source, destination, scratch=self.scratch)
            remove_path(source)

    def _rewrite(self, action: RewriteAction, path: Path) -> None:
        backup = self._kept(action, path)
        if backup is None or not os.path.lexists(backup):
            raise MigrationConflictError(
                f"{str(path)!r} was to have its old paths rewritten, but it is gone",
                fix=_GONE_FIX,
                path=path,
            )
        original = read_capped(backup, limit=MAX_REWRITTEN_BYTES)
        text = rewrite_paths(original.decode("utf-8"), action.replacements)
        new = text.encode("utf-8", "surrogateescape")  # a new name keeps its bytes
        if not os.path.lexists(path) or read_capped(path, limit=MAX_REWRITTEN_BYTES) != new:
            # Written anew when deleted by hand after the original was kept.
            self._write_like(path, new, backup)

    def _write(self, action: WriteAction, path: Path) -> None:
        self._kept(action, path)
        new = action.text.encode("utf-8")
        if not os.path.lexists(path) or not _holds(path, action):
            # Synced with its journal batch.
            atomic_write_bytes(path, new, durable=False, temp_dir=self.scratch.folder_for(path))

    def _write_like(self, path: Path, data: bytes, model: Path) -> None:
        """Replace a file's bytes atomically, keeping the times of ``model``."""
        temp_dir = self.scratch.folder_for(path)
        atomic_write_bytes(path, data, durable=False, temp_dir=temp_dir)  # synced with its batch
        stat = model.stat()
        os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns))

    def _kept(self, action: RewriteAction | WriteAction, path: Path) -> Path | None:
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
                copy_verified(path, backup, scratch=self.scratch)
        return backup

    def _restore(self, action: RewriteAction | WriteAction, path: Path) -> None:
        """Put the original back; remove a file the step wrote where there was none."""
        backup = None if action.backup is None else self._checked(action.backup)
        if backup is not None and os.path.lexists(backup):
            backup.replace(path)
        elif isinstance(action, WriteAction) and os.path.lexists(path) and _holds(path, action):
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

    def _repoint(self, link: Path, old: str, new: str) -> None:
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
        partial = self.scratch.name_for(link)
        partial.symlink_to(new)
        partial.replace(link)


def _paths_of(action: Action) -> list[str]:
    """Every path a step touches: its own, a move's or copy's source, a kept original."""
    match action:
        case MoveAction() | CopyAction():
            return [action.path, action.source]
        case RewriteAction() | WriteAction() if action.backup is not None:
            return [action.path, action.backup]
    return [action.path]


def _holds(path: Path, action: WriteAction) -> bool:
    """Whether a path is a regular file holding exactly what a write step writes."""
    expected = action.text.encode("utf-8")
    try:
        return read_capped(path, limit=len(expected)) == expected
    except OSError:  # not a regular file, larger, or unreadable: not what the step wrote
        return False
