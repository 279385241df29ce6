"""What a migration writes besides the moved files: a sidecar per checkpoint, a record per run.

A migrated sidecar has provenance ``migrated`` and says, field by field,
where each value came from (``file_name``, ``sidecar`` for a legacy sidecar,
``hydra_config``, ``folder_name``, ``mtime``, ``state_dict``, or
``migration`` for what the migration itself decided). Values nobody knows
stay ``null``. Its ``environment`` is the one that ran the migration: the
training's own was never recorded.

A migrated run's record is ``completed`` (legacy tools kept no status; a run
that left checkpoints ran), tagged ``migrated``, with no host or pid.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Final

import yaml

from ocr._yaml import safe_load
from ocr.metadata import (
    CheckpointInfo,
    CheckpointMetadata,
    ConfigInfo,
    EnvironmentInfo,
    ExperimentInfo,
    ModelInfo,
    Provenance,
    TrainingInfo,
)
from ocr.registry import ExperimentRecord, Status, SweepRecord

if TYPE_CHECKING:
    from collections.abc import Sequence

    from ocr.catalog import CatalogEntry

__all__ = [
    "MIGRATED_TAG",
    "RunFacts",
    "migrated_record",
    "migrated_sidecar",
    "migrated_sweep_record",
    "read_overrides",
]

MIGRATED_TAG: Final = "migrated"
_MIGRATION: Final = "migration"
_ENTRY_FIELD_NAMES: Final = {
    "architecture": "model.architecture",
    "encoder": "model.encoder",
    "decoder": "model.decoder",
    "head": "model.head",
    "epoch": "training.epoch",
    "step": "training.global_step",
    "created_at": "checkpoint.created_at",
    "monitor": "training.monitor",
}
_PREFERRED_MONITOR: Final = "val/hmean"


@dataclass(frozen=True)
class RunFacts:
    """What every checkpoint of one migrated run shares.

    Args:
        experiment: The run's experiment section (ID, name, new run folder).
        config: The run's config section (hash of the rewritten config, overrides).
        environment: The environment running the migration.
    """

    experiment: ExperimentInfo
    config: ConfigInfo
    environment: EnvironmentInfo


def migrated_sidecar(
    entry: CatalogEntry, *, file_name: str, mtime_ns: int, run: RunFacts
) -> CheckpointMetadata:
    """The sidecar of one migrated checkpoint, from what the catalog recovered.

    Args:
        entry: The catalog's description of the legacy checkpoint.
        file_name: The checkpoint's file name.
        mtime_ns: Its modification time (a move keeps it).
        run: What its run shares.

    Returns:
        The sidecar's content.
    """
    sources = {
        _ENTRY_FIELD_NAMES[key]: source
        for key, source in entry.sources.items()
        if key in _ENTRY_FIELD_NAMES
    }
    metric_sources = {s for k, s in entry.sources.items() if k not in _ENTRY_FIELD_NAMES}
    if entry.metrics:
        sources["training.metrics"] = ",".join(sorted(metric_sources)) or "file_name"
    sources.update(
        {
            "experiment": _MIGRATION,
            "environment": _MIGRATION,
            "training.is_best": "file_name",
            "training.is_last": "file_name",
        }
    )
    if run.config.config_hash is not None:
        sources["config"] = "hydra_config"
    created = entry.created_at or datetime.fromtimestamp(mtime_ns / 1e9).astimezone()
    return CheckpointMetadata(
        checkpoint=CheckpointInfo(
            file_name=file_name,
            size_bytes=entry.size_bytes,
            modified_ns=mtime_ns,
            created_at=created,
        ),
        experiment=run.experiment,
        model=ModelInfo(
            architecture=entry.architecture,
            encoder=entry.encoder,
            decoder=entry.decoder,
            head=entry.head,
        ),
        training=TrainingInfo(
            epoch=entry.epoch,
            global_step=entry.step,
            monitor=entry.monitor,
            metrics=dict(entry.metrics),
            is_best=entry.is_best,
            is_last=entry.is_last,
        ),
        config=run.config,
        environment=run.environment,
        provenance=Provenance(source="migrated", field_sources=dict(sorted(sources.items()))),
    )


def migrated_record(
    *,
    experiment: ExperimentInfo,
    config: ConfigInfo,
    launched: datetime,
    now: datetime,
    checkpoints: Sequence[tuple[str, CatalogEntry]],
    last_activity_ns: int,
    log_file: str | None,
) -> ExperimentRecord:
    """The registry record of one migrated run.

    Args:
        experiment: The run's experiment section.
        config: The run's config section.
        launched: Its launch time (naive local).
        now: When the migration runs.
        checkpoints: Its checkpoints (path relative to the new run folder, entry).
        last_activity_ns: The newest mtime of its files (its end, as far as is known).
        log_file: Its main log, relative to the run folder.

    Returns:
        The record.
    """
    assert experiment.id is not None  # a migrated run always gets an ID
    created = launched.astimezone()
    ended = max(datetime.fromtimestamp(last_activity_ns / 1e9).astimezone(), created)
    best = _best_checkpoint(checkpoints)
    return ExperimentRecord(
        id=experiment.id,
        name=experiment.name,
        status=Status.COMPLETED,
        created_at=created,
        updated_at=now,
        heartbeat_at=ended,
        ended_at=ended,
        host="",
        pid=0,
        run_dir=experiment.run_dir,
        sweep_id=experiment.sweep_id,
        job_num=experiment.job_num,
        overrides=config.overrides,
        config_hash=config.config_hash,
        tags=[MIGRATED_TAG],
        best_checkpoint=best[0] if best else None,
        best_metrics=dict(best[1].metrics) if best else {},
        log_file=log_file,
    )


def migrated_sweep_record(sweep_id: str, *, launched: datetime, sweep_dir: str) -> SweepRecord:
    """The record of one migrated sweep.

    Args:
        sweep_id: Its ID.
        launched: Its launch time (naive local).
        sweep_dir: The new sweep folder relative to the output root.

    Returns:
        The record.
    """
    return SweepRecord(id=sweep_id, created_at=launched.astimezone(), sweep_dir=sweep_dir, host="")


def read_overrides(text: str | None) -> list[str]:
    r"""The overrides of a legacy ``.hydra/overrides.yaml``.

    Args:
        text: The file's text, if there is one.

    Returns:
        The overrides; none when the file is missing or not a list of strings.

    >>> read_overrides("- lr=0.1\n- model=dbnet\n")
    ['lr=0.1', 'model=dbnet']
    >>> read_overrides("{not: a list}")
    []
    """
    if text is None:
        return []
    try:
        loaded = safe_load(text)
    except yaml.YAMLError:
        return []
    if not isinstance(loaded, list) or not all(isinstance(item, str) for item in loaded):
        return []
    return list(loaded)


def _best_checkpoint(
    checkpoints: Sequence[tuple[str, CatalogEntry]],
) -> tuple[str, CatalogEntry] | None:
    """The run's best checkpoint: the highest ``val/hmean``, else the one named best."""
    scored = [
        pair
        for pair in checkpoints
        if not math.isnan(pair[1].metrics.get(_PREFERRED_MONITOR, math.nan))
    ]
    if scored:
        return max(scored, key=lambda pair: pair[1].metrics[_PREFERRED_MONITOR])
    named = [pair for pair in checkpoints if pair[1].is_best]
    return named[0] if named else None
