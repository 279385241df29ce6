"""Where a migration makes things before they are whole: names that collide with nothing.

A verified copy, a re-pointed link and a rewritten file are first made under a
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
"""

from __future__ import annotations

import contextlib
import os
import secrets
import shutil
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from collections.abc import Sequence
    from pathlib import Path

    from ocr.layout import MigrationLayout

__all__ = ["Scratch"]


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
