"""The registry's Hydra side: ``${ocr_experiment_id:}`` gives the job's experiment ID.

Reading the value registers the run (once: the resolver is cached, and a
running record is joined rather than replaced), so the ID can appear in the
config, the logs and the names of things before training starts. The resolver
itself is registered by :func:`ocr.resolvers.register_resolvers`.
"""

from __future__ import annotations

from ocr.errors import CallbackConfigError
from ocr.layout import RootLayout, hydra_run_dir
from ocr.registry._store import ExperimentRegistry

__all__ = ["current_job_experiment_id"]


def current_job_experiment_id() -> str:
    """The experiment ID of the current Hydra job, registering the run if it is not yet.

    Returns:
        The ID in the job's ``run.json``.

    Raises:
        CallbackConfigError: No Hydra job runs, or its folder is not in the ocr layout.
    """
    run_dir = hydra_run_dir()
    found = RootLayout.of_run(run_dir) if run_dir is not None else None
    if run_dir is None or found is None:
        raise CallbackConfigError(
            "${ocr_experiment_id:} needs a Hydra job whose run folder is in the ocr layout",
            fix="Add `- ocr` (or `- hydra/ocr_layout`) to the defaults list of your primary config",
        )
    return ExperimentRegistry(found[0].root).start_run(run_dir).id
