"""The compat machinery the catalog, the migrator, validate, ablation and the UI share.

Not a public API: these readers may change with the packages that use them.
Users ask :mod:`ocr.compat` (``translate``, the legacy switch, the mapping
readers) and the catalog; docs/compat.md describes what the readers below
recognise.
"""

from __future__ import annotations

from ocr.compat._config import model_from_hydra_config, model_from_wandb_config
from ocr.compat._folders import Era, LegacyRun, locate_legacy_folder, locate_legacy_run
from ocr.compat._lightning_logs import lightning_metric_files
from ocr.compat._names import LegacyName, parse_legacy_name
from ocr.compat._recovered import Recovered, Source
from ocr.compat._run_folders import (
    RUN_CONFIG_RELATIVE,
    RUN_FOLDER_MARKS,
    DiskMarks,
    FolderMarks,
    MarksOf,
    run_depth,
    runs_below,
)
from ocr.compat._sidecars import (
    LegacySidecar,
    LegacySidecarFormat,
    legacy_sidecar_format,
    legacy_sidecar_paths,
    read_legacy_sidecar,
)
from ocr.compat._stamps import folder_name_stamp
from ocr.compat._state_dict import model_from_state_dict_keys
from ocr.compat._vocabulary import LIGHTNING_LOGS_DIR_NAME, MULTIRUN_DIR_NAME, WANDB_DIR_NAME
from ocr.compat._wandb import wandb_run_stamp

__all__ = [
    "LIGHTNING_LOGS_DIR_NAME",
    "MULTIRUN_DIR_NAME",
    "RUN_CONFIG_RELATIVE",
    "RUN_FOLDER_MARKS",
    "WANDB_DIR_NAME",
    "DiskMarks",
    "Era",
    "FolderMarks",
    "LegacyName",
    "LegacyRun",
    "LegacySidecar",
    "LegacySidecarFormat",
    "MarksOf",
    "Recovered",
    "Source",
    "folder_name_stamp",
    "legacy_sidecar_format",
    "legacy_sidecar_paths",
    "lightning_metric_files",
    "locate_legacy_folder",
    "locate_legacy_run",
    "model_from_hydra_config",
    "model_from_state_dict_keys",
    "model_from_wandb_config",
    "parse_legacy_name",
    "read_legacy_sidecar",
    "run_depth",
    "runs_below",
    "wandb_run_stamp",
]
