"""The Hydra callback that keeps every launch in ocr's layout and gives every job a record.

``hydra/ocr_layout.yaml`` (and through it ``- ocr``) adds it as
``hydra.callbacks.ocr_launch``; Hydra calls it in the launching process at the
start of a run or sweep, and in each job's process around the job.
"""

from __future__ import annotations

import logging
import os
import sys
from typing import TYPE_CHECKING, Any

from hydra.core.global_hydra import GlobalHydra
from hydra.experimental.callback import Callback

from ocr.adopt._adoption import adopt_config
from ocr.adopt._job import finish_job, register_job
from ocr.adopt._sweep import AdoptingConfigLoader
from ocr.errors import AdoptionError, ocr_error_in

if TYPE_CHECKING:
    from hydra.core.utils import JobReturn
    from omegaconf import DictConfig

__all__ = ["LaunchCallback"]

_log = logging.getLogger(__name__)


class LaunchCallback(Callback):
    """Hydra callback: ocr's layout at start-up, a record for every job.

    At the start of a run or sweep (before any folder is made) the composed
    config is adopted (:func:`ocr.adopt.adopt_config`): launch folders a later
    config moved come back into the layout, the project's ModelCheckpoint entry
    becomes ocr's, and each change is logged in one line. What cannot be
    adopted stops the launch with one line, ``ocr: error: <cause>. <fix>``, and
    exit code 2 (``OCR_FULL_ERROR=1`` raises instead). Each job is registered
    when it starts and its record finished when it ends.
    """

    def on_run_start(self, config: DictConfig, **kwargs: Any) -> None:
        """Adopt the run's config before Hydra makes its folder."""
        _adopt_or_exit(config, sweep=False)

    def on_multirun_start(self, config: DictConfig, **kwargs: Any) -> None:
        """Adopt the sweep's config; when that took something over, each job's too."""
        if _adopt_or_exit(config, sweep=True):
            hydra = GlobalHydra.instance().hydra
            if hydra is not None and not isinstance(hydra.config_loader, AdoptingConfigLoader):
                hydra.config_loader = AdoptingConfigLoader(hydra.config_loader)

    def on_multirun_end(self, config: DictConfig, **kwargs: Any) -> None:
        """Give Hydra its own config loader back."""
        hydra = GlobalHydra.instance().hydra
        if hydra is not None and isinstance(hydra.config_loader, AdoptingConfigLoader):
            hydra.config_loader = hydra.config_loader.inner

    def on_job_start(self, config: DictConfig, **kwargs: Any) -> None:
        """Register the job's run as ``running``."""
        register_job(config)

    def on_job_end(self, config: DictConfig, job_return: JobReturn, **kwargs: Any) -> None:
        """Finish the job's record when nothing else did."""
        finish_job(config, job_return)


def _adopt_or_exit(config: DictConfig, *, sweep: bool) -> bool:
    # Hydra turns an exception in a callback into a warning and goes on; a
    # launch half adopted would then train somewhere unexpected, so every
    # failure stops it here (SystemExit passes through Hydra).
    try:
        notes = adopt_config(config, sweep=sweep)
    except AdoptionError as err:
        if os.environ.get("OCR_FULL_ERROR") == "1":
            raise
        # Bad configuration: one line and exit code 2, like the ocr command.
        sys.stderr.write(f"ocr: error: {err}\n")
        raise SystemExit(2) from None
    except Exception as exc:  # noqa: BLE001 (any failure must stop the launch)
        expected = ocr_error_in(exc)  # ocr's resolver refused (an unusable output root)
        if expected is None or os.environ.get("OCR_FULL_ERROR") == "1":
            _log.exception(
                "ocr: adopting this launch failed; this is a bug in ocr, please report it"
            )
            raise SystemExit(1) from None
        sys.stderr.write(f"ocr: error: {expected}\n")
        raise SystemExit(2) from None
    for note in notes:
        _log.info(note)
    return bool(notes)
