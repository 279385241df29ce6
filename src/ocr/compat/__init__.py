"""Read-only compatibility with the legacy output trees; it never writes anything.

Reads every legacy shape of docs/legacy-formats.md: checkpoint file names
(:func:`parse_legacy_name`), the three sidecar formats (:func:`read_legacy_sidecar`),
the run folder of a checkpoint, found by what folders hold at any depth
(:func:`run_depth`, shared with the migrator), its era A to E
(:func:`locate_legacy_run`), folder-name timestamps, model identity
from configs and state-dict shapes, and translates old paths to new ones through
the migrator's mappings (:func:`translate`). ``OCR_LEGACY=0`` turns it all off
(:func:`is_legacy_enabled`), so its removal can be tried before it happens.
See docs/compat.md.
"""

from __future__ import annotations

from ocr.compat._config import model_from_hydra_config, model_from_wandb_config
from ocr.compat._folders import Era, LegacyRun, locate_legacy_folder, locate_legacy_run
from ocr.compat._legacy_folders import LegacyFolders
from ocr.compat._lightning_logs import lightning_metric_files
from ocr.compat._mapping import (
    MAPPING_SCHEMA_VERSION,
    MigrationMapping,
    mapping_file,
    mapping_files,
    migration_dir,
    migration_folders,
    migrations_dir,
    read_mapping,
)
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
from ocr.compat._switch import LEGACY_ENV_VAR, is_legacy_enabled, set_legacy_enabled
from ocr.compat._translate import LegacyPathWarning, load_mappings, merge_mappings, translate
from ocr.compat._vocabulary import (
    LIGHTNING_LOGS_DIR_NAME,
    MAPPING_FILE_NAME,
    MIGRATIONS_DIR_NAME,
    MULTIRUN_DIR_NAME,
    WANDB_DIR_NAME,
)
from ocr.compat._wandb import wandb_run_stamp

__all__ = [
    "LEGACY_ENV_VAR",
    "LIGHTNING_LOGS_DIR_NAME",
    "MAPPING_FILE_NAME",
    "MAPPING_SCHEMA_VERSION",
    "MIGRATIONS_DIR_NAME",
    "MULTIRUN_DIR_NAME",
    "RUN_CONFIG_RELATIVE",
    "RUN_FOLDER_MARKS",
    "WANDB_DIR_NAME",
    "DiskMarks",
    "Era",
    "FolderMarks",
    "LegacyFolders",
    "LegacyName",
    "LegacyPathWarning",
    "LegacyRun",
    "LegacySidecar",
    "LegacySidecarFormat",
    "MarksOf",
    "MigrationMapping",
    "Recovered",
    "Source",
    "folder_name_stamp",
    "is_legacy_enabled",
    "legacy_sidecar_format",
    "legacy_sidecar_paths",
    "lightning_metric_files",
    "load_mappings",
    "locate_legacy_folder",
    "locate_legacy_run",
    "mapping_file",
    "mapping_files",
    "merge_mappings",
    "migration_dir",
    "migration_folders",
    "migrations_dir",
    "model_from_hydra_config",
    "model_from_state_dict_keys",
    "model_from_wandb_config",
    "parse_legacy_name",
    "read_legacy_sidecar",
    "read_mapping",
    "run_depth",
    "runs_below",
    "set_legacy_enabled",
    "translate",
    "wandb_run_stamp",
]
