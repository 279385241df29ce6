"""The legacy trees' own file and folder names, spelled once.

Names a legacy tree shares with the new layout (``checkpoints``, ``.hydra``,
``config.yaml``) come from :mod:`ocr.layout`; the names below exist only in
legacy trees, and only the compat layer and the migrator use them.
"""

from __future__ import annotations

from typing import Final

__all__ = [
    "LEGACY_CONFIG_JSON_SUFFIX",
    "LEGACY_JSON_SIDECAR_SUFFIX",
    "LEGACY_YAML_SIDECAR_SUFFIX",
    "LIGHTNING_LOGS_DIR_NAME",
    "LIGHTNING_VERSION_PREFIX",
    "MULTIRUN_DIR_NAME",
    "WANDB_CONFIG_RELATIVE",
    "WANDB_DIR_NAME",
    "WANDB_RUN_PREFIXES",
]

LEGACY_JSON_SIDECAR_SUFFIX: Final = ".metadata.json"
"""Format 1 sidecars: ``<stem>.metadata.json``, the ``.ckpt`` suffix replaced."""
LEGACY_YAML_SIDECAR_SUFFIX: Final = ".metadata.yaml"
"""Formats 2 and 3: ``<stem>.metadata.yaml`` (suffix replaced) or ``<name>.ckpt.metadata.yaml``."""
LEGACY_CONFIG_JSON_SUFFIX: Final = ".config.json"
"""The companion ``<stem>.config.json`` of a format 1 sidecar, holding ``{"model": {...}}``."""

LIGHTNING_LOGS_DIR_NAME: Final = "lightning_logs"
"""Lightning's own logger folder; its ``version_<k>/checkpoints/`` holds checkpoints in sweeps."""
LIGHTNING_VERSION_PREFIX: Final = "version_"
MULTIRUN_DIR_NAME: Final = "multirun"
"""Hydra's legacy sweep folder beside the outputs root."""
WANDB_DIR_NAME: Final = "wandb"
"""The W&B folder beside the outputs root."""
WANDB_RUN_PREFIXES: Final = ("run-", "offline-run-")
"""W&B run folders: ``run-<YYYYmmdd_HHMMSS>-<id>`` and ``offline-run-<...>``."""
WANDB_CONFIG_RELATIVE: Final = ("files", "config.yaml")
"""The run's config inside a W&B run folder."""
