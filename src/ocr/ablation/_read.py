"""Reading one run's evidence, never writing: its config, overrides and metric history.

Where the evidence is comes from :class:`RunFiles` (the collector finds it for
runs of the timestamp layout and, through ``ocr.compat``, for legacy runs).
What its files hold is :class:`Evidence`, the part worth caching
(:mod:`ocr.ablation._index`); :func:`assemble_run` adds what the record and the
checkpoints say. A file that exists but cannot be read becomes one problem
line on the run, which keeps the run out of every aggregate; it never stops
the collection.
"""

from __future__ import annotations

import sys
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING

import yaml

from ocr._yaml import load_like_omegaconf, safe_load
from ocr.ablation._config import flatten_config
from ocr.ablation._history import MetricHistory, MetricPoint, read_metric_history
from ocr.ablation._metric_names import LEGACY_METRIC_NAMES, trainer_metric_names
from ocr.ablation._run import AblationRun, HistorySource

if TYPE_CHECKING:
    from collections.abc import Sequence
    from datetime import datetime
    from pathlib import Path

    from ocr.catalog import CatalogEntry
    from ocr.registry import ExperimentRecord

__all__ = ["Evidence", "RunFiles", "assemble_run", "read_evidence"]


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

    @property
    def evidence_files(self) -> tuple[Path, ...]:
        """The files :func:`read_evidence` reads (what a cached reading depends on)."""
        overrides = (self.overrides_file,) if self.record is None and self.overrides_file else ()
        config = (self.config_file,) if self.config_file else ()
        return (*config, *overrides, *self.metric_files)


@dataclass(frozen=True)
class Evidence:
    """What a run's own files hold.

    Args:
        config: The saved config as nested mappings of plain values (``None``:
            none, or unreadable).
        overrides: The overrides file's lines (``None``: the record's are used).
        history: The metric files' history (``None``: the run has none).
        problems: One line per file that exists but could not be read.
    """

    config: Mapping[str, object] | None
    overrides: tuple[str, ...] | None
    history: MetricHistory | None
    problems: tuple[str, ...]


def read_evidence(files: RunFiles) -> Evidence:
    """Read a run's config, overrides (when it has no record) and metric files.

    Args:
        files: Where its evidence is.

    Returns:
        What they hold.
    """
    config, config_problem = _read_config(files.config_file)
    overrides, overrides_problem = (None, None) if files.record else _read_overrides(files)
    history, history_problem = _read_history(files)
    problems = (config_problem, overrides_problem, history_problem)
    return Evidence(config, overrides, history, tuple(p for p in problems if p))


def assemble_run(files: RunFiles, evidence: Evidence) -> AblationRun:
    """The run, from what its files hold and what its record and checkpoints say.

    Args:
        files: Where its evidence is (with its record and checkpoints).
        evidence: What its files hold.

    Returns:
        The run.
    """
    record = files.record
    history, source = _history(files, evidence)
    monitors = [entry.monitor for entry in files.checkpoints if entry.monitor]
    problems = (files.record_problem,) if files.record_problem else ()
    return AblationRun(
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
        config=flatten_config(evidence.config) if evidence.config is not None else {},
        overrides=tuple(record.overrides) if record else evidence.overrides or (),
        history=history,
        history_source=source,
        monitor=max(monitors, key=monitors.count) if monitors else None,
        problems=(*problems, *evidence.problems),
    )


def _history(files: RunFiles, evidence: Evidence) -> tuple[MetricHistory, HistorySource]:
    if files.metric_files:
        return evidence.history or MetricHistory(), HistorySource.METRICS_CSV
    if files.checkpoints:
        return _checkpoint_history(files.checkpoints, files.legacy_names), HistorySource.CHECKPOINTS
    if files.record is not None and (files.record.metrics or files.record.best_metrics):
        return _record_history(files.record), HistorySource.RECORD
    return MetricHistory(), HistorySource.NONE


def _read_config(config_file: Path | None) -> tuple[Mapping[str, object] | None, str | None]:
    if config_file is None or not config_file.is_file():
        return None, None  # a run without a saved config: every key is unknown, nothing is wrong
    try:
        config = load_like_omegaconf(config_file.read_bytes().decode("utf-8"))
    except (OSError, UnicodeDecodeError, yaml.YAMLError) as exc:
        return None, f"{str(config_file)!r}: unreadable run config ({_one_line(exc)})"
    if isinstance(config, dict):
        return {sys.intern(str(key)): _plain(value) for key, value in config.items()}, None
    return None, f"{str(config_file)!r}: the run config holds a {type(config).__name__}, not keys"


def _plain(value: object) -> object:
    """Only plain values (a YAML date becomes its text), so the index can hold them.

    Text is interned: a thousand configs repeat the same keys and values, and
    ``marshal`` then writes (and loads) each once.
    """
    if isinstance(value, Mapping):
        return {sys.intern(str(key)): _plain(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(item) for item in value]
    if isinstance(value, str):
        return sys.intern(value)
    if value is None or isinstance(value, int | float | bool):
        return value
    return sys.intern(str(value))


def _read_overrides(files: RunFiles) -> tuple[tuple[str, ...] | None, str | None]:
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


def _read_history(files: RunFiles) -> tuple[MetricHistory | None, str | None]:
    if not files.metric_files:
        return None, None
    renames = LEGACY_METRIC_NAMES if files.legacy_names else {}
    try:
        return read_metric_history(files.metric_files, renames=renames), None
    except (OSError, ValueError) as exc:
        return None, f"unreadable metric history ({_one_line(exc)})"


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
