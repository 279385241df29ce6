"""Reading ocr sidecars during a scan: what ``read_metadata`` does, at scan speed.

A cold scan reads every sidecar of the tree, so what it costs per file decides
the scan's speed: reading with Python's ``open()`` makes nine system calls per
file where four do, and building a ``Path`` per file costs as much as the read.
Here a sidecar is read by the path string the walk gave and validated in one
go; only a file that fails (an older schema version, an invalid file) takes
:func:`~ocr.metadata.read_metadata`, which upgrades it or words the error.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Final

from pydantic import ValidationError

from ocr.metadata import CheckpointMetadata, read_metadata

__all__ = ["read_sidecar"]

_CHUNK: Final = 1 << 16
"""Bytes per read: a sidecar (about 1.3 kB) comes in one read, then end of file."""


def read_sidecar(sidecar: str) -> CheckpointMetadata:
    """Read and validate a sidecar, exactly as :func:`~ocr.metadata.read_metadata` would.

    Args:
        sidecar: The ``.meta.json`` file, as the walk spelled it.

    Returns:
        The metadata, in the current schema.

    Raises:
        MetadataInvalidError: The file is not JSON, or a field is missing or wrong.
        MetadataVersionError: The file was written by a newer ocr.
        OSError: The file cannot be read.
    """
    try:
        # read_metadata's own first step, minus the Path: a current, valid
        # sidecar (nearly every one) parses and validates in one go.
        return CheckpointMetadata.model_validate_json(_read_bytes(sidecar))
    except ValidationError:
        return read_metadata(Path(sidecar))


def _read_bytes(path: str) -> bytes:
    # open() also fstats twice, seeks twice and asks whether the file is a
    # terminal; os.open and os.read make only the calls a small file needs.
    fd = os.open(path, os.O_RDONLY)
    try:
        chunks = []
        while chunk := os.read(fd, _CHUNK):
            chunks.append(chunk)
    finally:
        os.close(fd)
    return b"".join(chunks)
