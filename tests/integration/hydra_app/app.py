"""A tiny Hydra app that adopts the ocr layout the way an existing trainer would.

Its config names ``hydra/ocr_layout`` (found through ocr's search-path plugin)
and writes what it saw into ``probe.json`` inside its run folder.
"""

from __future__ import annotations

import json
import os
import sys
import time
from pathlib import Path
from typing import TYPE_CHECKING

import hydra
from hydra.core.hydra_config import HydraConfig
from hydra.types import RunMode

if TYPE_CHECKING:
    from omegaconf import DictConfig


@hydra.main(version_base="1.3", config_path="conf", config_name="app")
def main(cfg: DictConfig) -> None:
    """Record the run folder as every reader sees it."""
    hydra_cfg = HydraConfig.get()
    seen = {
        "output_dir": hydra_cfg.runtime.output_dir,
        "cwd": str(Path.cwd()),
        "run_dir_reads": [cfg.paths.run_dir for _ in range(3)],
        "checkpoint_dir": cfg.paths.checkpoint_dir,
        "output_root": cfg.paths.output_root,
        "job_num": hydra_cfg.job.num if hydra_cfg.mode == RunMode.MULTIRUN else None,
        "value": cfg.value,
    }
    Path(hydra_cfg.runtime.output_dir, "probe.json").write_text(json.dumps(seen))


def _wait_for(start_at: float) -> None:
    # Lets a test start several launches in the same wall-clock second.
    time.sleep(max(0.0, start_at - time.time()))


if __name__ == "__main__":
    if "OCR_TEST_START_AT" in os.environ:
        _wait_for(float(os.environ["OCR_TEST_START_AT"]))
    sys.exit(main())
