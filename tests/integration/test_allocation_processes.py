"""Many real processes claiming run folders for the same second."""

from __future__ import annotations

import multiprocessing
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest

from ocr.layout import allocate_launch_dir

LAUNCH = datetime(2025, 10, 18, 14, 3, 22)
PROCESSES = 16


def _allocate(root: str, barrier: Any) -> str:  # a Manager's Barrier proxy
    barrier.wait()
    return str(allocate_launch_dir(Path(root), now=LAUNCH))


@pytest.mark.timeout(120)
def test_processes_get_distinct_folders_when_allocating_in_the_same_second(run_root: Path) -> None:
    context = multiprocessing.get_context("spawn")
    with context.Manager() as manager:
        barrier = manager.Barrier(PROCESSES)
        with context.Pool(PROCESSES) as pool:
            made = pool.starmap(_allocate, [(str(run_root), barrier)] * PROCESSES)
    assert len(set(made)) == PROCESSES
    expected = {"14-03-22"} | {f"14-03-22_{n}" for n in range(1, PROCESSES)}
    assert {Path(p).name for p in made} == expected
