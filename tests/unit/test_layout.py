from __future__ import annotations

import os
import threading
from datetime import datetime
from pathlib import Path, PurePosixPath

import pytest
from hypothesis import given
from hypothesis import strategies as st
from omegaconf import OmegaConf
from omegaconf.errors import InterpolationResolutionError

from ocr.errors import ConfigDirNotFoundError, LaunchDirAllocationError, RunPathParseError
from ocr.layout import (
    ConfigSet,
    FolderKind,
    RootLayout,
    RunLayout,
    RunLocation,
    RunStamp,
    SweepLayout,
    allocate_launch_dir,
    classify_folder,
    format_job_name,
    output_root_of,
    packaged_config_dir,
    parse_run_path,
    register_resolvers,
)
from ocr.layout import _hydra as layout_hydra
from ocr.layout._claims import claim_launch_dir, release_unused_claims
from ocr.layout._shared import free_run_path, in_layout_run, run_location
from tests.strategies import path_parts, run_locations

LAUNCH = datetime(2025, 10, 18, 14, 3, 22)


@given(run_locations)
def test_parse_returns_the_location_when_given_a_formatted_path(location: RunLocation) -> None:
    assert parse_run_path(location.relative_path) == location


@given(run_locations)
def test_run_location_recognises_the_folder_when_it_is_the_layouts(location: RunLocation) -> None:
    assert run_location(location.relative_path.parts) == location
    assert in_layout_run((*location.relative_path.parts[:2], "checkpoints"))


@given(path_parts)
def test_run_location_agrees_with_parse_when_given_any_parts(parts: list[str]) -> None:
    try:
        expected: RunLocation | None = parse_run_path(PurePosixPath(*parts))
    except RunPathParseError:
        expected = None
    assert run_location(parts) == expected


@given(path_parts)
def test_parse_accepts_only_paths_it_would_format_when_given_any_parts(parts: list[str]) -> None:
    path = PurePosixPath(*parts)
    try:
        location = parse_run_path(path)
    except RunPathParseError:
        return
    assert location.relative_path == path


@pytest.mark.parametrize(
    ("path", "why"),
    [
        pytest.param("2025-10-18", "it has the wrong number of parts", id="date-only"),
        pytest.param("2025-10-18/14-03-22/0/x", "it has the wrong number of parts", id="too-deep"),
        pytest.param("2025-02-30/14-03-22", "its date or time does not exist", id="no-such-day"),
        pytest.param("2025-10-18/24-00-00", "its date or time does not exist", id="hour-24"),
        pytest.param(
            "2025-10-18/14-03-22_0", "its date or time folder is not a timestamp", id="clash-0"
        ),
        pytest.param(
            "exp_name/checkpoints", "its date or time folder is not a timestamp", id="legacy"
        ),
        pytest.param("2025-10-18/14-03-22/01", "its job folder is not a job number", id="padded"),
    ],
)
def test_parse_refuses_with_the_reason_when_the_path_is_not_ours(path: str, why: str) -> None:
    with pytest.raises(RunPathParseError) as info:
        parse_run_path(path)
    assert str(info.value) == (
        f"not an ocr run folder: {path!r}: {why}, expected 'YYYY-MM-DD/HH-MM-SS[_n]' "
        "optionally followed by '/<job number>'. Pass a run folder under the output root"
    )


def test_stamp_drops_microseconds_and_timezone_when_built() -> None:
    stamp = RunStamp(datetime(2025, 1, 2, 3, 4, 5, 999).astimezone())
    assert stamp.launched == datetime(2025, 1, 2, 3, 4, 5)
    assert (stamp.date_name, stamp.time_name) == ("2025-01-02", "03-04-05")


def test_stamp_refuses_when_clash_is_negative() -> None:
    with pytest.raises(RunPathParseError, match="clash suffix must be >= 0, got -1"):
        RunStamp(LAUNCH, clash=-1)


def test_job_name_refuses_when_negative() -> None:
    with pytest.raises(RunPathParseError) as info:
        format_job_name(-3)
    assert str(info.value) == "job number must be >= 0, got -3. Use the Hydra job number"


def test_allocation_adds_suffixes_when_the_second_is_taken(run_root: Path) -> None:
    made = [allocate_launch_dir(run_root, now=LAUNCH) for _ in range(3)]
    assert [p.relative_to(run_root).as_posix() for p in made] == [
        "2025-10-18/14-03-22",
        "2025-10-18/14-03-22_1",
        "2025-10-18/14-03-22_2",
    ]
    assert all(p.is_dir() and not any(p.iterdir()) for p in made)


def test_allocation_gives_distinct_folders_when_threads_race(run_root: Path) -> None:
    made: list[Path] = []
    barrier = threading.Barrier(8)

    def allocate() -> None:
        barrier.wait()
        made.append(allocate_launch_dir(run_root, now=LAUNCH))

    threads = [threading.Thread(target=allocate) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(set(made)) == 8


def test_allocation_uses_the_wall_clock_when_no_time_is_given(run_root: Path) -> None:
    before = datetime.now().replace(microsecond=0)
    made = allocate_launch_dir(run_root)
    after = datetime.now()
    launched = RootLayout(run_root).location_of(made).stamp.launched
    assert before <= launched <= after


def test_allocation_fails_with_one_line_when_root_is_a_file(tmp_path: Path) -> None:
    root = tmp_path / "file"
    root.write_text("not a folder")
    with pytest.raises(LaunchDirAllocationError) as info:
        allocate_launch_dir(root, now=LAUNCH)
    assert str(info.value) == (
        f"cannot create a run folder under {str(root)!r}: Not a directory. "
        "Choose a writable output root (paths.output_root=...)"
    )
    assert info.value.path == root


def test_allocation_works_when_the_root_has_odd_characters(weird_path: Path) -> None:
    made = allocate_launch_dir(weird_path / "outputs", now=LAUNCH)
    assert classify_folder(made, root=weird_path / "outputs") is FolderKind.RUN


def test_run_layout_puts_everything_inside_the_run_folder(tmp_path: Path) -> None:
    layout = RunLayout(tmp_path / "run")
    paths = [
        layout.hydra_dir,
        layout.config_file,
        layout.hydra_file,
        layout.overrides_file,
        layout.record_file,
        layout.checkpoint_dir,
        layout.log_dir,
        layout.metrics_file,
        layout.artifact_dir,
        layout.log_file("train"),
    ]
    assert all(p.is_relative_to(layout.run_dir) for p in paths)
    assert layout.metrics_file.parent == layout.log_dir
    assert len(set(paths)) == len(paths)
    assert layout.log_file("train").name == "train.log"


def test_sweep_layout_lists_jobs_in_number_order_when_folders_exist(tmp_path: Path) -> None:
    sweep = SweepLayout(tmp_path)
    for name in ("10", "2", "0", "notes", "01"):
        (tmp_path / name).mkdir()
    assert [p.name for p in sweep.job_dirs()] == ["0", "2", "10"]
    assert sweep.job_dir(2) == tmp_path / "2"


def test_classify_tells_runs_sweeps_and_jobs_apart(run_root: Path) -> None:
    run = allocate_launch_dir(run_root, now=LAUNCH)
    sweep_dir = allocate_launch_dir(run_root, now=LAUNCH)
    sweep = SweepLayout(sweep_dir)
    sweep.multirun_file.write_text("hydra: {}\n")
    sweep.job_dir(0).mkdir()
    (run / "0").mkdir()
    stray = run_root / "exp_name"
    stray.mkdir()
    assert classify_folder(run, root=run_root) is FolderKind.RUN
    assert classify_folder(sweep_dir, root=run_root) is FolderKind.SWEEP
    assert classify_folder(sweep.job_dir(0), root=run_root) is FolderKind.SWEEP_JOB
    assert classify_folder(run / "0", root=run_root) is None
    assert classify_folder(stray, root=run_root) is None
    assert classify_folder(run_root.parent, root=run_root) is None


def test_location_of_refuses_when_the_folder_is_outside_the_root(tmp_path: Path) -> None:
    with pytest.raises(RunPathParseError) as info:
        RootLayout(tmp_path / "outputs").location_of(tmp_path / "elsewhere")
    assert str(info.value) == (
        f"{str(tmp_path / 'elsewhere')!r} is not under the output root "
        f"{str(tmp_path / 'outputs')!r}. Pass a folder inside the output root"
    )


def test_root_layout_keeps_state_in_a_hidden_folder(tmp_path: Path) -> None:
    layout = RootLayout(tmp_path)
    caches = [layout.registry_index_file, layout.catalog_index_file, layout.ablation_index_file]

    assert layout.state_dir == tmp_path / ".ocr"
    assert all(cache.parent == layout.state_dir for cache in caches)
    assert len(set(caches)) == len(caches)


@given(st.sampled_from(["checkpoint_dir", "log_dir", "artifact_dir"]))
def test_run_path_resolver_asks_the_layout_when_interpolated(name: str) -> None:
    register_resolvers()
    cfg = OmegaConf.create(
        {"run": "/r/2025-10-18/14-03-22", "p": f"${{ocr_run_path:{name},${{run}}}}"}
    )
    assert cfg.p == str(getattr(RunLayout(Path("/r/2025-10-18/14-03-22")), name))


def test_run_path_resolver_refuses_when_the_name_is_unknown() -> None:
    register_resolvers()
    cfg = OmegaConf.create({"p": "${ocr_run_path:nope,/r}"})
    with pytest.raises(InterpolationResolutionError) as info:
        _ = cfg.p
    assert str(info.value).splitlines()[0] == (
        "RunPathParseError raised while resolving interpolation: unknown run path 'nope' in "
        "${ocr_run_path:...}. Use one of checkpoint_dir, log_dir, artifact_dir, hydra_dir, "
        "record_file"
    )


def test_launch_resolver_allocates_once_when_read_many_times(
    run_root: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    register_resolvers()
    monkeypatch.chdir(run_root.parent)
    cfg = OmegaConf.create({"a": "${ocr_launch_dir:outputs}", "b": "${a}"})
    values = {cfg.a, cfg.b, cfg.a}
    assert len(values) == 1
    assert Path(values.pop()).parent.parent == run_root
    assert len(list(run_root.glob("*/*"))) == 1


@pytest.mark.parametrize(
    ("which", "marker"),
    [
        pytest.param("searchpath", "ocr.yaml", id="searchpath"),
        pytest.param("train", "train.yaml", id="train"),
    ],
)
def test_packaged_config_dir_finds_the_checkout_configs_when_asked(
    which: ConfigSet, marker: str
) -> None:
    folder = packaged_config_dir(which)
    assert folder.name == which
    assert (folder / marker).is_file()


def test_the_trainer_groups_stay_off_the_search_path_when_packaged() -> None:
    searchpath = packaged_config_dir("searchpath")
    shipped = sorted(p.relative_to(searchpath).as_posix() for p in searchpath.rglob("*.yaml"))
    assert shipped == ["hydra/ocr_layout.yaml", "ocr.yaml"]


def test_packaged_config_dir_fails_with_one_line_when_configs_are_missing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(layout_hydra, "__file__", os.fspath(tmp_path / "a" / "b" / "c" / "d.py"))
    with pytest.raises(ConfigDirNotFoundError) as info:
        packaged_config_dir("train")
    installed, checkout = tmp_path / "a" / "b" / "configs" / "train", tmp_path / "configs" / "train"
    assert str(info.value) == (
        f"ocr's Hydra configs are missing: neither {str(installed)!r} nor "
        f"{str(checkout)!r} holds train.yaml. "
        "Reinstall ocr (pip install --force-reinstall ocr)"
    )


def test_free_run_path_skips_existing_and_taken_folders(tmp_path: Path) -> None:
    """Planning chooses the first free suffix without creating anything."""
    (tmp_path / "2025-10-18" / "14-03-22").mkdir(parents=True)
    chosen = {PurePosixPath("2025-10-18/14-03-22_1")}
    free = free_run_path(tmp_path, datetime(2025, 10, 18, 14, 3, 22), taken=chosen.__contains__)
    assert free == PurePosixPath("2025-10-18/14-03-22_2")
    assert not (tmp_path / free).exists()
    assert free_run_path(tmp_path, datetime(2025, 10, 18, 9, 0, 0)) == PurePosixPath(
        "2025-10-18/09-00-00"
    )


@pytest.mark.parametrize(
    ("config", "expected"),
    [
        pytest.param({}, "{launch}/outputs", id="default"),
        pytest.param({"paths": {"output_root": "runs"}}, "{launch}/runs", id="paths-output-root"),
        pytest.param(
            {"ocr": {"output_root": "a"}, "paths": {"output_root": "b"}},
            "{launch}/a",
            id="ocr-first",
        ),
        pytest.param({"paths": {"root_dir": "/project"}}, "/project/outputs", id="project-root"),
        pytest.param(
            {"paths": {"root_dir": "project"}}, "{launch}/project/outputs", id="relative-project"
        ),
        pytest.param(
            {"ocr": {"output_root": "/data/runs"}, "paths": {"root_dir": "/project"}},
            "/data/runs",
            id="absolute",
        ),
        pytest.param(
            {"ocr": {"task_trees": True, "task_name": "eval"}},
            "{launch}/outputs/eval",
            id="task-tree",
        ),
    ],
)
def test_the_output_root_follows_the_config_when_resolved(
    config: dict[str, object], expected: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    assert output_root_of(OmegaConf.create(config)) == Path(expected.format(launch=tmp_path))


@pytest.mark.parametrize(
    "task_name",
    [pytest.param(None, id="none"), pytest.param("..", id="dots"), pytest.param("a/b", id="slash")],
)
def test_task_trees_refuse_a_task_name_when_it_is_no_folder_name(task_name: str | None) -> None:
    config = OmegaConf.create({"ocr": {"task_trees": True, "task_name": task_name}})
    with pytest.raises(RunPathParseError) as info:
        output_root_of(config)
    assert str(info.value) == (
        f"ocr.task_trees needs a task name that is a folder name, got {task_name!r}. "
        "Set task_name (or ocr.task_name) to a plain name such as 'train'"
    )


def test_the_launch_folder_follows_the_resolved_root_when_the_config_changes_it(
    tmp_path: Path,
) -> None:
    # OmegaConf resolves hydra.run.dir while it merges a later config over it,
    # before the overrides that choose the root are in.
    register_resolvers()
    cfg = OmegaConf.create(
        {
            "ocr": {"output_root": str(tmp_path / "a")},
            "dir": "${ocr_launch_dir:${ocr_output_root:}}",
        }
    )
    first = Path(cfg.dir)
    cfg.ocr.output_root = str(tmp_path / "b")
    second = Path(cfg.dir)
    assert (first.parents[1], second.parents[1]) == (tmp_path / "a", tmp_path / "b")
    assert Path(cfg.dir) == second
    release_unused_claims()
    assert not (tmp_path / "a").exists() and not (tmp_path / "b").exists()


def test_an_empty_claim_is_handed_out_again_when_composed_twice(run_root: Path) -> None:
    first = claim_launch_dir(run_root)
    assert claim_launch_dir(run_root) == first
    (first / "used").write_text("x")
    second = claim_launch_dir(run_root)
    assert second != first
    release_unused_claims()
    assert first.is_dir() and not second.exists()


def test_allocation_makes_the_date_folder_again_when_another_process_removed_it(
    run_root: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    real_mkdir = Path.mkdir
    removed: list[Path] = []

    def mkdir_after_a_removal(self: Path, *args: object, **kwargs: object) -> None:
        if self.parent.parent == run_root and not removed:
            removed.append(self.parent)
            self.parent.rmdir()  # another process released its empty claim just now
        real_mkdir(self, *args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(Path, "mkdir", mkdir_after_a_removal)
    folder = allocate_launch_dir(run_root, now=datetime(2025, 10, 18, 14, 3, 22))
    assert removed and folder == run_root / "2025-10-18" / "14-03-22"


def test_record_locks_live_in_the_state_folder_when_named(tmp_path: Path) -> None:
    layout = RootLayout(tmp_path)
    record = tmp_path / "2025-10-18" / "14-03-22" / "run.json"
    assert (
        layout.lock_file_of(record)
        == tmp_path / ".ocr" / "locks" / "2025-10-18" / "14-03-22" / "run.json.lock"
    )
    with pytest.raises(RunPathParseError) as info:
        layout.lock_file_of(Path("/elsewhere/run.json"))
    assert str(info.value) == (
        f"'/elsewhere/run.json' is not under the output root {str(tmp_path)!r}. "
        "Pass a record inside the output root"
    )


def test_a_run_layout_holds_its_own_folders_only_when_asked(tmp_path: Path) -> None:
    layout = RunLayout(tmp_path / "run")
    assert layout.holds(layout.checkpoint_dir) and layout.holds(layout.run_dir)
    assert not layout.holds(tmp_path / "run-other") and not layout.holds(tmp_path)
