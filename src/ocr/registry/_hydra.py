"""The registry's Hydra side: ``${ocr_experiment_id:}`` gives the job's experiment ID.

Reading the value registers the run (once: the resolver is cached, and a
running record is joined rather than replaced), so the ID can appear in the
config, the logs and the names of things before training starts.
"""

from __future__ import annotations

from typing import Final

from omegaconf import OmegaConf

from ocr.errors import CallbackConfigError
from ocr.layout import RootLayout, hydra_run_dir
from ocr.registry._store import ExperimentRegistry

__all__ = ["EXPERIMENT_ID_RESOLVER", "register_resolvers"]

EXPERIMENT_ID_RESOLVER: Final = "ocr_experiment_id"


def register_resolvers() -> None:
    """Register ``${ocr_experiment_id:}``; safe to call any number of times."""
    if not OmegaConf.has_resolver(EXPERIMENT_ID_RESOLVER):
        OmegaConf.register_new_resolver(
            EXPERIMENT_ID_RESOLVER, _resolve_experiment_id, use_cache=True
        )


def _resolve_experiment_id() -> str:
    run_dir = hydra_run_dir()
    found = RootLayout.of_run(run_dir) if run_dir is not None else None
    if run_dir is None or found is None:
        raise CallbackConfigError(
            "${ocr_experiment_id:} needs a Hydra job whose run folder is in the ocr layout",
            fix="Add `- hydra/ocr_layout` to the defaults list of your primary config",
        )
    return ExperimentRegistry(found[0].root).start_run(run_dir).id
