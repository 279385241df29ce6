"""Every OmegaConf resolver ocr provides, registered in one call.

Hydra imports ocr's search-path plugin at the start of every Hydra app, which
calls :func:`register_resolvers`; ``ocr-train`` calls it too. Registering must
cost next to nothing there, so this module imports only the layout (standard
library and OmegaConf); the registry's resolver imports the registry when a
config first reads it.

>>> register_resolvers()
>>> from omegaconf import OmegaConf
>>> OmegaConf.has_resolver(EXPERIMENT_ID_RESOLVER)
True
"""

from __future__ import annotations

from typing import Final

from omegaconf import OmegaConf

from ocr import layout

__all__ = ["EXPERIMENT_ID_RESOLVER", "register_resolvers"]

EXPERIMENT_ID_RESOLVER: Final = "ocr_experiment_id"
"""``${ocr_experiment_id:}``: the current Hydra job's experiment ID (registers the run)."""


def register_resolvers() -> None:
    """Register the layout's resolvers and ``${ocr_experiment_id:}``; safe to call again."""
    layout.register_resolvers()
    if not OmegaConf.has_resolver(EXPERIMENT_ID_RESOLVER):
        OmegaConf.register_new_resolver(EXPERIMENT_ID_RESOLVER, _experiment_id, use_cache=True)


def _experiment_id() -> str:
    from ocr.registry import current_job_experiment_id  # noqa: PLC0415 (pydantic is heavy)

    return current_job_experiment_id()
