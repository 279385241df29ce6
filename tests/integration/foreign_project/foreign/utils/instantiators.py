"""Callbacks and loggers from the config: every entry with a ``_target_``, as the template does."""

from __future__ import annotations

from typing import Any

import hydra
from omegaconf import DictConfig


def instantiate_entries(entries: DictConfig | None) -> list[Any]:
    """Instantiate every entry of a config node that has a ``_target_``."""
    if not entries:
        return []
    if not isinstance(entries, DictConfig):
        msg = "Callbacks and loggers configs must be DictConfigs!"
        raise TypeError(msg)
    return [
        hydra.utils.instantiate(entry)
        for entry in entries.values()
        if isinstance(entry, DictConfig) and "_target_" in entry
    ]
