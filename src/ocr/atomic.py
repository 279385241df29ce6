"""Atomic file writes: a reader sees the old file or the new one, never half of one.

Every file ocr writes goes through here: a uniquely named temp file in the
target's folder, written, flushed and fsynced, then ``os.replace``d onto the
target and the folder fsynced. On any error the temp file is removed.
"""

from __future__ import annotations

import contextlib
import os
import secrets
import stat
from pathlib import Path
from typing import TYPE_CHECKING, Final

from ocr._json import model_json

if TYPE_CHECKING:
    from pydantic import BaseModel

__all__ = ["atomic_write_bytes", "atomic_write_json", "atomic_write_text"]

_DEFAULT_MODE: Final = 0o666


def atomic_write_bytes(
    target: Path, data: bytes, *, durable: bool = True, temp_dir: Path | None = None
) -> None:
    """Replace ``target`` with ``data`` atomically and durably.

    Args:
        target: The file to write; its folder must exist.
        data: The new content.
        durable: Fsync the file and its folder. A caller writing thousands of
            files may pass ``False`` and make them durable at once (``os.sync``)
            before it records them as done; atomicity is the same.
        temp_dir: Where the temp file is made (default: the target's folder):
            the migrator keeps its temporary names out of the user's folders.
            It must be on the target's filesystem.

    Raises:
        OSError: The folder is missing or not writable (the target is untouched).
    """
    fd, temp_name = _create_temp(target, temp_dir or target.parent)
    try:
        with contextlib.suppress(FileNotFoundError):  # an existing file keeps its mode
            os.fchmod(fd, stat.S_IMODE(target.stat().st_mode))
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            if durable:
                os.fsync(handle.fileno())
        Path(temp_name).replace(target)
    except BaseException:
        # The temp name is ours alone (O_EXCL), so removing it cannot hurt
        # anyone; it may already be gone if os.replace succeeded halfway.
        with contextlib.suppress(FileNotFoundError):
            os.unlink(temp_name)  # noqa: PTH108 (a str from _create_temp)
        raise
    if durable:
        _fsync_folder(target.parent)


def atomic_write_text(target: Path, text: str, *, durable: bool = True) -> None:
    """Replace ``target`` with UTF-8 ``text`` atomically.

    Args:
        target: The file to write; its folder must exist.
        text: The new content.
        durable: As for :func:`atomic_write_bytes`.

    Raises:
        OSError: The folder is missing or not writable (the target is untouched).
    """
    atomic_write_bytes(target, text.encode("utf-8"), durable=durable)


def atomic_write_json(target: Path, model: BaseModel, *, indent: int | None = 2) -> None:
    """Replace ``target`` with a Pydantic model's JSON, atomically.

    Args:
        target: The file to write; its folder must exist.
        model: The versioned on-disk model to write.
        indent: Indentation for people to read; ``None`` for large caches.

    Raises:
        OSError: The folder is missing or not writable (the target is untouched).
    """
    atomic_write_bytes(target, model_json(model, indent=indent).encode("utf-8") + b"\n")


def _create_temp(target: Path, folder: Path) -> tuple[int, str]:
    """A new, uniquely named temp file for ``target``, in ``folder``.

    Unlike ``tempfile.mkstemp`` (always 0600), it is created with 0666 and the
    kernel applies the umask, as for a plain ``open()``, so teammates on a
    shared filesystem can read what ocr writes.
    """
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_CLOEXEC", 0)
    while True:
        name = os.path.join(folder, f".{target.name}.{secrets.token_hex(6)}.tmp")  # noqa: PTH118
        try:
            return os.open(name, flags, _DEFAULT_MODE), name
        except FileExistsError:  # pragma: no cover - 48 random bits collided
            continue


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
