"""What a legacy folder holds: files, folders and links, read without following a link."""

from __future__ import annotations

import os
import stat as stat_module
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, TypeVar

from ocr.naming import CHECKPOINT_SUFFIX

if TYPE_CHECKING:
    from pathlib import Path

__all__ = ["FileFacts", "Inventory", "take_inventory"]

_T = TypeVar("_T")


@dataclass(frozen=True)
class FileFacts:
    """One regular file: its size and modification time."""

    size: int
    mtime_ns: int


@dataclass(frozen=True)
class Inventory:
    """Everything under one folder, by POSIX path relative to it.

    Args:
        folder: The folder.
        files: Regular files.
        folders: Sub-folders and the folder itself (``""``) -> mtime (ns).
        links: Symbolic links (to files or folders) -> what they point at;
            never followed.
        link_mtimes: Symbolic links -> their own mtime (ns).
        specials: FIFOs, sockets and device nodes: moved with their folder,
            never opened.
        unreadable: Sub-folders that could not be listed (moved with their
            folder, their content unseen).
    """

    folder: Path
    files: dict[str, FileFacts] = field(default_factory=dict)
    folders: dict[str, int] = field(default_factory=dict)
    links: dict[str, str] = field(default_factory=dict)
    link_mtimes: dict[str, int] = field(default_factory=dict)
    specials: set[str] = field(default_factory=set)
    unreadable: list[str] = field(default_factory=list)

    @property
    def size_bytes(self) -> int:
        """The total size of the files."""
        return sum(facts.size for facts in self.files.values())

    def checkpoints(self) -> list[str]:
        """The checkpoint files (``*.ckpt``, links and folder checkpoints' parts left out)."""
        return sorted(
            path
            for path in self.files
            if path.endswith(CHECKPOINT_SUFFIX) and not self.in_folder_checkpoint(path)
        )

    def folder_checkpoints(self) -> list[str]:
        """Folders named ``*.ckpt`` (sharded checkpoints), not those inside another one."""
        found = sorted(path for path in self.folders if path.endswith(CHECKPOINT_SUFFIX))
        return [path for path in found if not self.in_folder_checkpoint(path)]

    def in_folder_checkpoint(self, path: str) -> bool:
        """Whether a path lies inside a folder checkpoint (its bytes are never rewritten)."""
        parts = path.split("/")[:-1]
        return any(part.endswith(CHECKPOINT_SUFFIX) for part in parts)

    def below(self, relative: str) -> Inventory:
        """The inventory of a sub-folder, cut from this one (nothing is read again).

        Args:
            relative: The sub-folder (POSIX, relative to this folder; ``""``:
                this folder).

        Returns:
            Its inventory, paths relative to it.
        """
        if not relative:
            return self
        prefix = relative + "/"

        def cut(paths: dict[str, _T]) -> dict[str, _T]:
            return {p[len(prefix) :]: v for p, v in paths.items() if p.startswith(prefix)}

        folders = cut(self.folders)
        folders[""] = self.folders[relative]
        unreadable = [p for p in self.unreadable if p == relative or p.startswith(prefix)]
        return Inventory(
            folder=self.folder / relative,
            files=cut(self.files),
            folders=folders,
            links=cut(self.links),
            link_mtimes=cut(self.link_mtimes),
            specials={p[len(prefix) :] for p in self.specials if p.startswith(prefix)},
            unreadable=[p[len(prefix) :] if p != relative else "" for p in unreadable],
        )

    def holds(self, path: str) -> bool:
        """Whether anything but a folder is at ``path`` (a file, link or special file)."""
        return path in self.files or path in self.links or path in self.specials


def take_inventory(folder: Path) -> Inventory:
    """List everything under a folder without following links.

    Args:
        folder: The folder (itself not a link).

    Returns:
        Its inventory; unreadable sub-folders are listed with no content.
    """
    inventory = Inventory(folder=folder, folders={"": folder.stat().st_mtime_ns})
    top = os.fspath(folder)

    def unreadable(error: OSError) -> None:
        name = os.path.relpath(error.filename or top, top).replace(os.sep, "/")
        inventory.unreadable.append("" if name == "." else name)

    for current, dirs, files in os.walk(top, onerror=unreadable, followlinks=False):
        prefix = os.path.relpath(current, top).replace(os.sep, "/")
        prefix = "" if prefix == "." else prefix + "/"
        for name in dirs + files:
            # Plain strings, not Path objects: a large tree has many thousands.
            path = os.path.join(current, name)  # noqa: PTH118
            stat = os.lstat(path)
            relative = prefix + name
            if stat_module.S_ISLNK(stat.st_mode):
                inventory.links[relative] = os.readlink(path)  # noqa: PTH115
                inventory.link_mtimes[relative] = stat.st_mtime_ns
            elif stat_module.S_ISDIR(stat.st_mode):
                inventory.folders[relative] = stat.st_mtime_ns
            elif stat_module.S_ISREG(stat.st_mode):
                inventory.files[relative] = FileFacts(stat.st_size, stat.st_mtime_ns)
            else:
                inventory.specials.add(relative)
    return inventory
