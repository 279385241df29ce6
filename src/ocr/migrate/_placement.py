"""Where each legacy experiment goes: its new run folder, and the W&B runs that join it.

Each experiment gets the run folder of its launch time (the best evidence,
:mod:`ocr.migrate._timestamp`), with the layout's suffix when that second is
taken (:func:`ocr.layout.free_run_path`). An era C config-only folder merges
into the earliest run that joins it; a W&B run joins the experiment compat
joined it to, else the one launched the second it started.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime
from typing import TYPE_CHECKING

from ocr.layout import RunLayout, parse_run_path
from ocr.layout._shared import free_run_path
from ocr.migrate._target import Target
from ocr.migrate._timestamp import choose_launch_time

if TYPE_CHECKING:
    from pathlib import Path, PurePosixPath

    from ocr.migrate._discover import LegacyUnit, WandbRun

__all__ = ["join_wandb_runs", "place_units"]


def place_units(root: Path, units: list[LegacyUnit]) -> list[Target]:
    """Give each legacy experiment its new run folder under ``root``.

    Args:
        root: The output root.
        units: The legacy experiments and sweeps, in discovery order.

    Returns:
        One target per unit, except config-only folders merged into a run.
    """
    merged_into = _config_merges(units)
    merged = {unit.folder for unit in merged_into.values()}
    taken: set[PurePosixPath] = set()
    clashes: dict[datetime, int] = {}  # per second, the suffixes already given out
    targets = []
    for unit in units:
        if unit.folder in merged:
            continue
        config_file = RunLayout(unit.config_dir.parent).config_file if unit.config_dir else None
        launched, evidence = choose_launch_time(
            unit.inventory, named=unit.named_time, config_file=config_file
        )
        relative = free_run_path(
            root, launched, taken=taken.__contains__, first_clash=clashes.get(launched, 0)
        )
        taken.add(relative)
        clashes[launched] = parse_run_path(relative).stamp.clash + 1
        target = Target(unit, root / relative, launched, evidence)
        target.merged = merged_into.get(unit.folder)
        targets.append(target)
    return targets


def join_wandb_runs(targets: list[Target], wandb_runs: list[WandbRun]) -> list[tuple[Path, str]]:
    """Add each W&B run to the target it belongs to.

    Args:
        targets: The placed experiments.
        wandb_runs: The W&B run folders found.

    Returns:
        The W&B runs that stay where they are, each with the reason.
    """
    joined = {t.unit.wandb_dir: t for t in targets if t.unit.wandb_dir is not None}
    by_time: dict[datetime, list[Target]] = defaultdict(list)
    for target in targets:
        by_time[target.launched].append(target)
    left = []
    for run in wandb_runs:
        matches = [joined[run.folder]] if run.folder in joined else by_time[run.started]
        if len(matches) == 1:
            matches[0].wandb.append(run)
        else:
            reason = f"a W&B run whose start time matches {len(matches)} migrated experiments"
            left.append((run.folder, reason))
    return left


def _config_merges(units: list[LegacyUnit]) -> dict[Path, LegacyUnit]:
    """Era C: which config-only folder merges into which run (the earliest that joins it)."""
    by_folder = {unit.folder: unit for unit in units}
    joining: dict[Path, list[LegacyUnit]] = defaultdict(list)
    for unit in units:
        if unit.joined_folder is not None:
            joining[unit.joined_folder].append(unit)
    merged_into: dict[Path, LegacyUnit] = {}
    for folder, group in joining.items():
        config_only = by_folder.get(folder)
        if config_only is None or config_only.inventory.checkpoints():
            continue
        primary = min(group, key=lambda unit: (unit.named_time or datetime.min, unit.name))
        merged_into[primary.folder] = config_only
    return merged_into
