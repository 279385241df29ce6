"""What a checkpoint file is before torch reads it, and whether it may be read at all.

``torch.load(weights_only=True)`` never runs code, but it inflates whatever
the file's zip archive declares: a 2 MB file whose pickle member deflates to a
2 GB string takes gigabytes and minutes. A checkpoint's pickle holds only the
structure (names, shapes, small values); the tensors are separate members,
stored uncompressed and memory-mapped. So before loading, the archive's
declared sizes are checked: a pickle member, or any compressed member, larger
than :data:`MAX_INFLATED_BYTES` makes the file unsafe, reported and not loaded.
"""

from __future__ import annotations

import os
import zipfile
from typing import TYPE_CHECKING, Final, Literal

from ocr._reading import open_regular

if TYPE_CHECKING:
    from pathlib import Path

__all__ = ["MAX_INFLATED_BYTES", "checkpoint_kind"]

MAX_INFLATED_BYTES: Final = 64 * 1024 * 1024
"""The most a checkpoint's pickle (or any compressed member) may inflate to."""
_ZIP_MAGIC: Final = b"PK\x03\x04"
_PICKLE_PROTO: Final = b"\x80"  # every pickle torch.save ever wrote starts with PROTO (2 or more)
_PICKLE_MEMBER: Final = ".pkl"
_NOT_TORCH: Final = (
    "unreadable: not loaded (neither a zip archive nor a pickle: no torch checkpoint)"
)


def checkpoint_kind(path: Path) -> tuple[Literal["zip", "pickle"] | None, str | None]:
    """Tell a torch checkpoint's format, and why it must not be loaded, if so.

    Args:
        path: The checkpoint (a regular file).

    Returns:
        ``("zip" | "pickle", None)`` when torch may load it; ``(None, problem)``
        when it must not (``unreadable: ...`` or ``unsafe: ...``).

    Raises:
        OSError: It cannot be opened (``UnsafeFileError``: not a regular file).
    """
    fd = open_regular(path)
    try:
        start = os.read(fd, len(_ZIP_MAGIC))
    finally:
        os.close(fd)
    if start == _ZIP_MAGIC:
        problem = _zip_problem(path)
        return (None, problem) if problem else ("zip", None)
    if start.startswith(_PICKLE_PROTO):
        return "pickle", None
    return None, _NOT_TORCH


def _zip_problem(path: Path) -> str | None:
    try:
        with zipfile.ZipFile(path) as archive:
            members = archive.infolist()
    except (zipfile.BadZipFile, OSError, ValueError) as exc:
        return f"unreadable: not loaded (a damaged zip archive: {exc})"
    for member in members:
        is_pickle = member.filename.endswith(_PICKLE_MEMBER)
        compressed = member.compress_type != zipfile.ZIP_STORED
        if (is_pickle or compressed) and member.file_size > MAX_INFLATED_BYTES:
            return (
                f"unsafe: not loaded (its member {member.filename!r} declares "
                f"{member.file_size:,} bytes once inflated, more than the "
                f"{MAX_INFLATED_BYTES:,} a checkpoint's structure ever needs)"
            )
    return None
