"""Locks that serialise read-modify-replace of ocr's shared index files.

A lock is a separate file held with ``filelock`` for the whole load -> mutate
-> atomic replace: ``<file>.lock`` beside a file in ocr's state folder
(``<root>/.ocr``), and for a run's or sweep's record the file
``RootLayout.lock_file_of`` names under ``<root>/.ocr/locks/``, so run folders
hold only what the run made. It only prevents lost updates: readers never lock,
because the atomic replace already shows them a whole file.

Lock files are never deleted: a waiter may hold an open handle on it, and
deleting it would let two writers in at once (filelock's documented caveat).
``filelock`` uses ``fcntl``/``flock`` locks, which hold between processes and
threads on one host and on most shared filesystems with working lock daemons;
on an NFS mount without lock support they do not, so keep the registry index
on a filesystem that honours them (or accept that the index may need
``ocr registry rebuild``: the per-run records are never at risk).
"""

from __future__ import annotations

import contextlib
from typing import TYPE_CHECKING, Final

from ocr.errors import LockTimeoutError
from ocr.layout._shared import LOCK_SUFFIX

if TYPE_CHECKING:
    from collections.abc import Iterator
    from pathlib import Path

__all__ = ["DEFAULT_LOCK_TIMEOUT_SECONDS", "lock_path", "locked"]

DEFAULT_LOCK_TIMEOUT_SECONDS: Final = 60.0


def lock_path(target: Path) -> Path:
    """The lock file guarding ``target``: ``<target>.lock`` beside it.

    Args:
        target: The shared file.

    Returns:
        Its lock file.
    """
    return target.with_name(target.name + LOCK_SUFFIX)


@contextlib.contextmanager
def locked(
    target: Path,
    *,
    timeout: float = DEFAULT_LOCK_TIMEOUT_SECONDS,
    lock_file: Path | None = None,
) -> Iterator[None]:
    """Hold the lock of ``target`` for a read-modify-replace.

    Args:
        target: The shared file to update.
        timeout: Seconds to wait for the lock.
        lock_file: The lock file, when it is not ``<target>.lock``; its folder
            is created. Every process updating ``target`` must name the same one.

    Yields:
        Nothing; the lock is held inside the ``with`` block.

    Raises:
        LockTimeoutError: Another process held the lock for ``timeout`` seconds.
    """
    # filelock loads with the first lock: commands that only read never take one.
    from filelock import FileLock, Timeout  # noqa: PLC0415

    path = lock_path(target) if lock_file is None else lock_file
    if lock_file is not None:
        lock_file.parent.mkdir(parents=True, exist_ok=True)
    lock = FileLock(path, timeout=timeout, thread_local=False)
    try:
        lock.acquire()
    except Timeout as exc:
        raise LockTimeoutError(
            f"timed out after {timeout:g} s waiting for the lock {str(path)!r}",
            fix="Check that no stuck ocr process holds it, then retry (never delete the lock file)",
            path=path,
            value=timeout,
        ) from exc
    try:
        yield
    finally:
        lock.release()
