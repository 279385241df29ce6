"""Run folders as the reference trainer leaves them, written directly, for the ablation tests.

:func:`write_run` writes one run of the timestamp layout: ``.hydra/config.yaml``
and ``overrides.yaml`` as Hydra saves them, ``run.json`` (a real
:class:`~ocr.registry.ExperimentRecord`) and ``logs/metrics.csv`` in the shape
Lightning's ``CSVLogger`` writes (a validation row and a training row per
epoch). :func:`write_sweep` writes a sweep's ``multirun.yaml`` and ``sweep.json``.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any, Final

import yaml

from ocr.atomic import atomic_write_json
from ocr.layout import RunLayout, SweepLayout, parse_run_path
from ocr.registry import ExperimentRecord, Status, SweepRecord

if TYPE_CHECKING:
    from collections.abc import Mapping, Sequence
    from pathlib import Path

__all__ = [
    "WIDTH_SWEEP",
    "RunSpec",
    "hmean_history",
    "trainer_config",
    "when",
    "write_run",
    "write_sweep",
    "write_width_sweep",
]

WIDTH_SWEEP: Final = "2025-10-18/14-05-00"
HEADER: Final = ("epoch", "step", "train/loss_epoch", "train/loss_step", "val/hmean", "val/loss")


def trainer_config(**changes: Any) -> dict[str, Any]:
    """The config the reference trainer saves (``data=synthetic_hard``), with some keys changed.

    Args:
        **changes: ``model__encoder="tiny_cnn"`` sets ``model.encoder`` (``__`` is a dot).

    Returns:
        The nested config, as Hydra saves it (interpolations unresolved).
    """
    config: dict[str, Any] = {
        "paths": {
            "output_root": "${ocr_root:outputs}",
            "run_dir": "${hydra:runtime.output_dir}",
            "checkpoint_dir": "${ocr_run_path:checkpoint_dir,${paths.run_dir}}",
            "log_dir": "${ocr_run_path:log_dir,${paths.run_dir}}",
            "artifact_dir": "${ocr_run_path:artifact_dir,${paths.run_dir}}",
        },
        "model": {
            "_target_": "ocr.train.module.DetectorModule",
            "architecture": "dbnet",
            "encoder": "tiny_resnet",
            "decoder": "unet",
            "head": "db_head",
            "width": 8,
            "lr": 0.01,
            "weight_decay": 0.0001,
            "box_threshold": 0.3,
        },
        "data": {
            "_target_": "ocr.train.data.ReceiptDataModule",
            "seed": 0,
            "train_size": 256,
            "val_size": 64,
            "height": 128,
            "width": 96,
            "batch_size": 16,
            "num_workers": 0,
            "annotation_file": None,
            "image_dir": None,
            "val_annotation_file": None,
            "val_image_dir": None,
            "difficulty": "hard",
        },
        "trainer": {
            "accelerator": "cpu",
            "devices": 1,
            "strategy": "auto",
            "max_epochs": 6,
            "log_every_n_steps": 4,
            "check_val_every_n_epoch": 1,
            "num_sanity_val_steps": 0,
            "enable_model_summary": False,
            "deterministic": True,
        },
        "task_name": "train",
        "experiment": {
            "id": "${ocr_experiment_id:}",
            "name": "${model.architecture}-${model.encoder}-${model.decoder}",
            "tags": [],
        },
        "seed": 0,
        "checkpoint": {"monitor": "val/hmean", "mode": "max", "save_top_k": 2, "save_last": True},
    }
    for dotted, value in changes.items():
        *parents, last = dotted.split("__")
        node = config
        for part in parents:
            node = node.setdefault(part, {})
        node[last] = value
    return config


def hmean_history(values: Sequence[float], *, steps_per_epoch: int = 16) -> list[dict[str, float]]:
    """Rows of ``metrics.csv`` for a run whose val/hmean per epoch is ``values``.

    Args:
        values: val/hmean after each epoch.
        steps_per_epoch: Training steps per epoch.

    Returns:
        Per epoch, a validation row then a training-epoch row, as Lightning writes them.
    """
    rows: list[dict[str, float]] = []
    for epoch, value in enumerate(values):
        step = (epoch + 1) * steps_per_epoch - 1
        rows.append({"epoch": epoch, "step": step, "val/hmean": value, "val/loss": 2.0 - value})
        rows.append({"epoch": epoch, "step": step, "train/loss_epoch": 3.0 - value})
    return rows


@dataclass(frozen=True)
class RunSpec:
    """One run to write.

    Args:
        location: The run folder relative to the root (``YYYY-MM-DD/HH-MM-SS[/job]``).
        config: Its saved config (``None``: no ``.hydra`` folder).
        overrides: Its command-line overrides.
        history: ``metrics.csv`` rows (``None``: no file).
        status: Its record's status (``None``: no record).
        error: Its record's error text.
        sweep_id: Its sweep's ID.
        tags: Its record's tags.
        name: Its experiment name.
    """

    location: str
    config: Mapping[str, Any] | None = field(default_factory=trainer_config)
    overrides: Sequence[str] = ()
    history: Sequence[Mapping[str, float]] | None = None
    status: Status | None = Status.COMPLETED
    error: str | None = None
    sweep_id: str | None = None
    tags: Sequence[str] = ()
    name: str | None = "dbnet"


def write_run(root: Path, spec: RunSpec) -> Path:
    """Write one run folder under ``root``.

    Args:
        root: The output root.
        spec: The run.

    Returns:
        The run folder.
    """
    layout = RunLayout(root / spec.location)
    layout.run_dir.mkdir(parents=True, exist_ok=True)
    if spec.config is not None:
        layout.hydra_dir.mkdir()
        layout.config_file.write_text(yaml.safe_dump(dict(spec.config), sort_keys=False))
        layout.overrides_file.write_text(yaml.safe_dump(list(spec.overrides)))
    if spec.history is not None:
        layout.log_dir.mkdir()
        layout.metrics_file.write_text(_metrics_csv(spec.history))
    if spec.status is not None:
        atomic_write_json(layout.record_file, _record(spec))
    return layout.run_dir


def _metrics_csv(rows: Sequence[Mapping[str, float]]) -> str:
    columns = list(dict.fromkeys([*HEADER, *(name for row in rows for name in row)]))
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=columns, lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    return buffer.getvalue()


def _record(spec: RunSpec) -> ExperimentRecord:
    location = parse_run_path(spec.location)
    started = location.stamp.launched.replace(tzinfo=UTC)
    ended = started + timedelta(minutes=1)
    return ExperimentRecord(
        id=f"run{location.stamp.launched:%H%M%S}{location.job_num or 0:04d}",
        name=spec.name,
        status=spec.status or Status.COMPLETED,
        created_at=started,
        updated_at=ended,
        heartbeat_at=ended,
        ended_at=None if spec.status is Status.RUNNING else ended,
        host="test-host",
        pid=1,
        run_dir=spec.location,
        sweep_id=spec.sweep_id,
        job_num=location.job_num,
        overrides=list(spec.overrides),
        tags=list(spec.tags),
        error=spec.error,
    )


def write_sweep(root: Path, location: str, *, sweep_id: str, params: Mapping[str, str]) -> Path:
    """Write a sweep folder's ``multirun.yaml`` and ``sweep.json`` (its jobs come from :func:`write_run`).

    Args:
        root: The output root.
        location: The sweep folder relative to the root.
        sweep_id: The sweep's ID.
        params: The swept overrides, e.g. ``{"model.encoder": "tiny_cnn,tiny_resnet"}``.

    Returns:
        The sweep folder.
    """
    sweep = SweepLayout(root / location)
    sweep.sweep_dir.mkdir(parents=True, exist_ok=True)
    multirun = {"hydra": {"mode": "MULTIRUN", "sweeper": {"params": dict(params)}}}
    sweep.multirun_file.write_text(yaml.safe_dump(multirun))
    stamp = parse_run_path(location).stamp.launched.replace(tzinfo=UTC)
    record = SweepRecord(id=sweep_id, created_at=stamp, sweep_dir=location, host="test-host")
    atomic_write_json(sweep.record_file, record)
    return sweep.sweep_dir


def when(text: str) -> datetime:
    """A timezone-aware UTC time from ``YYYY-MM-DD HH:MM``."""
    return datetime.strptime(text, "%Y-%m-%d %H:%M").replace(tzinfo=UTC)


def write_width_sweep(root: Path) -> Path:
    """A sweep of two widths, two seeds each, and a fifth job that logged nothing.

    Best val/hmean: width 4 gives 0.70 and 0.72, width 16 gives 0.90 and 0.93.

    Args:
        root: The output root.

    Returns:
        The sweep folder (:data:`WIDTH_SWEEP`, ID ``sweep0001``).
    """
    sweep = write_sweep(root, WIDTH_SWEEP, sweep_id="sweep0001", params={"model.width": "4,16"})
    jobs = [(4, 0, [0.6, 0.7]), (4, 1, [0.65, 0.72]), (16, 0, [0.8, 0.9]), (16, 1, [0.85, 0.93])]
    for job, (width, seed, values) in enumerate(jobs):
        write_run(
            root,
            RunSpec(
                location=f"{WIDTH_SWEEP}/{job}",
                config=trainer_config(model__width=width, seed=seed),
                overrides=[f"model.width={width}", f"seed={seed}"],
                history=hmean_history(values),
                sweep_id="sweep0001",
            ),
        )
    write_run(
        root,
        RunSpec(
            location=f"{WIDTH_SWEEP}/4",
            config=trainer_config(model__width=16, seed=2),
            overrides=["model.width=16", "seed=2"],
            status=None,
        ),
    )
    return sweep
