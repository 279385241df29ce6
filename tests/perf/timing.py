"""Timing for the benchmarks: best of several, and two sides measured in turns."""

from __future__ import annotations

import time
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from collections.abc import Callable

__all__ = ["best_of", "best_of_each", "timed"]


def timed(action: Callable[[], Any]) -> float:
    """Seconds one call of ``action`` takes (not counting freeing what it returned)."""
    start = time.perf_counter()
    result = action()
    elapsed = time.perf_counter() - start
    del result  # freeing what it returned is no part of its time
    return elapsed


def best_of(action: Callable[[], Any], repeats: int = 3) -> float:
    """The best of ``repeats`` timings of ``action``."""
    return min(timed(action) for _ in range(repeats))


def best_of_each(
    bare: Callable[[], Any], ours: Callable[[], Any], repeats: int
) -> tuple[float, float]:
    """The best time of each side, the two measured in turns.

    On a shared machine a slow spell lasts seconds: taking turns lets it hit
    both sides, instead of whichever one happened to run during it.
    """
    bare_timings: list[float] = []
    our_timings: list[float] = []
    for _ in range(repeats):
        bare_timings.append(timed(bare))
        our_timings.append(timed(ours))
    return min(bare_timings), min(our_timings)
