"""Timing for the benchmarks: best of several, two sides in turns, whole processes."""

from __future__ import annotations

import os
import resource
import statistics
import subprocess
import time
from typing import TYPE_CHECKING, Any, NamedTuple

if TYPE_CHECKING:
    from collections.abc import Callable, Sequence
    from pathlib import Path

__all__ = ["Spent", "best_of", "best_of_each", "in_process", "medians", "timed", "whole_process"]


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


class Spent(NamedTuple):
    """What one whole process cost: wall-clock and CPU (user + system) seconds."""

    wall: float
    cpu: float


def whole_process(
    argv: Sequence[str], *, stdout: Path | None = None, codes: Sequence[int] = (0,)
) -> Spent:
    """Run a command to its end, as a user would, and measure it.

    Args:
        argv: The command.
        stdout: Where its output goes (a file, as ``> out.json`` would);
            ``None`` discards it.
        codes: The exit codes it may end with (``ocr validate`` exits 1 when a
            check fails).

    Returns:
        Its wall-clock seconds and its CPU seconds (its children's included).
    """
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    with open(stdout or os.devnull, "wb") as out:  # noqa: PTH123 (a file object for the child)
        done = subprocess.run(argv, stdout=out, stderr=subprocess.PIPE, check=False)
    wall = time.perf_counter() - start
    assert done.returncode in codes, done.stderr.decode(errors="replace")
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return Spent(wall, (after.ru_utime + after.ru_stime) - (before.ru_utime + before.ru_stime))


def in_process(action: Callable[[], Any]) -> Spent:
    """What one call of ``action`` costs in this process: wall-clock and CPU seconds."""
    start, start_cpu = time.perf_counter(), time.process_time()
    result = action()
    spent = Spent(time.perf_counter() - start, time.process_time() - start_cpu)
    del result  # freeing what it returned is no part of its time
    return spent


def medians(timings: Sequence[Spent]) -> Spent:
    """The median wall-clock and the median CPU seconds of several timings."""
    return Spent(
        statistics.median(t.wall for t in timings), statistics.median(t.cpu for t in timings)
    )
