"""Reading files that may be hostile: regular files only, capped, never through a link out.

Every file ocr reads to learn something (a sidecar, a run record, a legacy
sidecar, a saved config, an index, a plan, a journal) was put there by someone
else. A FIFO in its place would hang the read, a link to ``/dev/zero`` would
never end, a link out of the output root would pass another tree's file (or
``/etc/shadow``) off as this tree's. So every such read here:

- opens with ``O_NONBLOCK`` and checks the open file with ``fstat``: only a
  regular file is read; a FIFO, device, socket or folder is refused at once,
  never waited on;
- stops at a cap (:data:`METADATA_LIMIT` for metadata, :data:`STATE_LIMIT`
  for ocr's own state files): a larger file is refused, not read into memory;
- with ``inside`` given, refuses a file whose real place (links followed) is
  outside those folders: links that stay inside are fine.

A refusal raises :class:`~ocr.errors.UnsafeFileError`, an ``OSError``: every
reader that already reports an unreadable file reports it the same way.
"""

from __future__ import annotations

import errno
import os
import stat
from pathlib import Path
from typing import TYPE_CHECKING, Final

from ocr.errors import UnsafeFileError

if TYPE_CHECKING:
    from collections.abc import Sequence

    from ocr._typing import StrPath

__all__ = [
    "METADATA_LIMIT",
    "STATE_LIMIT",
    "is_inside",
    "is_link_refusal",
    "open_regular",
    "read_capped",
    "read_descriptor",
    "read_head",
    "real_folders",
]

METADATA_LIMIT: Final = 16 * 1024 * 1024
"""Sidecars, records, legacy sidecars and configs: a few kB each; 16 MiB is plenty."""
STATE_LIMIT: Final = 1024 * 1024 * 1024
"""ocr's own state (a plan of a huge tree, an index): large, but never without end."""
_CHUNK: Final = 1 << 16
_OPEN_FLAGS: Final = os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_CLOEXEC", 0)
_KINDS: Final = (
    (stat.S_ISDIR, "a folder"),
    (stat.S_ISFIFO, "a FIFO"),
    (stat.S_ISCHR, "a character device"),
    (stat.S_ISBLK, "a block device"),
    (stat.S_ISSOCK, "a socket"),
)


def real_folders(folders: Sequence[StrPath]) -> tuple[str, ...]:
    """The real places of some folders (links resolved), for ``inside``.

    Args:
        folders: The folders a reader may read in (an output root and its
            legacy sweep and W&B folders).

    Returns:
        Their real paths, as strings.
    """
    return tuple(os.path.realpath(folder) for folder in folders)


def is_inside(path: StrPath, inside: Sequence[str]) -> bool:
    """Whether a path's real place (links followed) lies in one of some real folders.

    Args:
        path: The path.
        inside: Real folder paths (:func:`real_folders`).

    Returns:
        ``True`` when it does.
    """
    real = os.path.realpath(path)
    return any(real == top or real.startswith(top.rstrip(os.sep) + os.sep) for top in inside)


def open_regular(path: StrPath, *, inside: Sequence[str] = (), follow: bool = True) -> int:
    """Open a file for reading only if it is a regular file (and inside, when asked).

    Args:
        path: The file.
        inside: Real folders (:func:`real_folders`) the file must really lie in;
            empty: anywhere.
        follow: Follow a link at the last part of ``path``; ``False`` refuses
            any link there (``ELOOP``), for callers that check links themselves.

    Returns:
        An open descriptor (``O_NONBLOCK``; the caller closes it).

    Raises:
        UnsafeFileError: It is not a regular file, or lies outside ``inside``.
        OSError: It cannot be opened.
    """
    if inside and not is_inside(path, inside):
        raise UnsafeFileError(
            f"{os.fspath(path)!r} is a link out of the folders being read; "
            "ocr never follows a link out of them",
            fix="Copy the file into the folder, or remove the link",
            path=Path(path),
            reason="a link out of the folders being read",
        )
    flags = _OPEN_FLAGS if follow else _OPEN_FLAGS | os.O_NOFOLLOW
    fd = os.open(path, flags)
    try:
        kind = _kind(os.fstat(fd).st_mode)
        if kind is not None:
            raise UnsafeFileError(
                f"{os.fspath(path)!r} is {kind}, not a regular file, so it was not read",
                fix="Replace it with the file it stands for, or remove it",
                path=Path(path),
                reason=f"{kind}, not a regular file",
            )
    except BaseException:
        os.close(fd)
        raise
    return fd


def read_capped(path: StrPath, *, limit: int, inside: Sequence[str] = ()) -> bytes:
    """Read a whole regular file of at most ``limit`` bytes.

    Args:
        path: The file.
        limit: The most bytes it may hold.
        inside: As for :func:`open_regular`.

    Returns:
        Its bytes.

    Raises:
        UnsafeFileError: It is not a regular file, is larger than ``limit``, or
            lies outside ``inside``.
        OSError: It cannot be read.
    """
    fd = open_regular(path, inside=inside)
    try:
        size = os.fstat(fd).st_size
        if size > limit:  # refused before a byte is read (a sparse terabyte, say)
            raise _too_large(path, limit)
        # One read takes the whole file (an index is megabytes); it may have grown.
        first = os.read(fd, size + 1)
        return first + read_descriptor(fd, path, limit=limit - len(first)) if first else first
    finally:
        os.close(fd)


def read_descriptor(fd: int, path: StrPath, *, limit: int) -> bytes:
    """Read what an open regular file holds, refusing more than ``limit`` bytes.

    Args:
        fd: The open file (from :func:`open_regular`).
        path: Its path, for messages.
        limit: The most bytes it may hold.

    Returns:
        Its bytes.

    Raises:
        UnsafeFileError: It holds more than ``limit`` bytes (it may grow while read).
    """
    chunks: list[bytes] = []
    size = 0
    while chunk := os.read(fd, _CHUNK):
        size += len(chunk)
        if size > limit:
            raise _too_large(path, limit)
        chunks.append(chunk)
    return b"".join(chunks)


def _too_large(path: StrPath, limit: int) -> UnsafeFileError:
    return UnsafeFileError(
        f"{os.fspath(path)!r} is larger than {limit:,} bytes, more than such a file ever "
        "holds, so it was not read",
        fix="Check what the file is; replace it with the real one or remove it",
        path=Path(path),
        reason=f"larger than {limit:,} bytes",
    )


def read_head(path: StrPath, size: int) -> bytes:
    """Read at most the first ``size`` bytes of a regular file.

    Args:
        path: The file.
        size: How many bytes to read at most.

    Returns:
        Its first bytes.

    Raises:
        UnsafeFileError: It is not a regular file.
        OSError: It cannot be read.
    """
    fd = open_regular(path)
    try:
        chunks: list[bytes] = []
        left = size
        while left > 0 and (chunk := os.read(fd, min(left, _CHUNK))):
            chunks.append(chunk)
            left -= len(chunk)
        return b"".join(chunks)
    finally:
        os.close(fd)


def is_link_refusal(exc: OSError) -> bool:
    """Whether an ``open`` with ``O_NOFOLLOW`` failed because the last part is a link."""
    return exc.errno == errno.ELOOP


def _kind(mode: int) -> str | None:
    """What a non-regular file is, in words; ``None`` for a regular file."""
    if stat.S_ISREG(mode):
        return None
    return next((words for test, words in _KINDS if test(mode)), "a special file")
