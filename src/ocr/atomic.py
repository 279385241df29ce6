"""Atomic file writes: a reader sees the old file or the new one, never half of one.

Every file ocr writes goes through here: a uniquely named temp file in the
target's folder, written, flushed and fsynced, then ``os.replace``d onto the
target and the folder fsynced. On any error the temp file is removed.
"""

from __future__ import annotations

import contextlib
import os
import stat
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING, Final

if TYPE_CHECKING:
    from pydantic import BaseModel

__all__ = ["atomic_write_bytes", "atomic_write_json", "atomic_write_text"]

_DEFAULT_MODE: Final = 0o666


def atomic_write_bytes(target: Path, data: bytes) -> None:
    """Replace ``target`` with ``data`` atomically and durably.

    Args:
        target: The file to write; its folder must exist.
        data: The new content.

    Raises:
        OSError: The folder is missing or not writable (the target is untouched).
    """
    fd, temp_name = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.", suffix=".tmp")
    try:
        # mkstemp makes the file private (0600); give it the mode a plain
        # open() would, so teammates on a shared filesystem can read it.
        os.fchmod(fd, _mode_for(target))
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        Path(temp_name).replace(target)
    except BaseException:
        # The temp name is ours alone (mkstemp), so removing it cannot hurt
        # anyone; it may already be gone if os.replace succeeded halfway.
        with contextlib.suppress(FileNotFoundError):
            os.unlink(temp_name)  # noqa: PTH108 (a str from mkstemp)
        raise
    _fsync_folder(target.parent)


def atomic_write_text(target: Path, text: str) -> None:
    """Replace ``target`` with UTF-8 ``text`` atomically.

    Args:
        target: The file to write; its folder must exist.
        text: The new content.

    Raises:
        OSError: The folder is missing or not writable (the target is untouched).
    """
    atomic_write_bytes(target, text.encode("utf-8"))


def atomic_write_json(target: Path, model: BaseModel, *, indent: int | None = 2) -> None:
    """Replace ``target`` with a Pydantic model's JSON, atomically.

    Args:
        target: The file to write; its folder must exist.
        model: The versioned on-disk model to write.
        indent: Indentation for people to read; ``None`` for large caches.

    Raises:
        OSError: The folder is missing or not writable (the target is untouched).
    """
    atomic_write_bytes(target, model.model_dump_json(indent=indent).encode("utf-8") + b"\n")


def _mode_for(target: Path) -> int:
    try:
        return stat.S_IMODE(target.stat().st_mode)
    except FileNotFoundError:
        return _DEFAULT_MODE & ~_umask()


def _umask() -> int:
    # Reading the umask without changing it (os.umask sets it, racing other
    # threads); /proc has it on Linux, elsewhere the common default is assumed.
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("Umask:"):
                return int(line.split()[1], 8)
    except OSError:
        pass  # no /proc: fall through to the usual default
    return 0o022


def _fsync_folder(folder: Path) -> None:
    # Makes the rename itself durable; some filesystems refuse to open a
    # folder for reading, and then there is nothing more we can do.
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
