"""Collecting runs from real run folders: records, configs, histories, selection, legacy trees."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from ocr.ablation import HistorySource, MetricPoint, RunSelection, collect_runs
from ocr.errors import AblationSelectionError, CatalogQueryError
from ocr.layout import RunLayout
from ocr.metadata import read_metadata, write_metadata
from ocr.registry import Status, read_record
from tests.ablation_trees import (
    RunSpec,
    hmean_history,
    trainer_config,
    when,
    write_run,
    write_sweep,
)
from tests.tree_snapshot import snapshot

if TYPE_CHECKING:
    from ocr.ablation import AblationRun

__all__: list[str] = []

FIXTURES = Path(__file__).parents[2] / "fixtures"
SWEEP = "2025-10-18/14-05-00"


@pytest.fixture
def sweep_root(tmp_path: Path) -> Path:
    """A sweep of two encoders and two seeds, plus one run of its own."""
    root = tmp_path / "outputs"
    write_sweep(root, SWEEP, sweep_id="sweep0001", params={"model.encoder": "tiny_cnn,tiny_resnet"})
    for job, (encoder, seed, values) in enumerate(
        [
            ("tiny_cnn", 0, [0.3, 0.6]),
            ("tiny_cnn", 1, [0.4, 0.5]),
            ("tiny_resnet", 0, [0.5, 0.9]),
            ("tiny_resnet", 1, [0.6, 0.8]),
        ]
    ):
        write_run(
            root,
            RunSpec(
                location=f"{SWEEP}/{job}",
                config=trainer_config(model__encoder=encoder, seed=seed),
                overrides=[f"model.encoder={encoder}", f"seed={seed}"],
                history=hmean_history(values),
                sweep_id="sweep0001",
                tags=["sweep"] if job else ["sweep", "first"],
            ),
        )
    write_run(
        root, RunSpec(location="2025-10-19/09-00-00", history=hmean_history([0.7]), name="solo")
    )
    return root


def _by_name(runs: list[AblationRun]) -> dict[str, AblationRun]:
    return {run.name: run for run in runs}


def test_collect_runs_reads_each_runs_record_config_and_history_when_the_layout_is_new(
    sweep_root: Path,
) -> None:
    runs = _by_name(collect_runs([sweep_root]))

    assert list(runs) == [
        f"{SWEEP}/0",
        f"{SWEEP}/1",
        f"{SWEEP}/2",
        f"{SWEEP}/3",
        "2025-10-19/09-00-00",
    ]
    run = runs[f"{SWEEP}/2"]
    record = read_record(RunLayout(run.run_dir).record_file)
    assert (run.experiment_id, run.sweep_id, run.status) == (
        record.id,
        "sweep0001",
        Status.COMPLETED,
    )
    assert run.created_at == record.created_at
    assert run.config["model.encoder"] == "tiny_resnet" and run.config["seed"] == 0
    assert run.overrides == ("model.encoder=tiny_resnet", "seed=0")
    assert run.history_source is HistorySource.METRICS_CSV
    assert run.history.points("val/hmean") == (MetricPoint(0.5, 0, 15), MetricPoint(0.9, 1, 31))
    assert run.history.sources == (RunLayout(run.run_dir).metrics_file,)
    assert (run.era, run.problems, run.root) == (None, (), sweep_root.resolve())


def test_collect_runs_writes_nothing_into_the_runs_when_collecting(sweep_root: Path) -> None:
    before = snapshot(sweep_root)

    collect_runs([sweep_root])

    after = {
        path: seen for path, seen in snapshot(sweep_root).items() if not path.startswith(".ocr")
    }
    assert after == {path: seen for path, seen in before.items() if not path.startswith(".ocr")}


def test_collect_runs_lists_a_run_with_its_problem_when_its_files_are_corrupt(
    sweep_root: Path,
) -> None:
    layouts = [RunLayout(sweep_root / SWEEP / str(job)) for job in range(3)]
    layouts[0].record_file.write_text("{not json")
    layouts[1].config_file.write_text("model: [unclosed\n")
    layouts[2].metrics_file.write_bytes(b"epoch,step\n\xff\xfe\n")

    runs = _by_name(collect_runs([sweep_root]))

    record_problem = runs[f"{SWEEP}/0"].problems[0]
    assert record_problem.startswith(
        f"experiment record is invalid: {str(layouts[0].record_file)!r}: not valid JSON"
    )
    assert runs[f"{SWEEP}/0"].status is None
    (config_problem,) = runs[f"{SWEEP}/1"].problems
    assert config_problem.startswith(f"{str(layouts[1].config_file)!r}: unreadable run config (")
    assert runs[f"{SWEEP}/1"].config == {}
    assert runs[f"{SWEEP}/2"].problems == (
        f"unreadable metric history ({str(layouts[2].metrics_file)!r} is not UTF-8 text)",
    )
    assert runs[f"{SWEEP}/3"].problems == ()


def test_collect_runs_reads_the_overrides_file_when_a_run_has_no_record(tmp_path: Path) -> None:
    root = tmp_path / "outputs"
    write_run(
        root, RunSpec(location="2025-10-19/09-00-00", overrides=["model.width=4"], status=None)
    )
    write_run(root, RunSpec(location="2025-10-19/09-00-01", config=None, status=None))

    first, second = collect_runs([root])

    assert (first.status, first.experiment_id, first.overrides) == (None, None, ("model.width=4",))
    assert first.created_at is not None and first.created_at.hour == 9
    assert (second.config, second.overrides, second.problems) == ({}, (), ())
    assert second.history_source is HistorySource.NONE


def test_collect_runs_reports_overrides_that_are_not_a_list_when_read(tmp_path: Path) -> None:
    root = tmp_path / "outputs"
    run_dir = write_run(root, RunSpec(location="2025-10-19/09-00-00", status=None))
    RunLayout(run_dir).overrides_file.write_text("a: 1\n")

    (run,) = collect_runs([root])

    assert run.problems == (
        f"{str(RunLayout(run_dir).overrides_file)!r}: the overrides are not a list of text lines",
    )


def test_collect_runs_reads_the_checkpoints_metrics_when_a_run_has_no_metric_file(
    tmp_path: Path,
) -> None:
    root = tmp_path / "outputs"
    run_dir = write_run(root, RunSpec(location="2025-10-19/09-00-00"))
    template = read_metadata(FIXTURES / "golden" / "sidecar-v1.ckpt.meta.json")
    layout = RunLayout(run_dir)
    layout.checkpoint_dir.mkdir()
    for name, epoch, hmean in [
        ("epoch=01.ckpt", 1, 0.5),
        ("epoch=03.ckpt", 3, 0.7),
        ("last.ckpt", 3, 0.7),
    ]:
        checkpoint = layout.checkpoint_dir / name
        checkpoint.write_bytes(b"weights")
        training = template.training.model_copy(
            update={"epoch": epoch, "global_step": epoch * 10, "metrics": {"val/hmean": hmean}}
        )
        stat = checkpoint.stat()
        info = template.checkpoint.model_copy(
            update={"file_name": name, "size_bytes": stat.st_size, "modified_ns": stat.st_mtime_ns}
        )
        write_metadata(
            checkpoint, template.model_copy(update={"training": training, "checkpoint": info})
        )

    (run,) = collect_runs([root])

    assert run.history_source is HistorySource.CHECKPOINTS
    assert run.history.points("val/hmean") == (MetricPoint(0.5, 1, 10), MetricPoint(0.7, 3, 30))
    assert run.monitor == "val/hmean"


def test_collect_runs_reads_the_records_best_and_latest_when_nothing_else_holds_metrics(
    tmp_path: Path,
) -> None:
    root = tmp_path / "outputs"
    run_dir = write_run(root, RunSpec(location="2025-10-19/09-00-00"))
    record_file = RunLayout(run_dir).record_file
    record = read_record(record_file)
    updated = record.model_copy(
        update={"best_metrics": {"val/hmean": 0.8}, "metrics": {"val/hmean": 0.6}}
    )
    record_file.write_text(updated.model_dump_json())

    (run,) = collect_runs([root])

    assert run.history_source is HistorySource.RECORD
    assert run.history.points("val/hmean") == (MetricPoint(0.8), MetricPoint(0.6))


@pytest.mark.parametrize(
    "sweep",
    [
        pytest.param("sweep0001", id="id"),
        pytest.param("sweep", id="prefix"),
        pytest.param(SWEEP, id="folder-in-root"),
    ],
)
def test_collect_runs_keeps_one_sweeps_jobs_when_a_sweep_is_named(
    sweep_root: Path, sweep: str
) -> None:
    runs = collect_runs([sweep_root], selection=RunSelection(sweep=sweep))

    assert [run.name for run in runs] == [f"{SWEEP}/{job}" for job in range(4)]


def test_collect_runs_keeps_one_sweeps_jobs_when_its_folder_is_given_from_anywhere(
    sweep_root: Path,
) -> None:
    runs = collect_runs([sweep_root], selection=RunSelection(sweep=str(sweep_root / SWEEP)))

    assert len(runs) == 4


@pytest.mark.parametrize(
    ("sweep", "message"),
    [
        pytest.param(
            "nope",
            "no sweep folder or sweep ID 'nope' (sweep IDs here: sweep0001). "
            "Give a sweep ID from `ocr registry list`, or the sweep's folder",
            id="unknown",
        ),
        pytest.param(
            "s",
            "the sweep ID prefix 's' matches 2 sweeps (sweep0001, sweep0002). "
            "Type more characters of the sweep ID",
            id="ambiguous",
        ),
    ],
)
def test_collect_runs_refuses_with_one_line_when_the_sweep_is_not_one(
    sweep_root: Path, sweep: str, message: str
) -> None:
    if sweep == "s":
        write_sweep(sweep_root, "2025-10-20/10-00-00", sweep_id="sweep0002", params={})
        write_run(sweep_root, RunSpec(location="2025-10-20/10-00-00/0", sweep_id="sweep0002"))
    with pytest.raises(AblationSelectionError) as raised:
        collect_runs([sweep_root], selection=RunSelection(sweep=sweep))

    assert str(raised.value) == message


@pytest.mark.parametrize(
    ("selection", "names"),
    [
        pytest.param(RunSelection(tags=("first",)), [f"{SWEEP}/0"], id="tag"),
        pytest.param(RunSelection(name="SOLO"), ["2025-10-19/09-00-00"], id="name"),
        pytest.param(
            RunSelection(since=when("2025-10-19 00:00")), ["2025-10-19/09-00-00"], id="since"
        ),
        pytest.param(
            RunSelection(until=when("2025-10-18 14:06")),
            [f"{SWEEP}/{j}" for j in range(4)],
            id="until",
        ),
        pytest.param(
            RunSelection(where="config.model.encoder = 'tiny_cnn' and config.seed = 1"),
            [f"{SWEEP}/1"],
            id="where-config",
        ),
        pytest.param(
            RunSelection(where="metrics.val/hmean >= 0.75 and tags = 'sweep'"),
            [f"{SWEEP}/2", f"{SWEEP}/3"],
            id="where-metrics",
        ),
    ],
)
def test_collect_runs_keeps_the_runs_the_selection_admits_when_selected(
    sweep_root: Path, selection: RunSelection, names: list[str]
) -> None:
    # --where sees a run without checkpoints through its record: give the records metrics.
    for job, value in enumerate([0.6, 0.5, 0.9, 0.8]):
        record_file = RunLayout(sweep_root / SWEEP / str(job)).record_file
        record = read_record(record_file)
        record_file.write_text(
            record.model_copy(update={"metrics": {"val/hmean": value}}).model_dump_json()
        )

    assert [run.name for run in collect_runs([sweep_root], selection=selection)] == names


def test_run_selection_refuses_a_malformed_where_when_made() -> None:
    with pytest.raises(CatalogQueryError):
        RunSelection(where="metrics.val/hmean >")


def test_collect_runs_reads_legacy_runs_through_compat_when_the_tree_is_old(tmp_path: Path) -> None:
    shutil.copytree(FIXTURES / "legacy_sample", tmp_path / "sample")

    runs = _by_name(collect_runs([tmp_path / "sample" / "outputs"]))

    assert {name: run.era for name, run in runs.items()} == {
        "experiments/detection/receipts/20251016_141500_7": "name_based",  # runs nested deeper
        "experiments/detection/receipts/20251017_090000_13": "name_based",
        "multirun/2025-10-14/09-15-00/0": "sweep",
        "multirun/2025-10-14/09-15-00/1": "sweep",
        "multirun/2025-10-14/09-15-00/2": "sweep",
        "ocr_training": "model_subfolder",
        "ocr_training-dbnet-fpn_decoder-resnet34": "name_based",
        "ocr_training-dbnet-pan_decoder-mobilenetv3_small_050": "name_based",
        "ocr_training-dbnet-unet-resnet18": "name_based",
        "receipt_detector-dbnetpp-resnet50_training_20251009_015037": "tagged",
        "receipt_detector-unknown-unknown_finetune_20251011_004442": "tagged",
        "receipts v2=größer, bs=8": "name_based",
    }
    resumed = runs["multirun/2025-10-14/09-15-00/2"]
    assert resumed.history_source is HistorySource.METRICS_CSV
    assert resumed.history.points("val/loss") == (MetricPoint(1.9986, 2, 59),)  # val_loss, mapped
    assert resumed.config["optimizer.lr"] == 0.0001
    assert resumed.overrides == ("optimizer.lr=0.0001", "trainer.compile=false")
    tagged = runs["receipt_detector-dbnetpp-resnet50_training_20251009_015037"]
    assert tagged.config["exp_name"] == "receipt_detector"  # joined to its config through W&B
    assert tagged.created_at is not None and (tagged.created_at.day, tagged.created_at.hour) == (
        9,
        1,
    )
    assert runs["ocr_training-dbnet-unet-resnet18"].history.points("val/hmean")
    assert all(run.status is None and run.problems == () for run in runs.values())


def test_collect_runs_leaves_legacy_runs_out_when_legacy_support_is_off(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    shutil.copytree(FIXTURES / "legacy_sample", tmp_path / "sample")
    monkeypatch.setenv("OCR_LEGACY", "0")

    assert collect_runs([tmp_path / "sample" / "outputs"]) == []
