"""A stand-in for a project's training command, for ``ocr validate --pipeline`` tests.

``python -m tests.fake_launch BEHAVIOUR [overrides...]`` reads the output root
from the ``++ocr.output_root=...`` override it is given and leaves behind what
BEHAVIOUR says: ``good`` (one completed run with a checkpoint and its
sidecar), ``elsewhere`` (writes only ``logs/run.txt`` in the working folder),
``empty`` (a good run, and an empty launch folder), ``no-checkpoint``,
``crash`` (exit 3), ``slow`` (sleeps).
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

from hydra.core.override_parser.overrides_parser import OverridesParser

from ocr.layout import allocate_launch_dir
from ocr.registry import ExperimentRegistry, Status
from tests.sidecar_checkpoints import save_checkpoint


def _output_root(overrides: list[str]) -> Path:
    parser = OverridesParser.create()
    for line in overrides:
        override = parser.parse_override(line)
        if override.key_or_group == "ocr.output_root":
            return Path(str(override.value()))
    sys.exit("no ocr.output_root override")


def main(behaviour: str, overrides: list[str]) -> int:
    if behaviour == "crash":
        sys.stderr.write("Traceback ...\nRuntimeError: the data folder is not mounted\n")
        return 3
    if behaviour == "slow":
        time.sleep(30)
    if behaviour == "elsewhere":
        (Path.cwd() / "logs").mkdir()
        (Path.cwd() / "logs" / "run.txt").write_text("a run\n")
        return 0
    root = _output_root(overrides)
    run_dir = allocate_launch_dir(root)
    registry = ExperimentRegistry(root)
    registry.start_run(run_dir)
    if behaviour != "no-checkpoint":
        save_checkpoint(run_dir, "last.ckpt", epoch=0, step=2, config={"config_hash": None})
    registry.update_run(run_dir, status=Status.COMPLETED)
    if behaviour == "empty":
        allocate_launch_dir(root)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1], sys.argv[2:]))
