"""Opening a checkpoint file safely: torch's weights-only loader, never a full unpickle.

``torch.load(weights_only=True)`` builds tensors and plain containers and
refuses everything else (a custom class, a function); a refused file is
reported, never loaded any other way. Zip files (torch >= 1.6) are mapped
(``mmap``) instead of read; older bare pickles are read whole.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, Final

from ocr.errors import CheckpointLoadError

if TYPE_CHECKING:
    from pathlib import Path

__all__ = ["open_checkpoint", "read_checkpoint"]

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
        with path.open("rb") as handle:
            start = handle.read(len(_ZIP_MAGIC))
        is_zip = start == _ZIP_MAGIC
        if not is_zip and not start.startswith(_PICKLE_PROTO):
            return _NOT_TORCH
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
