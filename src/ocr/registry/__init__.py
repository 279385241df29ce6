"""The experiment registry: IDs, status lifecycle, records and their index.

>>> Status.RUNNING.value
'running'
"""

from __future__ import annotations

from ocr.registry._hydra import current_job_experiment_id
from ocr.registry._record import (
    RECORD_SCHEMA_VERSION,
    ExperimentRecord,
    Status,
    SweepRecord,
    new_experiment_id,
    read_record,
    read_sweep_record,
)
from ocr.registry._store import DEFAULT_STALE_AFTER, ExperimentRegistry, RegisteredRun

__all__ = [
    "DEFAULT_STALE_AFTER",
    "RECORD_SCHEMA_VERSION",
    "ExperimentRecord",
    "ExperimentRegistry",
    "RegisteredRun",
    "Status",
    "SweepRecord",
    "current_job_experiment_id",
    "new_experiment_id",
    "read_record",
    "read_sweep_record",
]
