"""One run as an ablation sees it: what it was (config), how it ended (status), what it logged."""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from ocr.ablation._history import MetricHistory

if TYPE_CHECKING:
    from collections.abc import Mapping
    from datetime import datetime
    from pathlib import Path

    from ocr.ablation._config import ConfigValue
    from ocr.registry import Status

__all__ = ["AblationRun", "HistorySource"]


class HistorySource(enum.StrEnum):
    """Where a run's metric history was read from, best first."""

    METRICS_CSV = "metrics_csv"  # every value the logger wrote (logs/metrics.csv, lightning_logs)
    CHECKPOINTS = "checkpoints"  # the metrics each checkpoint's sidecar (or name) holds
    RECORD = "record"  # only the run record's latest and best values
    NONE = "none"


@dataclass(frozen=True)
class AblationRun:
    """A run with everything an ablation needs, read from its folder without writing.

    Args:
        name: The run folder relative to its root (POSIX), or a legacy folder's name.
        run_dir: The run folder.
        root: The output root it was found under.
        era: ``None`` for a run of the timestamp layout; for a legacy run, its
            layout (``name_based``, ``model_subfolder``, ``tagged``, ``sweep``).
        experiment_id: The ID in its record.
        sweep_id: The sweep ID in its record.
        status: The status in its record; ``None`` when it has none (legacy runs).
        error: The record's error text (failed and interrupted runs).
        created_at: When it started (record, else the folder's timestamp).
        tags: The record's tags.
        config: The saved config, flattened to dotted keys.
        overrides: The launch's command-line overrides.
        history: Every logged value of every metric.
        history_source: Where ``history`` came from.
        monitor: The metric its checkpointing watched, when known.
        problems: What could not be read (a corrupt record or config); a run
            with problems is listed but kept out of every aggregate.
    """

    name: str
    run_dir: Path
    root: Path
    era: str | None = None
    experiment_id: str | None = None
    sweep_id: str | None = None
    status: Status | None = None
    error: str | None = None
    created_at: datetime | None = None
    tags: tuple[str, ...] = ()
    config: Mapping[str, ConfigValue] = field(default_factory=dict)
    overrides: tuple[str, ...] = ()
    history: MetricHistory = field(default_factory=MetricHistory)
    history_source: HistorySource = HistorySource.NONE
    monitor: str | None = None
    problems: tuple[str, ...] = ()

    @property
    def is_legacy(self) -> bool:
        """Whether the run was found in a legacy layout (through ``ocr.compat``)."""
        return self.era is not None
