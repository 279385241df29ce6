"""Reading one run's evidence, never writing: its config, overrides and metric history.

Where the evidence is comes from :class:`RunFiles` (the collector finds it for
runs of the timestamp layout and, through ``ocr.compat``, for legacy runs).
A file that exists but cannot be read becomes one problem line on the run,
which keeps the run out of every aggregate; it never stops the collection.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from typing import TYPE_CHECKING

import yaml

from ocr._yaml import load_like_omegaconf, safe_load
from ocr.ablation._config import flatten_config
from ocr.ablation._history import MetricHistory, MetricPoint, read_metric_history
from ocr.ablation._metric_names import LEGACY_METRIC_NAMES, trainer_metric_names
from ocr.ablation._run import AblationRun, HistorySource

if TYPE_CHECKING:
    from collections.abc import Mapping, Sequence
    from datetime import datetime
    from pathlib import Path

    from ocr.catalog import CatalogEntry
    from ocr.registry import ExperimentRecord

__all__ = ["RunFiles", "read_run"]


@dataclass(frozen=True)
class RunFiles:
    """Where one run's evidence is.

    Args:
        name: The run's name in tables.
        run_dir: The run folder.
        root: The output root it was found under.
        era: ``None`` for the timestamp layout, else the legacy layout's name.
        record: Its record, when it has a readable one.
        record_problem: Why its record could not be read, when it has an unreadable one.
        config_file: Its saved Hydra config, if any.
        overrides_file: Its saved overrides, if any (a record's overrides are used first).
        metric_files: Its metric CSV files, oldest first.
        legacy_names: Whether its metric names are the legacy trainer's.
        checkpoints: Its checkpoints as the catalog found them.
        created_at: When it started, if known.
    """

    name: str
    run_dir: Path
    root: Path
    era: str | None
    record: ExperimentRecord | None
    record_problem: str | None
    config_file: Path | None
    overrides_file: Path | None
    metric_files: tuple[Path, ...]
    legacy_names: bool
    checkpoints: tuple[CatalogEntry, ...]
    created_at: datetime | None


def read_run(files: RunFiles) -> tuple[AblationRun, Mapping[str, object] | None]:
    """Read a run's config, overrides and metric history.

    Args:
        files: Where its evidence is.

    Returns:
        The run, and its saved config as nested mappings (``None`` when it has
        none or it is unreadable), for ``config.*`` keys of ``--where``.
    """
    problems = [files.record_problem] if files.record_problem else []
    config, problem = _read_config(files.config_file)
    problems.extend([problem] if problem else [])
    overrides, problem = _read_overrides(files)
    problems.extend([problem] if problem else [])
    history, source, problem = _read_history(files)
    problems.extend([problem] if problem else [])
    record = files.record
    monitors = Counter(entry.monitor for entry in files.checkpoints if entry.monitor)
    run = AblationRun(
        name=files.name,
        run_dir=files.run_dir,
        root=files.root,
        era=files.era,
        experiment_id=record.id if record else None,
        sweep_id=record.sweep_id if record else None,
        status=record.status if record else None,
        error=record.error if record else None,
        created_at=record.created_at if record else files.created_at,
        tags=tuple(record.tags) if record else (),
        config=flatten_config(config) if config is not None else {},
        overrides=overrides,
        history=history,
        history_source=source,
        monitor=monitors.most_common(1)[0][0] if monitors else None,
        problems=tuple(problems),
    )
    return run, config


def _read_config(config_file: Path | None) -> tuple[Mapping[str, object] | None, str | None]:
    if config_file is None or not config_file.is_file():
        return None, None  # a run without a saved config: every key is unknown, nothing is wrong
    try:
        config = load_like_omegaconf(config_file.read_bytes().decode("utf-8"))
    except (OSError, UnicodeDecodeError, yaml.YAMLError) as exc:
        return None, f"{str(config_file)!r}: unreadable run config ({_one_line(exc)})"
    if isinstance(config, dict):
        return config, None
    return None, f"{str(config_file)!r}: the run config holds a {type(config).__name__}, not keys"


def _read_overrides(files: RunFiles) -> tuple[tuple[str, ...], str | None]:
    if files.record is not None:
        return tuple(files.record.overrides), None
    path = files.overrides_file
    if path is None or not path.is_file():
        return (), None
    try:
        overrides = safe_load(path.read_bytes())
    except (OSError, UnicodeDecodeError, yaml.YAMLError) as exc:
        return (), f"{str(path)!r}: unreadable overrides ({_one_line(exc)})"
    if isinstance(overrides, list) and all(isinstance(line, str) for line in overrides):
        return tuple(overrides), None
    if overrides is None:
        return (), None
    return (), f"{str(path)!r}: the overrides are not a list of text lines"


def _read_history(files: RunFiles) -> tuple[MetricHistory, HistorySource, str | None]:
    if files.metric_files:
        renames = LEGACY_METRIC_NAMES if files.legacy_names else {}
        try:
            history = read_metric_history(files.metric_files, renames=renames)
        except (OSError, ValueError) as exc:
            why = _one_line(exc)
            return MetricHistory(), HistorySource.NONE, f"unreadable metric history ({why})"
        return history, HistorySource.METRICS_CSV, None
    if files.checkpoints:
        return (
            _checkpoint_history(files.checkpoints, files.legacy_names),
            HistorySource.CHECKPOINTS,
            None,
        )
    if files.record is not None and (files.record.metrics or files.record.best_metrics):
        return _record_history(files.record), HistorySource.RECORD, None
    return MetricHistory(), HistorySource.NONE, None


def _checkpoint_history(checkpoints: Sequence[CatalogEntry], legacy_names: bool) -> MetricHistory:
    """One point per checkpoint and metric, in training order (unknown times first)."""
    seen: set[tuple[int | None, int | None, str | None]] = set()
    series: dict[str, list[MetricPoint]] = {}
    for entry in sorted(checkpoints, key=_training_order):
        unknown = entry.epoch is None and entry.step is None
        moment = (entry.epoch, entry.step, entry.path if unknown else None)
        if moment in seen:
            continue  # last.ckpt repeats the newest epoch's checkpoint
        seen.add(moment)
        metrics = trainer_metric_names(entry.metrics) if legacy_names else entry.metrics
        for name, value in metrics.items():
            series.setdefault(name, []).append(MetricPoint(value, entry.epoch, entry.step))
    return MetricHistory({name: tuple(points) for name, points in series.items()})


def _training_order(entry: CatalogEntry) -> tuple[bool, int, int, str]:
    known = entry.epoch is not None or entry.step is not None
    return (known, entry.epoch or 0, entry.step or 0, entry.path)


def _record_history(record: ExperimentRecord) -> MetricHistory:
    """A record knows two values of a metric: the best one, then the latest one."""
    series: dict[str, list[MetricPoint]] = {}
    for metrics in (record.best_metrics, record.metrics):
        for name, value in metrics.items():
            series.setdefault(name, []).append(MetricPoint(value))
    return MetricHistory({name: tuple(points) for name, points in series.items()})


def _one_line(exc: BaseException) -> str:
    return " ".join(str(exc).split())
