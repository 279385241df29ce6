from __future__ import annotations

import json
import logging
import math
import multiprocessing
import socket
import threading
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ocr.atomic import atomic_write_json
from ocr.cli import main as cli_main
from ocr.errors import RecordInvalidError, RecordNotFoundError, RegistryTransitionError
from ocr.layout import RootLayout, RunLayout, SweepLayout, allocate_launch_dir
from ocr.registry import (
    ExperimentRecord,
    ExperimentRegistry,
    Status,
    new_experiment_id,
    read_record,
)

if TYPE_CHECKING:
    from pathlib import Path

LAUNCH = datetime(2025, 10, 18, 14, 3, 22)
_ID_CHARS = set("0123456789abcdefghjkmnpqrstvwxyz")


@given(st.integers(min_value=0, max_value=2**44), st.integers(min_value=1, max_value=2**30))
def test_ids_sort_by_start_time_when_made_at_different_milliseconds(start: int, later: int) -> None:
    first = new_experiment_id(start * 1_000_000)
    second = new_experiment_id((start + later) * 1_000_000)
    assert first < second
    assert len(first) == len(second) == 16
    assert set(first) <= _ID_CHARS


def test_ids_are_unique_when_made_in_the_same_millisecond() -> None:
    ids = {new_experiment_id(1_700_000_000_000_000_000) for _ in range(10_000)}
    assert len(ids) == 10_000


@pytest.fixture
def registry(run_root: Path) -> ExperimentRegistry:
    run_root.mkdir()
    return ExperimentRegistry(run_root)


def _new_run(registry: ExperimentRegistry, **kwargs: object) -> tuple[Path, ExperimentRecord]:
    run_dir = allocate_launch_dir(registry.root, now=LAUNCH)
    return run_dir, registry.start_run(run_dir, **kwargs)  # type: ignore[arg-type]


def test_start_writes_a_running_record_when_a_run_begins(registry: ExperimentRegistry) -> None:
    run_dir, record = _new_run(registry, name="exp", tags=["a"], overrides=["x=1"])
    assert read_record(RunLayout(run_dir).record_file) == record
    assert (record.status, record.name, record.tags, record.overrides) == (
        Status.RUNNING,
        "exp",
        ["a"],
        ["x=1"],
    )
    assert record.run_dir == "2025-10-18/14-03-22"
    assert record.created_at.tzinfo is not None
    assert registry.start_run(run_dir) == record


@pytest.mark.parametrize(
    "final",
    [pytest.param(s, id=s.value) for s in (Status.COMPLETED, Status.FAILED, Status.INTERRUPTED)],
)
def test_finished_records_refuse_every_move_when_final(
    registry: ExperimentRegistry, final: Status
) -> None:
    run_dir, record = _new_run(registry)
    done = registry.update_run(run_dir, status=final)
    assert done.ended_at is not None and done.status is final
    for status in Status:
        with pytest.raises(RegistryTransitionError) as info:
            registry.update_run(run_dir, status=status)
        assert str(info.value) == (
            f"experiment {record.id!r} is {final.value}; it cannot become {status.value}. "
            "Start a new run instead (a finished record is final)"
        )
    with pytest.raises(RegistryTransitionError):
        registry.start_run(run_dir)


def test_update_refuses_with_the_field_when_a_value_breaks_the_schema(
    registry: ExperimentRegistry,
) -> None:
    run_dir, _ = _new_run(registry)
    with pytest.raises(RecordInvalidError) as info:
        registry.update_run(run_dir, pid=-1)
    record_file = RunLayout(run_dir).record_file
    assert str(info.value) == (
        f"experiment record is invalid: {str(record_file)!r}: field 'pid': Input should be "
        "greater than or equal to 0. Fix or remove the file, then run `ocr registry rebuild`"
    )


def test_nan_metrics_keep_the_record_valid_when_a_run_diverged(
    registry: ExperimentRegistry,
) -> None:
    run_dir, record = _new_run(registry)
    registry.update_run(run_dir, metrics={"val/hmean": math.nan}, best_metrics={"loss": -math.inf})
    stored = json.loads(RunLayout(run_dir).record_file.read_text())
    assert (stored["metrics"], stored["best_metrics"]) == (
        {"val/hmean": "NaN"},
        {"loss": "-Infinity"},
    )
    found = registry.get(record.id).record
    assert math.isnan(found.metrics["val/hmean"]) and found.best_metrics["loss"] == -math.inf
    assert [r.record.id for r in registry.runs()] == [record.id]


def test_registry_json_stays_strict_when_a_metric_is_nan(
    registry: ExperimentRegistry, capsys: pytest.CaptureFixture[str]
) -> None:
    run_dir, record = _new_run(registry)
    registry.update_run(run_dir, metrics={"val/hmean": math.nan})

    def refuse(token: str) -> None:
        raise AssertionError(f"not strict JSON: {token}")

    root = str(registry.root)
    assert cli_main(["registry", "show", record.id, root, "--format", "json"]) == 0
    shown = json.loads(capsys.readouterr().out, parse_constant=refuse)
    assert shown["metrics"] == {"val/hmean": "NaN"}
    assert cli_main(["registry", "list", root, "--format", "json"]) == 0
    (listed,) = json.loads(capsys.readouterr().out, parse_constant=refuse)
    assert listed["metrics"] == {"val/hmean": "NaN"}


def test_update_needs_a_record_when_the_run_never_registered(registry: ExperimentRegistry) -> None:
    run_dir = allocate_launch_dir(registry.root, now=LAUNCH)
    with pytest.raises(RecordNotFoundError, match="no experiment record at"):
        registry.update_run(run_dir, metrics={})


def test_queries_filter_and_sort_newest_first_when_asked(registry: ExperimentRegistry) -> None:
    made = [_new_run(registry, name=f"exp-{i}", tags=[f"t{i % 2}"])[1] for i in range(4)]
    registry.update_run(registry.get(made[1].id).run_dir, status=Status.FAILED, error="boom")
    assert [r.record.id for r in registry.runs()] == [m.id for m in reversed(made)]
    assert [r.record.id for r in registry.query(status=Status.FAILED)] == [made[1].id]
    assert [r.record.id for r in registry.query(tag="t0")] == [made[2].id, made[0].id]
    assert [r.record.id for r in registry.query(name="EXP-3")] == [made[3].id]
    future = datetime.now().astimezone() + timedelta(days=1)
    assert registry.query(since=future) == []
    assert len(registry.query(until=future)) == 4


def test_get_accepts_a_unique_prefix_and_explains_when_ambiguous(
    registry: ExperimentRegistry,
) -> None:
    _, record = _new_run(registry)
    assert registry.get(record.id[:12]).record == record
    _new_run(registry)
    with pytest.raises(RecordNotFoundError) as info:
        registry.get("")
    assert str(info.value).startswith("the ID prefix '' matches 2 experiments (")
    with pytest.raises(RecordNotFoundError) as missing:
        registry.get("zzzz")
    assert str(missing.value) == (
        "no experiment has the ID 'zzzz'. List the IDs with `ocr registry list`"
    )


def test_sweep_jobs_share_one_sweep_record_when_registered(registry: ExperimentRegistry) -> None:
    sweep_dir = allocate_launch_dir(registry.root, now=LAUNCH)
    sweep = SweepLayout(sweep_dir)
    sweep.multirun_file.write_text("{}\n")
    records = []
    for job in range(3):
        sweep.job_dir(job).mkdir()
        records.append(registry.start_run(sweep.job_dir(job)))
    assert len({r.sweep_id for r in records}) == 1
    assert [r.job_num for r in records] == [0, 1, 2]
    assert [r.record.job_num for r in registry.query(sweep_id=records[0].sweep_id)] == [2, 1, 0]


def test_queries_stay_right_when_the_index_is_deleted(registry: ExperimentRegistry) -> None:
    made = {_new_run(registry)[1].id for _ in range(3)}
    RootLayout(registry.root).registry_index_file.unlink()
    assert {r.record.id for r in registry.runs()} == made
    assert RootLayout(registry.root).registry_index_file.is_file()


def test_index_is_rebuilt_and_said_when_corrupt(
    registry: ExperimentRegistry, caplog: pytest.LogCaptureFixture
) -> None:
    made = {_new_run(registry)[1].id for _ in range(3)}
    index = RootLayout(registry.root).registry_index_file
    index.write_text('{"schema_version": 1, "entries": [tru')
    with caplog.at_level(logging.WARNING, logger="ocr.registry"):
        assert {r.record.id for r in registry.runs()} == made
    assert f"the registry index {index} is unreadable (ValidationError)" in caplog.text
    assert "rebuilding it from the run records" in caplog.text
    assert registry.rebuild() == 3


def test_queries_see_record_changes_when_the_index_is_stale(registry: ExperimentRegistry) -> None:
    run_dir, record = _new_run(registry)
    index = RootLayout(registry.root).registry_index_file
    cached = index.read_bytes()
    registry.update_run(run_dir, status=Status.COMPLETED)
    index.write_bytes(cached)  # as if the index update had been lost
    assert registry.get(record.id).record.status is Status.COMPLETED


def test_unreadable_records_are_skipped_with_a_warning_when_listing(
    registry: ExperimentRegistry, caplog: pytest.LogCaptureFixture
) -> None:
    run_dir, _ = _new_run(registry)
    good = _new_run(registry)[1]
    RunLayout(run_dir).record_file.write_text("{broken")
    with caplog.at_level(logging.WARNING, logger="ocr.registry"):
        assert [r.record.id for r in registry.runs()] == [good.id]
    assert "skipping an unreadable experiment record" in caplog.text


def _exit_at_once() -> None:
    return


def test_mark_stale_interrupts_dead_and_silent_runs_when_asked(
    registry: ExperimentRegistry,
) -> None:
    dead_dir, dead = _new_run(registry)
    process = multiprocessing.get_context("spawn").Process(target=_exit_at_once)
    process.start()
    process.join()
    assert process.pid is not None
    _rewrite(dead_dir, pid=process.pid)
    silent_dir, silent = _new_run(registry)
    old = datetime.now().astimezone() - timedelta(hours=2)
    _rewrite(silent_dir, host="another-host", heartbeat_at=old)
    _, alive = _new_run(registry)
    marked = {run.record.id: reason for run, reason in registry.mark_stale()}
    assert marked == {
        dead.id: f"its process {process.pid} on {socket.gethostname()} is gone",
        silent.id: f"no heartbeat since {old.isoformat()}",
    }
    assert registry.get(dead.id).record.status is Status.INTERRUPTED
    assert registry.get(dead.id).record.error == f"marked interrupted: {marked[dead.id]}"
    assert registry.get(alive.id).record.status is Status.RUNNING


def _rewrite(run_dir: Path, **changes: object) -> None:
    record_file = RunLayout(run_dir).record_file
    record = read_record(record_file)
    atomic_write_json(record_file, record.model_copy(update=changes))


def test_no_update_is_lost_when_threads_update_their_runs_at_once(
    registry: ExperimentRegistry,
) -> None:
    runs = [_new_run(registry)[0] for _ in range(8)]
    barrier = threading.Barrier(len(runs))

    def work(run_dir: Path) -> None:
        barrier.wait()
        for step in range(5):
            registry.update_run(run_dir, metrics={"step": float(step)})

    threads = [threading.Thread(target=work, args=(run_dir,)) for run_dir in runs]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    index = json.loads(RootLayout(registry.root).registry_index_file.read_text())
    assert sorted(e["record"]["metrics"]["step"] for e in index["entries"]) == [4.0] * 8


def test_queries_filter_by_task_when_asked(registry: ExperimentRegistry) -> None:
    _, train = _new_run(registry, task_name="train", log_file="train.log")
    _, evaluation = _new_run(registry, task_name="eval")
    assert [r.record.id for r in registry.query(task="eval")] == [evaluation.id]
    assert [r.record.id for r in registry.query(task="train")] == [train.id]
    assert (train.task_name, train.log_file) == ("train", "train.log")


def test_a_version_1_record_is_read_and_written_back_as_version_2_when_updated(
    registry: ExperimentRegistry,
) -> None:
    run_dir, _ = _new_run(registry)
    record_file = RunLayout(run_dir).record_file
    old = json.loads(record_file.read_text())
    del old["task_name"]
    record_file.write_text(json.dumps({**old, "schema_version": 1}))
    assert read_record(record_file).schema_version == 1
    updated = registry.update_run(run_dir, task_name="train")
    assert (updated.schema_version, updated.task_name) == (2, "train")
    assert json.loads(record_file.read_text())["schema_version"] == 2


def test_a_record_from_a_newer_ocr_is_refused_with_the_upgrade_when_read(
    registry: ExperimentRegistry,
) -> None:
    run_dir, _ = _new_run(registry)
    record_file = RunLayout(run_dir).record_file
    record_file.write_text(json.dumps({**json.loads(record_file.read_text()), "schema_version": 3}))
    with pytest.raises(RecordInvalidError) as info:
        read_record(record_file)
    assert str(info.value) == (
        f"experiment record is invalid: {str(record_file)!r}: schema version 3 is newer than this "
        "ocr understands (2). Upgrade ocr (pip install --upgrade ocr)"
    )


def test_record_locks_stay_out_of_the_run_folder_when_runs_register(
    registry: ExperimentRegistry,
) -> None:
    run_dir, _ = _new_run(registry)
    registry.update_run(run_dir, status=Status.COMPLETED)
    assert sorted(p.name for p in run_dir.iterdir()) == ["run.json"]
    lock = RootLayout(registry.root).lock_file_of(RunLayout(run_dir).record_file)
    assert lock.is_file()


# -- issue 11: items 17 and 19 -------------------------------------------------------


def test_a_live_local_process_wins_over_an_old_heartbeat_when_marking_stale(
    registry: ExperimentRegistry,
) -> None:
    run_dir, record = _new_run(registry)  # this process, alive
    _rewrite(run_dir, heartbeat_at=datetime.now().astimezone() - timedelta(hours=2))
    assert registry.mark_stale(stale_after=timedelta(seconds=6)) == []
    assert registry.get(record.id).record.status is Status.RUNNING


def _sleep_a_while() -> None:
    import time

    time.sleep(30)


def test_a_reused_pid_does_not_keep_a_dead_run_alive_when_its_process_started_later(
    registry: ExperimentRegistry,
) -> None:
    run_dir, record = _new_run(registry)
    newer = multiprocessing.get_context("spawn").Process(target=_sleep_a_while)
    newer.start()
    try:
        assert newer.pid is not None
        long_ago = datetime.now().astimezone() - timedelta(hours=1)
        _rewrite(run_dir, pid=newer.pid, created_at=long_ago)  # heartbeat fresh
        ((run, reason),) = registry.mark_stale()
    finally:
        newer.kill()
        newer.join()
    assert (run.record.id, reason) == (
        record.id,
        f"its process {newer.pid} on {socket.gethostname()} is gone",
    )


@pytest.mark.parametrize(
    "pid",
    [pytest.param(2**40, id="beyond-any-pid"), pytest.param(0, id="zero")],
)
def test_a_pid_no_process_can_have_is_judged_by_the_heartbeat_alone(
    registry: ExperimentRegistry, pid: int
) -> None:
    fresh_dir, fresh = _new_run(registry)
    _rewrite(fresh_dir, pid=pid)
    silent_dir, silent = _new_run(registry)
    old = datetime.now().astimezone() - timedelta(hours=2)
    _rewrite(silent_dir, pid=pid, heartbeat_at=old)
    marked = {run.record.id: reason for run, reason in registry.mark_stale()}
    assert marked == {silent.id: f"no heartbeat since {old.isoformat()}"}
    assert registry.get(fresh.id).record.status is Status.RUNNING


def test_its_own_process_completes_a_run_that_mark_stale_interrupted_wrongly(
    registry: ExperimentRegistry,
) -> None:
    run_dir, record = _new_run(registry)
    # Marked from another host, where the heartbeat looked stale.
    _rewrite(
        run_dir,
        status=Status.INTERRUPTED,
        error="marked interrupted: no heartbeat since 2025-10-18T14:03:22+02:00",
        ended_at=datetime.now().astimezone(),
    )
    done = registry.update_run(run_dir, status=Status.COMPLETED, metrics={"val/hmean": 0.9})
    assert (done.status, done.error) == (Status.COMPLETED, None)
    assert registry.get(record.id).record.status is Status.COMPLETED


def test_another_process_cannot_complete_a_run_that_mark_stale_interrupted(
    registry: ExperimentRegistry,
) -> None:
    run_dir, record = _new_run(registry)
    _rewrite(
        run_dir, status=Status.INTERRUPTED, error="marked interrupted: gone", pid=record.pid + 1
    )
    with pytest.raises(RegistryTransitionError):
        registry.update_run(run_dir, status=Status.COMPLETED)


@pytest.mark.parametrize(
    "minutes",
    [
        pytest.param("nan", id="nan"),
        pytest.param("inf", id="inf"),
        pytest.param("1e20", id="huge"),
        pytest.param("-5", id="negative"),
        pytest.param("0", id="zero"),
        pytest.param("ten", id="not-a-number"),
    ],
)
def test_mark_stale_refuses_a_nonsense_heartbeat_age_with_one_line(
    registry: ExperimentRegistry, minutes: str, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit) as info:
        cli_main(["registry", "mark-stale", str(registry.root), "--stale-after", minutes])
    assert info.value.code == 2
    assert capsys.readouterr().err.splitlines()[-1] == (
        "ocr registry mark-stale: error: argument --stale-after: not a number of minutes above "
        f"0 and at most 5,270,400: {minutes!r}"
    )
