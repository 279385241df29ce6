"""Opening a checkpoint file safely: torch's weights-only loader, never a full unpickle.

``torch.load(weights_only=True)`` builds tensors and plain containers and
refuses everything else (a custom class, a function); a refused file is
reported, never loaded any other way. Zip files (torch >= 1.6) are mapped
(``mmap``) instead of read; older bare pickles are read whole.

Only a regular file is opened (a FIFO is never waited on, ``ocr._reading``).
The weights-only loader still inflates whatever a zip archive declares: a
2 MB file whose pickle member deflates to a 2 GB string takes gigabytes and
minutes. A checkpoint's pickle holds only the structure (names, shapes, small
values); its tensors are separate members, stored uncompressed. So the
archive's declared sizes are checked first: a pickle member, or any
compressed member, larger than :data:`MAX_INFLATED_BYTES` makes the file
unsafe, reported and not loaded.
"""

from __future__ import annotations

import os
import re
import zipfile
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, Final

from ocr._reading import open_regular
from ocr.errors import CheckpointLoadError

if TYPE_CHECKING:
    from pathlib import Path

__all__ = ["MAX_INFLATED_BYTES", "open_checkpoint", "read_checkpoint"]

MAX_INFLATED_BYTES: Final = 64 * 1024 * 1024
"""The most a checkpoint's pickle (or any compressed member) may inflate to."""

_PICKLE_MEMBER: Final = ".pkl"
_ZIP_MAGIC: Final = b"PK\x03\x04"
_PICKLE_PROTO: Final = b"\x80"  # every pickle torch.save ever wrote starts with PROTO (2 or more)
_NOT_TORCH: Final = (
    "unreadable: not loaded (neither a zip archive nor a pickle: no torch checkpoint)"
)
_GLOBAL: Final = re.compile(r"GLOBAL ([\w.]+)")
_UNPICKLER_ERROR: Final = re.compile(r"WeightsUnpickler error:\s*([^\n]+)")


def open_checkpoint(path: Path) -> Mapping[str, Any] | str:
    """Load a checkpoint with the weights-only loader, or say why it cannot be.

    Args:
        path: The checkpoint file.

    Returns:
        Its dict, or the problem as a phrase (``unsafe: needs a full unpickle,
        not loaded (it references mypkg.Net)``, ``unreadable: not loaded (...)``).
    """
    import torch  # noqa: PLC0415 (optional and slow to import: only when a file must be read)

    try:
        fd = open_regular(path)  # a FIFO or device: refused at once
        try:
            start = os.read(fd, len(_ZIP_MAGIC))
        finally:
            os.close(fd)
        is_zip = start == _ZIP_MAGIC
        if not is_zip and not start.startswith(_PICKLE_PROTO):
            return _NOT_TORCH
        if is_zip and (bomb := _inflating_member(path)) is not None:
            return bomb
        loaded = torch.load(path, map_location="cpu", weights_only=True, mmap=is_zip)
    except Exception as exc:  # noqa: BLE001 (a corrupt file can make torch's readers raise anything)
        return _refusal(exc)
    if not isinstance(loaded, Mapping):
        return f"unreadable: holds a {type(loaded).__name__}, not a checkpoint dict"
    return loaded


def read_checkpoint(path: Path) -> Mapping[str, Any]:
    """Load a checkpoint's dict (tensors and plain containers only) for inference.

    Args:
        path: The checkpoint file.

    Returns:
        What ``torch.save`` stored: for Lightning, ``state_dict``, ``epoch``, ...

    Raises:
        CheckpointLoadError: The file is gone, is not a torch checkpoint, is
            truncated or corrupt, or holds objects the weights-only loader refuses.
    """
    loaded = open_checkpoint(path)
    if not isinstance(loaded, str):
        return loaded
    if loaded.startswith("unsafe"):
        fix = "Re-save its state_dict as plain tensors if you trust the file; ocr never runs a full unpickle"
    else:
        fix = "Copy the file again if it was cut short, or remove it"
    raise CheckpointLoadError(
        f"checkpoint {str(path)!r} cannot be loaded: {loaded}", fix=fix, path=path, value=loaded
    )


def _inflating_member(path: Path) -> str | None:
    """Why a zip checkpoint must not be loaded: a member that would inflate too far."""
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


def _refusal(exc: Exception) -> str:
    text = str(exc)
    if "Weights only load failed" in text or "weights_only" in text:
        named = _GLOBAL.search(text)
        if named is not None:
            return f"unsafe: needs a full unpickle, not loaded (it references {named[1]})"
        said = _UNPICKLER_ERROR.search(text)
        why = said[1].strip() if said is not None else "no reason given"
        return f"unsafe or corrupt: weights_only refused it ({why}), not loaded"
    first = text.strip().split("\n", 1)[0].split(". ", 1)[0].rstrip(".")
    return f"unreadable: not loaded ({first or type(exc).__name__})"
