"""The experiment registry: IDs, status lifecycle, records and their index.

Each name is imported on first use: reading records never loads OmegaConf.

>>> from ocr.registry import Status
>>> Status.RUNNING.value
'running'
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from ocr._lazy import lazy_exports

if TYPE_CHECKING:
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

__getattr__, __dir__ = lazy_exports(
    __name__,
    {
        "ocr.registry._hydra": ["current_job_experiment_id"],
        "ocr.registry._record": [
            "RECORD_SCHEMA_VERSION",
            "ExperimentRecord",
            "Status",
            "SweepRecord",
            "new_experiment_id",
            "read_record",
            "read_sweep_record",
        ],
        "ocr.registry._store": ["DEFAULT_STALE_AFTER", "ExperimentRegistry", "RegisteredRun"],
    },
)
