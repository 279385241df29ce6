"""Adopting one composed launch config: its folders, then its checkpoint callback."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from ocr.adopt._checkpoints import adopt_checkpoint_entries
from ocr.adopt._dirs import adopt_launch_dirs
from ocr.layout import SweepLayout

if TYPE_CHECKING:
    from omegaconf import DictConfig

__all__ = ["adopt_config"]


def adopt_config(config: DictConfig, *, sweep: bool) -> list[str]:
    """Put a composed launch config into ocr's layout, in place.

    Args:
        config: A single run's config, a sweep's, or one sweep job's.
        sweep: Whether the launch is a sweep (its jobs go to numbered folders).

    Returns:
        One line per thing ocr took over (nothing when the config was ocr's already).

    Raises:
        AdoptionError: Something cannot be taken over; the message says what to change.
    """
    notes = [adopt_launch_dirs(config)]
    # Resolving the folder allocates it (cached), as the launch is about to anyway.
    folder = Path(str(config.hydra.sweep.dir if sweep else config.hydra.run.dir))
    run_dir = SweepLayout(folder).job_dir(0) if sweep else folder
    notes.append(adopt_checkpoint_entries(config, run_dir=run_dir))
    return [note for note in notes if note is not None]
