"""Pausing the cyclic garbage collector while a scan builds objects that all survive it."""

from __future__ import annotations

import gc
from contextlib import contextmanager
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from collections.abc import Iterator

__all__ = ["paused_gc"]


@contextmanager
def paused_gc() -> Iterator[None]:
    """Pause the cyclic garbage collector (not reference counting) for a scan.

    A scan of thousands of checkpoints or runs builds tens of thousands of
    objects that all survive it, none in a cycle; the collector would walk
    every live object of the process over and over for nothing (a third of a
    cold catalog scan in a process that imported torch). Whoever paused it
    first resumes it. Usable as a decorator.
    """
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()
