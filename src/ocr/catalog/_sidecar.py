"""Reading ocr sidecars during a scan: what ``read_metadata`` does, at scan speed.

A cold scan reads every sidecar of the tree, so what it costs per file decides
the scan's speed: reading with Python's ``open()`` makes nine system calls per
file where three do, and building a ``Path`` per file costs as much as the
read. Here a sidecar is read by the path string the walk gave and validated
in one go; only a file that fails (an older schema version, an invalid or
unreadable file) takes :func:`~ocr.metadata.read_metadata`, which upgrades it
or words the error, so the verdict is always read_metadata's.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Final

from pydantic import ValidationError

from ocr.metadata import CheckpointMetadata, read_metadata

__all__ = ["parse_sidecar", "read_sidecar_bytes"]

_CHUNK: Final = 1 << 13
"""Bytes asked for per read: ocr's sidecars (about 1.5 kB) come in one, and a
small buffer is cheaper to allocate than a large one."""
_VALIDATE_JSON: Final = CheckpointMetadata.__pydantic_validator__.validate_json
"""What ``CheckpointMetadata.model_validate_json`` calls, minus its keyword plumbing."""


def read_sidecar_bytes(sidecar: str) -> bytes | None:
    """Read a sidecar's bytes.

    Args:
        sidecar: The ``.meta.json`` file, as the walk spelled it.

    Returns:
        Its bytes, or ``None`` when it cannot be read (:func:`parse_sidecar`
        then says why).
    """
    try:
        return _read_bytes(sidecar)
    except OSError:
        return None


def parse_sidecar(sidecar: str, content: bytes | None) -> CheckpointMetadata:
    """Validate a sidecar's bytes, exactly as :func:`~ocr.metadata.read_metadata` would.

    Args:
        sidecar: The ``.meta.json`` file, as the walk spelled it.
        content: Its bytes (:func:`read_sidecar_bytes`).

    Returns:
        The metadata, in the current schema.

    Raises:
        MetadataInvalidError: The file is not JSON, or a field is missing or wrong.
        MetadataVersionError: The file was written by a newer ocr.
        OSError: The file cannot be read.
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
    return read_metadata(Path(sidecar))


def _read_bytes(path: str) -> bytes:
    # open() also fstats twice, seeks twice and asks whether the file is a
    # terminal, then reads to the end of file; a sidecar needs one os.read.
    # A read shorter than asked for is the end of a regular file; a full one
    # may not be, so the rest follows.
    fd = os.open(path, os.O_RDONLY)
    try:
        chunks = [os.read(fd, _CHUNK)]
        while len(chunks[-1]) == _CHUNK:
            chunks.append(os.read(fd, _CHUNK))
    finally:
        os.close(fd)
    return b"".join(chunks)
