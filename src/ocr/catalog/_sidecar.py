"""Reading ocr sidecars during a scan: what ``read_metadata`` does, at scan speed.

A cold scan reads every sidecar of the tree, so what it costs per file decides
the scan's speed: reading with Python's ``open()`` makes nine system calls per
file where three do, and building a ``Path`` per file costs as much as the
read. Here a sidecar is read by the path string the walk gave and validated
in one go; only a file that fails (an older schema version, an invalid or
unreadable file) takes :func:`~ocr.metadata.read_metadata`, which upgrades it
or words the error, so the verdict is always read_metadata's.

A sidecar may be hostile (:mod:`ocr._reading`): it is opened without
blocking and without following a link, and read only if it is a regular
file of at most :data:`~ocr._reading.METADATA_LIMIT` bytes. A sidecar that
is a link (rare) takes the careful path, which follows it only when it stays
inside the scanned folders.
"""

from __future__ import annotations

import os
import stat
from pathlib import Path
from typing import TYPE_CHECKING, Final

from pydantic import ValidationError

from ocr._reading import METADATA_LIMIT, read_descriptor
from ocr.metadata import CheckpointMetadata, read_metadata

if TYPE_CHECKING:
    from collections.abc import Sequence

__all__ = ["parse_sidecar", "read_sidecar_bytes"]

_CHUNK: Final = 1 << 13
"""Bytes asked for per read: ocr's sidecars (about 1.5 kB) come in one, and a
small buffer is cheaper to allocate than a large one."""
_VALIDATE_JSON: Final = CheckpointMetadata.__pydantic_validator__.validate_json
_FLAGS: Final = os.O_RDONLY | os.O_NONBLOCK | os.O_NOFOLLOW
"""What ``CheckpointMetadata.model_validate_json`` calls, minus its keyword plumbing."""


def read_sidecar_bytes(sidecar: str) -> bytes | None:
    """Read a sidecar's bytes.

    Args:
        sidecar: The ``.meta.json`` file, as the walk spelled it.

    Returns:
        Its bytes, or ``None`` when it cannot be read here (a link, no regular
        file, too large, unreadable): :func:`parse_sidecar` then reads it the
        careful way, or says why not.
    """
    try:
        return _read_bytes(sidecar)
    except OSError:
        return None


def parse_sidecar(
    sidecar: str, content: bytes | None, *, inside: Sequence[str]
) -> CheckpointMetadata:
    """Validate a sidecar's bytes, exactly as :func:`~ocr.metadata.read_metadata` would.

    Args:
        sidecar: The ``.meta.json`` file, as the walk spelled it.
        content: Its bytes (:func:`read_sidecar_bytes`).
        inside: The real scanned folders: a sidecar that is a link is read
            only when it leads into one of them.

    Returns:
        The metadata, in the current schema.

    Raises:
        MetadataInvalidError: The file is not JSON, or a field is missing or wrong.
        MetadataVersionError: The file was written by a newer ocr.
        OSError: The file cannot be read (``UnsafeFileError``: a FIFO, a
            device, a link out of the scanned folders, too large).
    """
    if content is not None:
        try:
            # read_metadata's own first step, minus the Path: a current, valid
            # sidecar (nearly every one) parses and validates in one go.
            metadata: CheckpointMetadata = _VALIDATE_JSON(content)
        except ValidationError:
            pass
        else:
            return metadata
    # An older version, an invalid or an unreadable file: read_metadata
    # reads it again, then upgrades it or words the error.
    return read_metadata(Path(sidecar), inside=inside)


def _read_bytes(path: str) -> bytes | None:
    # open() also fstats twice, seeks twice and asks whether the file is a
    # terminal, then reads to the end of file; a sidecar needs one fstat (is
    # it a regular file?) and one os.read. A read shorter than asked for is
    # the end of a regular file; a full one may not be, so the rest follows.
    fd = os.open(path, _FLAGS)
    try:
        found = os.fstat(fd)
        if not stat.S_ISREG(found.st_mode) or found.st_size > METADATA_LIMIT:
            return None  # parse_sidecar reads it the careful way, which says why not
        first = os.read(fd, _CHUNK)
        if len(first) < _CHUNK:
            return first
        return first + read_descriptor(fd, path, limit=METADATA_LIMIT - len(first))
    finally:
        os.close(fd)
