"""Read-only compatibility with the legacy output trees; it never writes anything.

Reads every legacy shape of docs/legacy-formats.md: checkpoint file names
(:func:`parse_legacy_name`), the three sidecar formats (:func:`read_legacy_sidecar`),
the experiment folder of eras A to E (:func:`locate_legacy_run`), model identity
from configs and state-dict shapes, and translates old paths to new ones through
the migrator's mappings (:func:`translate`). ``OCR_LEGACY=0`` turns it all off
(:func:`is_legacy_enabled`), so its removal can be tried before it happens.
See docs/compat.md. Each name is imported on first use: a warm catalog scan
needs only the switch and the legacy folders, not the Pydantic models.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from ocr._lazy import lazy_exports

if TYPE_CHECKING:
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
    from ocr.compat._sidecars import (
        LegacySidecar,
        LegacySidecarFormat,
        legacy_sidecar_format,
        legacy_sidecar_paths,
        read_legacy_sidecar,
    )
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
    "WANDB_DIR_NAME",
    "Era",
    "LegacyFolders",
    "LegacyName",
    "LegacyPathWarning",
    "LegacyRun",
    "LegacySidecar",
    "LegacySidecarFormat",
    "MigrationMapping",
    "Recovered",
    "Source",
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
    "set_legacy_enabled",
    "translate",
    "wandb_run_stamp",
]

__getattr__, __dir__ = lazy_exports(
    __name__,
    {
        "ocr.compat._config": [
            "model_from_hydra_config",
            "model_from_wandb_config",
        ],
        "ocr.compat._folders": [
            "Era",
            "LegacyRun",
            "locate_legacy_folder",
            "locate_legacy_run",
        ],
        "ocr.compat._legacy_folders": ["LegacyFolders"],
        "ocr.compat._lightning_logs": ["lightning_metric_files"],
        "ocr.compat._mapping": [
            "MAPPING_SCHEMA_VERSION",
            "MigrationMapping",
            "mapping_file",
            "mapping_files",
            "migration_dir",
            "migration_folders",
            "migrations_dir",
            "read_mapping",
        ],
        "ocr.compat._names": [
            "LegacyName",
            "parse_legacy_name",
        ],
        "ocr.compat._recovered": [
            "Recovered",
            "Source",
        ],
        "ocr.compat._sidecars": [
            "LegacySidecar",
            "LegacySidecarFormat",
            "legacy_sidecar_format",
            "legacy_sidecar_paths",
            "read_legacy_sidecar",
        ],
        "ocr.compat._state_dict": ["model_from_state_dict_keys"],
        "ocr.compat._switch": [
            "LEGACY_ENV_VAR",
            "is_legacy_enabled",
            "set_legacy_enabled",
        ],
        "ocr.compat._translate": [
            "LegacyPathWarning",
            "load_mappings",
            "merge_mappings",
            "translate",
        ],
        "ocr.compat._vocabulary": [
            "LIGHTNING_LOGS_DIR_NAME",
            "MAPPING_FILE_NAME",
            "MIGRATIONS_DIR_NAME",
            "MULTIRUN_DIR_NAME",
            "WANDB_DIR_NAME",
        ],
        "ocr.compat._wandb": ["wandb_run_stamp"],
    },
)
