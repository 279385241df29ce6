"""The root's ``.ocr`` folder as a migration finds it, claims it, and leaves it.

The migration lock, plans, journals and kept originals live in ``<root>/.ocr``.
It must be a real folder inside the root: through a link, a migration would
write outside the tree (and find that out only after moving folders), so a
link is refused before anything moves.

Making ``.ocr`` changes the root's mtime, which a rollback must put back. A
migration that makes it writes ``made-by-migrate.json`` into it at once,
holding the root's mtime from before: if the process is killed before its
plan is written (or while it plans), the next migration still knows that the
folder was not there before and when the root last changed, so its rollback
removes ``.ocr`` and restores the root exactly.
"""

from __future__ import annotations

import contextlib
import os
from typing import TYPE_CHECKING, Literal

from pydantic import BaseModel, ConfigDict, NonNegativeInt, ValidationError

from ocr._reading import METADATA_LIMIT, read_capped
from ocr.atomic import atomic_write_json
from ocr.errors import MigrationConfinementError
from ocr.layout import RootLayout

if TYPE_CHECKING:
    from pathlib import Path

__all__ = ["check_state_dir", "claim_state_dir", "made_before", "restore_root_mtime"]


class _Origin(BaseModel):
    """``made-by-migrate.json``: the root's mtime before a migration made ``.ocr``."""

    model_config = ConfigDict(frozen=True, extra="forbid")
    schema_version: Literal[1] = 1
    root_mtime_ns: NonNegativeInt


def check_state_dir(root: Path) -> None:
    """Refuse a ``.ocr`` that is not a real folder inside the root.

    Args:
        root: The output root.

    Raises:
        MigrationConfinementError: ``.ocr`` is a link, or not a folder.
    """
    state_dir = RootLayout(root).state_dir
    if state_dir.is_symlink() or (os.path.lexists(state_dir) and not state_dir.is_dir()):
        kind = "a link" if state_dir.is_symlink() else "not a folder"
        raise MigrationConfinementError(
            f"{str(state_dir)!r} is {kind}; a migration keeps its plan, journal and the "
            "original bytes of what it changes only in a real folder inside the output root",
            fix=f"Replace {str(state_dir)!r} by a folder (move what it holds into it), "
            "then run the command again",
            path=state_dir,
        )


def claim_state_dir(root: Path) -> None:
    """Make ``.ocr`` if it is missing, remembering the root's mtime from before.

    Args:
        root: The output root.
    """
    layout = RootLayout(root)
    if os.path.lexists(layout.state_dir):
        return
    before = root.stat().st_mtime_ns
    try:
        layout.state_dir.mkdir()
    except FileExistsError:  # another process made it this instant: it is theirs
        return
    atomic_write_json(layout.state_origin_file, _Origin(root_mtime_ns=before))


def made_before(root: Path) -> int | None:
    """The root's mtime from before a migration made ``.ocr``, while no migration is in it.

    Args:
        root: The output root.

    Returns:
        The mtime (ns) when a migration attempt made ``.ocr`` and left no
        migration folder in it (it was killed before writing its plan, or
        every migration was rolled back); ``None`` when ``.ocr`` was there
        before (or was made by something else).
    """
    if RootLayout(root).migrations():
        return None
    try:
        content = read_capped(RootLayout(root).state_origin_file, limit=METADATA_LIMIT)
        return _Origin.model_validate_json(content).root_mtime_ns
    except (OSError, ValidationError):
        return None


def restore_root_mtime(root: Path, mtime_ns: int) -> None:
    """Put the root's mtime back (after ``.ocr`` is gone again).

    Args:
        root: The output root.
        mtime_ns: Its mtime from before.
    """
    with contextlib.suppress(FileNotFoundError):  # the root itself was removed meanwhile
        os.utime(root, ns=(root.stat().st_atime_ns, mtime_ns))
