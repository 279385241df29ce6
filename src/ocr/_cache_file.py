"""A deletable cache file of plain values: a checksummed header line, then ``marshal`` data.

The catalog's and the ablation's indexes under ``<root>/.ocr/`` are such files.
The first line is JSON: the cache's schema version, the SHA-256 of the payload
and the Python version (``marshal``'s format belongs to one). The payload holds
only plain values (``marshal`` loads no code): decoding it is many times faster
than JSON with validation. A corrupt, truncated, newer or other-Python file
fails the header or the checksum and is reported and ignored, never trusted; it
is written atomically under its lock, and not fsynced (a torn cache fails its
checksum after a crash and is rebuilt, so waiting for the disk buys nothing).
It is read with a cap and never through a link that leads out of the root,
and never written through a linked state folder. A payload that passes the
checks is still a hint from outside: its owner checks its shape before use.

Reading one is on the path of every warm ``ocr catalog``, so it loads neither
Pydantic nor the lock and atomic-write machinery: the header is three plain
JSON values, checked here key by key and type by type.
"""

from __future__ import annotations

import errno
import hashlib
import json
import marshal
import sys
from typing import TYPE_CHECKING, Any, Final

from ocr._json import loads
from ocr._reading import STATE_LIMIT, read_capped
from ocr.errors import OcrError

if TYPE_CHECKING:
    import logging
    from collections.abc import Sequence
    from pathlib import Path

__all__ = ["load_cache", "save_cache"]

_PYTHON: Final = sys.version.split()[0]
# The first line of a cache file: these keys, in this order, with these types.
_HEADER: Final = {"schema_version": int, "sha256": str, "python": str}


def load_cache(
    path: Path,
    *,
    schema_version: int,
    what: str,
    log: logging.Logger,
    inside: Sequence[str] = (),
) -> Any:
    """Read a cache file, or nothing when it is missing or cannot be trusted.

    Args:
        path: The cache file.
        schema_version: The version its writer uses now; another is not read.
        what: What the cache is, for the log line (``the catalog index``).
        log: The owner's logger: an untrusted file is a warning there.
        inside: Real folders the file must lie in (a link out is refused).

    Returns:
        The payload, or ``None``.
    """
    try:
        content = read_capped(path, limit=STATE_LIMIT, inside=inside)
    except FileNotFoundError:
        return None
    except OSError as exc:
        _unreadable(log, what, path, str(exc))
        return None
    # The payload is a view, not a copy: an index of 100,000 checkpoints is
    # tens of MB, and a copy beside it would be the scan's peak memory.
    end = content.find(b"\n")
    end = len(content) if end < 0 else end  # no newline: all header, an empty payload
    header_line, payload = content[:end], memoryview(content)[end + 1 :]
    why = _distrust(header_line, payload, schema_version)
    if why is None:
        try:
            return marshal.loads(payload)  # noqa: S302 (checksummed; its owner checks its shape)
        except (ValueError, EOFError, TypeError):
            why = "not marshal data"
    _unreadable(log, what, path, why)
    return None


def _distrust(header_line: bytes, payload: memoryview, schema_version: int) -> str | None:
    """Why a cache file's content cannot be trusted, ``None`` when it can."""
    try:
        header = loads(header_line)
    except ValueError:  # not JSON, or not UTF-8
        return "bad header"
    if not _is_header(header):
        return "bad header"
    if header["schema_version"] != schema_version:
        return f"schema version {header['schema_version']}"
    if header["python"] != _PYTHON:
        return f"written by Python {header['python']}"
    if hashlib.sha256(payload).hexdigest() != header["sha256"]:
        return "checksum mismatch"
    return None


def _is_header(value: object) -> bool:
    """Whether a header line's JSON has exactly the header's keys, each of its type."""
    return (
        isinstance(value, dict)
        and value.keys() == _HEADER.keys()
        and all(type(value[key]) is kind for key, kind in _HEADER.items())
    )


def _unreadable(log: logging.Logger, what: str, path: Path, why: str) -> None:
    log.warning("%s %s is unreadable (%s); rebuilding it", what, path, why)


def save_cache(
    path: Path, data: Any, *, schema_version: int, what: str, log: logging.Logger
) -> None:
    """Write a cache file atomically under its lock; a failure is logged, never raised.

    Args:
        path: The cache file (its folder is created).
        data: Plain values only (what ``marshal`` takes).
        schema_version: The cache's schema version.
        what: What the cache is, for the log line.
        log: The owner's logger.
    """
    # Writing is rarer than reading (an unchanged tree writes nothing): the
    # lock and atomic-write machinery load here.
    from ocr.atomic import atomic_write_bytes  # noqa: PLC0415
    from ocr.locking import locked  # noqa: PLC0415

    payload = marshal.dumps(data)
    sha256 = hashlib.sha256(payload).hexdigest()
    header = {"schema_version": schema_version, "sha256": sha256, "python": _PYTHON}
    line = json.dumps(header, separators=(",", ":"))  # the keys in _HEADER's order
    content = line.encode("utf-8") + b"\n" + payload
    try:
        if path.parent.is_symlink():
            raise OSError(errno.ELOOP, "the state folder is a link; ocr never writes through it")
        path.parent.mkdir(parents=True, exist_ok=True)
        with locked(path):
            atomic_write_bytes(path, content, durable=False)
    except (OSError, OcrError) as exc:
        # A cache; a read-only tree is still read, only slower.
        log.warning("could not write %s %s: %s", what, path, exc)
