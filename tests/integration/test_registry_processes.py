"""Many real processes registering and updating runs under one root at once."""

from __future__ import annotations

import json
import multiprocessing
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest

from ocr.layout import RootLayout, allocate_launch_dir
from ocr.registry import ExperimentRegistry, Status

PROCESSES = 64
ROUNDS = 3
LAUNCH = datetime(2025, 10, 18, 14, 3, 22)


def _live_a_run(root: str, barrier: Any) -> str:  # a Manager's Barrier proxy
    registry = ExperimentRegistry(root, lock_timeout=120)
    barrier.wait()
    run_dir = allocate_launch_dir(Path(root), now=LAUNCH)
    record = registry.start_run(run_dir, name=run_dir.name, tags=["stress"])
    for round_number in range(ROUNDS):
        registry.update_run(run_dir, metrics={"round": float(round_number)})
    registry.update_run(run_dir, status=Status.COMPLETED, best_metrics={"val/hmean": 1.0})
    return record.id


@pytest.mark.timeout(300)
def test_no_record_is_lost_when_64_processes_register_and_update_at_once(run_root: Path) -> None:
    run_root.mkdir()
    context = multiprocessing.get_context("spawn")
    with context.Manager() as manager:
        barrier = manager.Barrier(PROCESSES)
        with context.Pool(PROCESSES) as pool:
            ids = pool.starmap(_live_a_run, [(str(run_root), barrier)] * PROCESSES)
    assert len(set(ids)) == PROCESSES
    index = json.loads(RootLayout(run_root).registry_index_file.read_text())
    assert len(index["entries"]) == PROCESSES
    assert all(e["record"]["status"] == "completed" for e in index["entries"])
    runs = ExperimentRegistry(run_root).runs()
    assert sorted(r.record.id for r in runs) == sorted(ids)
    assert all(r.record.metrics == {"round": float(ROUNDS - 1)} for r in runs)
    assert all(r.record.status is Status.COMPLETED for r in runs)
    assert sorted(p.name for p in run_root.glob("2025-10-18/*")) == sorted(
        ["14-03-22", *(f"14-03-22_{n}" for n in range(1, PROCESSES))]
    )
    # The record locks live in the state folder, one per run; run folders hold none.
    locks = RootLayout(run_root).lock_dir
    assert len(list(locks.rglob("run.json.lock"))) == PROCESSES
    assert [
        p for p in run_root.rglob("*.lock") if locks not in p.parents and p.parent.name != ".ocr"
    ] == []


def _join_a_sweep(root: str, sweep_dir: str, job: int, barrier: Any) -> str:
    registry = ExperimentRegistry(root, lock_timeout=120)
    barrier.wait()
    record = registry.start_run(Path(sweep_dir) / str(job))
    registry.update_run(Path(sweep_dir) / str(job), status=Status.COMPLETED)
    return str(record.sweep_id)


@pytest.mark.timeout(300)
def test_one_sweep_record_is_made_when_its_jobs_register_at_once(run_root: Path) -> None:
    sweep_dir = allocate_launch_dir(run_root, now=LAUNCH)
    jobs = PROCESSES // 4
    for job in range(jobs):
        (sweep_dir / str(job)).mkdir()
    context = multiprocessing.get_context("spawn")
    with context.Manager() as manager:
        barrier = manager.Barrier(jobs)
        with context.Pool(jobs) as pool:
            sweep_ids = pool.starmap(
                _join_a_sweep,
                [(str(run_root), str(sweep_dir), job, barrier) for job in range(jobs)],
            )
    assert len(set(sweep_ids)) == 1
    assert sorted(p.name for p in sweep_dir.iterdir()) == sorted(
        [*map(str, range(jobs)), "sweep.json"]
    )
