from __future__ import annotations

import logging
import pickle
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest
from hydra import compose, initialize_config_dir
from hydra.core.global_hydra import GlobalHydra
from hydra.core.utils import JobReturn, JobStatus
from omegaconf import DictConfig, OmegaConf, open_dict

from ocr.adopt import LaunchCallback, adopt_config
from ocr.adopt._dirs import command_line_keys, raw_value
from ocr.adopt._job import finish_job, register_job, task_name_of
from ocr.adopt._sweep import AdoptingConfigLoader
from ocr.errors import AdoptionError
from ocr.layout import RootLayout, RunLayout, allocate_launch_dir
from ocr.registry import ExperimentRegistry, Status, read_record
from ocr.resolvers import register_resolvers
from ocr.run_context import job_log_file

if TYPE_CHECKING:
    from collections.abc import Iterator

PRIMARY = """\
defaults:
  - _self_
  - ocr
  - hydra: project
  - callbacks: default
task_name: train
paths:
  root_dir: {root}
  output_dir: ${{hydra:runtime.output_dir}}
"""
PROJECT_HYDRA = """\
run:
  dir: ${paths.root_dir}/logs/runs/${now:%H-%M-%S}
sweep:
  dir: ${paths.root_dir}/logs/multiruns/${now:%H-%M-%S}
  subdir: ${hydra.job.override_dirname}
"""
CHECKPOINT = """\
model_checkpoint:
  _target_: lightning.pytorch.callbacks.ModelCheckpoint
  dirpath: ${paths.output_dir}/checkpoints
  filename: "epoch_{epoch:03d}"
  monitor: val/acc
  mode: max
  save_top_k: 2
  save_last: null
  auto_insert_metric_name: false
"""


@pytest.fixture
def project(tmp_path: Path) -> Path:
    """A project config folder shaped like the lightning-hydra-template, adopting with `- ocr`."""
    configs = tmp_path / "configs"
    (configs / "hydra").mkdir(parents=True)
    (configs / "callbacks").mkdir()
    (configs / "train.yaml").write_text(PRIMARY.format(root=tmp_path))
    (configs / "hydra" / "project.yaml").write_text(PROJECT_HYDRA)
    (configs / "callbacks" / "default.yaml").write_text(CHECKPOINT)
    (configs / "debug").mkdir()
    (configs / "debug" / "default.yaml").write_text("# @package _global_\ncallbacks: null\n")
    return tmp_path


@pytest.fixture(autouse=True)
def _no_global_hydra() -> Iterator[None]:
    register_resolvers()
    yield
    GlobalHydra.instance().clear()


def _compose(project: Path, *overrides: str) -> DictConfig:
    with initialize_config_dir(version_base="1.3", config_dir=str(project / "configs")):
        return compose("train", overrides=list(overrides), return_hydra_config=True)


def test_the_layout_and_the_checkpoint_are_taken_over_when_the_project_composes_later(
    project: Path,
) -> None:
    config = _compose(project)
    notes = adopt_config(config, sweep=False)
    assert len(notes) == 2
    assert notes[0].startswith("ocr: hydra.run.dir ('${paths.root_dir}/logs/runs/${now:%H-%M-%S}')")
    assert f"launches go under {str(project / 'outputs')!r}" in notes[0]
    assert notes[1] == (
        "ocr: callbacks.model_checkpoint (lightning.pytorch.callbacks.ModelCheckpoint) is now "
        "ocr's UniqueModelCheckpoint: its checkpoints and their sidecars go to <run "
        "folder>/checkpoints, keeping monitor='val/acc', mode='max', save_top_k=2, save_last=None"
    )
    run_dir = Path(config.hydra.run.dir)
    assert RootLayout.of_run(run_dir) is not None and run_dir.parents[1] == project / "outputs"
    assert raw_value(config.hydra, "sweep.subdir") == "${hydra.job.num}"
    entries = OmegaConf.to_container(config.callbacks, resolve=False)
    assert entries == {
        "ocr_recorder": {"_target_": "ocr.callbacks.ExperimentRecorder"},
        "model_checkpoint": {
            "_target_": "ocr.callbacks.UniqueModelCheckpoint",
            "monitor": "val/acc",
            "mode": "max",
            "save_top_k": 2,
            "save_last": None,
            "name_format": "${ocr.checkpoint_names}",
            "identity": "${ocr.model}",
        },
    }
    assert not (project / "logs").exists()


def test_nothing_is_taken_over_when_ocr_composes_last(project: Path) -> None:
    train = project / "configs" / "train.yaml"
    train.write_text(
        train.read_text()
        .replace("  - ocr\n", "")
        .replace("callbacks: default\n", "callbacks: default\n  - ocr\n")
    )
    (project / "configs" / "callbacks" / "default.yaml").write_text("")
    config = _compose(project)
    assert adopt_config(config, sweep=False) == []
    assert set(config.callbacks) == {"ocr_recorder", "ocr_checkpoint"}


@pytest.mark.parametrize(
    ("override", "message"),
    [
        pytest.param(
            "hydra.run.dir=/somewhere",
            "hydra.run.dir is set on the command line to '/somewhere', but ocr's layout keeps "
            "every launch under '{root}'. Drop the hydra.run.dir override, and choose "
            "the root with ocr.output_root=...",
            id="run-dir",
        ),
        pytest.param(
            "hydra.sweep.subdir=job",
            "hydra.sweep.subdir is set on the command line to 'job', but ocr's layout keeps "
            "every launch under '{root}'. Drop the hydra.sweep.subdir override, and "
            "choose the root with ocr.output_root=...",
            id="sweep-subdir",
        ),
        pytest.param(
            "callbacks.model_checkpoint.save_last=link",
            "callbacks.model_checkpoint keeps last.ckpt as 'link', which has no sidecar. Set "
            "callbacks.model_checkpoint.save_last=true (or false)",
            id="linked-last",
        ),
    ],
)
def test_adoption_refuses_with_the_fix_when_it_cannot_take_over(
    override: str, message: str, project: Path
) -> None:
    config = _compose(project, override)
    with pytest.raises(AdoptionError) as info:
        adopt_config(config, sweep=False)
    assert str(info.value) == message.replace("{root}", str(project / "outputs"))


def test_a_launch_folder_given_outright_is_kept_when_it_is_an_existing_run(
    project: Path,
) -> None:
    # Lightning's DDP workers re-launch the script with hydra.run.dir=<rank zero's folder>.
    run_dir = allocate_launch_dir(project / "outputs")
    config = _compose(project, f"hydra.run.dir={run_dir}")
    notes = adopt_config(config, sweep=False)
    assert config.hydra.run.dir == str(run_dir)
    assert not any("hydra.run.dir" in note.split(";")[0] for note in notes)


def test_a_debug_config_without_callbacks_keeps_ocrs_own_when_it_drops_them(
    project: Path,
) -> None:
    config = _compose(project, "+debug=default")
    notes = adopt_config(config, sweep=False)
    assert notes[-1] == (
        "ocr: this launch turns the project's callbacks off (callbacks: null, a debug config?); "
        "ocr keeps its own (ocr_recorder, ocr_checkpoint), so the run still gets its record and "
        "its checkpoints their sidecars"
    )
    assert set(config.callbacks) == {"ocr_recorder", "ocr_checkpoint"}


def test_a_debug_config_without_checkpointing_keeps_only_the_recorder_when_it_drops_callbacks(
    project: Path,
) -> None:
    config = _compose(project, "+debug=default", "+trainer.enable_checkpointing=false")
    notes = adopt_config(config, sweep=False)
    assert notes[-1].endswith("ocr keeps its own (ocr_recorder), so the run still gets its record")
    assert set(config.callbacks) == {"ocr_recorder"}


def test_a_sweep_probes_its_first_job_folder_when_adopted(project: Path) -> None:
    config = _compose(project)
    adopt_config(config, sweep=True)
    sweep_dir = Path(config.hydra.sweep.dir)
    assert RootLayout.of_run(sweep_dir) is not None and sweep_dir.parents[1] == project / "outputs"


def test_the_sweep_loader_adopts_each_job_and_asks_hydra_for_the_rest() -> None:
    calls: list[str] = []

    class Recording:
        def __getattr__(self, name: str) -> Any:
            def answer(*args: Any, **kwargs: Any) -> Any:
                calls.append(name)
                return [name]

            return answer

    loader = AdoptingConfigLoader(Recording())  # type: ignore[arg-type]
    for method, args in (
        ("load_configuration", ("train", [], None)),
        ("get_search_path", ()),
        ("get_sources", ()),
        ("list_groups", ("hydra",)),
        ("get_group_options", ("hydra/launcher",)),
        ("compute_defaults_list", ("train", [], None)),
    ):
        assert getattr(loader, method)(*args) == [method]
    assert calls == [
        "load_configuration",
        "get_search_path",
        "get_sources",
        "list_groups",
        "get_group_options",
        "compute_defaults_list",
    ]
    # Launchers send it to their workers (joblib, submitit) by pickling.
    copied = pickle.loads(pickle.dumps(AdoptingConfigLoader(inner=None)))  # type: ignore[arg-type]  # noqa: S301
    assert copied.inner is None


def test_command_line_keys_strip_the_prefixes_when_overrides_add_or_delete() -> None:
    assert command_line_keys(["+a.b=1", "++c=2", "~d", "e=f=g"]) == {"a.b", "c", "d", "e"}


def test_raw_value_is_none_when_the_key_is_missing() -> None:
    node = OmegaConf.create({"a": {"b": "${x}"}, "c": 1})
    assert (raw_value(node, "a.b"), raw_value(node, "a.z"), raw_value(node, "c.d")) == (
        "${x}",
        None,
        None,
    )


def _job_config(run_dir: Path, **extra: Any) -> DictConfig:
    config = OmegaConf.create(
        {"hydra": {"runtime": {"output_dir": str(run_dir)}, "job": {"name": "app"}}, **extra}
    )
    with open_dict(config):
        return config


def test_a_job_is_registered_and_finished_when_hydra_runs_it(run_root: Path) -> None:
    run_dir = allocate_launch_dir(run_root)
    config = _job_config(run_dir, task_name="eval", ocr={"tags": ["dev"]})
    register_job(config)
    record = read_record(RunLayout(run_dir).record_file)
    assert (record.status, record.task_name, record.tags) == (Status.RUNNING, "eval", ["dev"])
    failed = JobReturn(status=JobStatus.FAILED)
    failed.return_value = RuntimeError("no data")
    finish_job(config, failed)
    record = read_record(RunLayout(run_dir).record_file)
    assert (record.status, record.error) == (Status.FAILED, "RuntimeError: no data")
    finish_job(config, JobReturn(status=JobStatus.COMPLETED))  # a finished record is final
    assert read_record(RunLayout(run_dir).record_file).status is Status.FAILED


def test_a_job_outside_the_layout_gets_no_record_when_hydra_runs_it(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    config = _job_config(tmp_path)
    register_job(config)
    finish_job(config, JobReturn(status=JobStatus.COMPLETED))
    assert not RunLayout(tmp_path).record_file.exists()
    assert f"ocr: {tmp_path} is not an ocr run folder; this launch has no record" in caplog.text


@pytest.mark.parametrize(
    "variable", [pytest.param("RANK", id="rank"), pytest.param("LOCAL_RANK", id="local-rank")]
)
def test_only_rank_zero_registers_when_a_job_runs_in_several_processes(
    variable: str, run_root: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    run_dir = allocate_launch_dir(run_root)
    monkeypatch.setenv(variable, "1")
    register_job(_job_config(run_dir))
    assert not RunLayout(run_dir).record_file.exists()


def test_a_registry_problem_is_logged_and_never_stops_the_job_when_registering(
    run_root: Path, caplog: pytest.LogCaptureFixture
) -> None:
    run_dir = allocate_launch_dir(run_root)
    registry = ExperimentRegistry(run_root)
    registry.start_run(run_dir)
    registry.update_run(run_dir, status=Status.COMPLETED)
    register_job(_job_config(run_dir))  # a finished record cannot run again
    assert "ocr: the record of" in caplog.text and "is completed" in caplog.text


@pytest.mark.parametrize(
    ("config", "expected"),
    [
        pytest.param({"ocr": {"task_name": "eval"}, "task_name": "train"}, "eval", id="ocr"),
        pytest.param({"task_name": "train"}, "train", id="task-name"),
        pytest.param({}, "app", id="job-name"),
    ],
)
def test_the_task_name_comes_from_the_config_when_asked(
    config: dict[str, Any], expected: str, tmp_path: Path
) -> None:
    assert task_name_of(_job_config(tmp_path, **config)) == expected


def test_the_launch_callback_exits_2_with_one_line_when_adoption_is_refused(
    project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    config = _compose(project, "hydra.sweep.dir=/x")
    with pytest.raises(SystemExit) as info:
        LaunchCallback().on_multirun_start(config)
    assert info.value.code == 2
    assert capsys.readouterr().err.startswith(
        "ocr: error: hydra.sweep.dir is set on the command line"
    )


def test_the_log_file_is_the_one_the_root_logger_writes_when_a_job_logs(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    run_dir = tmp_path / "run"
    run_dir.mkdir()
    root_logger = logging.getLogger()
    monkeypatch.setattr(root_logger, "handlers", [])  # whatever earlier tests left there
    assert job_log_file(run_dir) is None
    elsewhere = logging.FileHandler(tmp_path / "elsewhere.log")
    root_logger.addHandler(elsewhere)
    try:
        assert job_log_file(run_dir) == str(tmp_path / "elsewhere.log")
        inside = logging.FileHandler(run_dir / "train.log")
        root_logger.addHandler(inside)
        try:
            assert job_log_file(run_dir) == "train.log"
        finally:
            root_logger.removeHandler(inside)
            inside.close()
    finally:
        root_logger.removeHandler(elsewhere)
        elsewhere.close()
