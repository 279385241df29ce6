"""Which experiment a legacy checkpoint belongs to, from where it sits (eras A to E).

======  ==========================================================================
era     where the checkpoint sits (relative to a root)
======  ==========================================================================
A       ``<exp_name>/checkpoints/<file>``
B       ``<exp_name>/checkpoints/<arch>_<encoder>/<file>``
C       ``<tag>-<arch>[-<encoder>]_<phase>_<YYYYmmdd_HHMMSS>/checkpoints/<file>``; its
        config is in another folder, joined through ``wandb/run-<same stamp>-<id>``
D       ``multirun/<YYYY-MM-DD>/<HH-MM-SS>/<n>/checkpoints/<file>``
E       the new layout, ``<YYYY-MM-DD>/<HH-MM-SS>[_n][/<job>]/checkpoints/<file>``
======  ==========================================================================

Any run folder may hold Lightning's own ``lightning_logs/version_<k>/checkpoints/``
instead, and a ``/`` in a monitored metric's name may have made one more folder
inside ``checkpoints`` (``epoch_epoch=01-step_step=0546-loss_val/loss=1.6217.ckpt``).

Era C join: the checkpoint folder's timestamp names the W&B run folder
(``run-<stamp>-<id>`` or ``offline-run-<stamp>-<id>``) when exactly one has it;
that run's ``files/config.yaml`` names ``exp_name``, and
``<outputs>/<exp_name>/.hydra`` is the config. No guess is made past that.

The legacy sweep and W&B folders are ``multirun/`` and ``wandb/`` beside the
outputs folder, told apart by those names, unless
:class:`~ocr.compat._legacy_folders.LegacyFolders` names others.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from pathlib import Path, PurePath
from typing import TYPE_CHECKING, Final

from ocr.compat._folder_models import (
    model_from_experiment_name,
    model_from_subfolder,
    model_from_tagged_name,
)
from ocr.compat._legacy_folders import LegacyFolders
from ocr.compat._names import LEGACY_STAMP_PATTERN, parse_legacy_name, parse_legacy_timestamp
from ocr.compat._switch import is_legacy_enabled
from ocr.compat._vocabulary import (
    LIGHTNING_LOGS_DIR_NAME,
    LIGHTNING_VERSION_PREFIX,
    WANDB_CONFIG_RELATIVE,
)
from ocr.compat._wandb import wandb_exp_name, wandb_run_of
from ocr.errors import RunPathParseError
from ocr.layout import LayoutKind, RunLayout, parse_run_path
from ocr.naming import CHECKPOINT_SUFFIX

if TYPE_CHECKING:
    from collections.abc import Sequence
    from datetime import datetime

    from ocr.compat._recovered import Recovered

__all__ = ["Era", "LegacyRun", "locate_legacy_folder", "locate_legacy_run"]


_ERA_C: Final = re.compile(
    rf"(?P<head>.+)_(?P<phase>[^_]+)_(?P<stamp>{LEGACY_STAMP_PATTERN})", re.DOTALL
)


Era = LayoutKind
"""The shape of tree a checkpoint was found in: one enum with the catalog's layout kinds.

Compat names the legacy shapes by their letters (``Era.A`` ... ``Era.D``, and
``Era.E`` for the timestamp layout), aliases of :class:`ocr.layout.LayoutKind`'s members.
"""


@dataclass(frozen=True)
class LegacyRun:
    """The experiment a legacy checkpoint belongs to.

    Args:
        era: The shape of tree.
        folder: The experiment folder (A/B/C: ``<outputs>/<name>``; D:
            ``multirun/<date>/<time>/<n>``; E: the run folder).
        checkpoint_dir: The folder the checkpoint names are relative to.
        config_dir: The ``.hydra`` folder holding ``config.yaml``, possibly in
            another folder (era C); ``None`` when none is found.
        name: The experiment name as the folder spells it (D and E: the run
            folder relative to its root, POSIX).
        timestamp: From the folder name (C, D, E), naive local time.
        model: What folder names say of the model (B subfolder, C tag, A names
            like ``<base>-<arch>-<decoder>-<encoder>``), unknown words dropped.
        wandb_dir: The W&B run folder joined by timestamp (C), if any.
    """

    era: Era
    folder: Path
    checkpoint_dir: Path
    config_dir: Path | None
    name: str
    timestamp: datetime | None
    model: dict[str, Recovered[str]]
    wandb_dir: Path | None

    @property
    def config_file(self) -> Path | None:
        """The run's saved Hydra ``config.yaml``, when a config folder was found."""
        return None if self.config_dir is None else RunLayout(self.config_dir.parent).config_file

    @property
    def wandb_config_file(self) -> Path | None:
        """The joined W&B run's ``files/config.yaml``, when one was found."""
        return None if self.wandb_dir is None else self.wandb_dir.joinpath(*WANDB_CONFIG_RELATIVE)


_BY_NAME: Final = LegacyFolders()


def locate_legacy_run(
    checkpoint: Path, *, roots: Sequence[Path], legacy: LegacyFolders = _BY_NAME
) -> LegacyRun | None:
    """Find the experiment a checkpoint belongs to from where it sits.

    Only names are read, plus a few ``is_file`` checks and, for era C, one
    listing of the W&B folder (cached until it changes). With legacy support
    off, only era E is located.

    Args:
        checkpoint: The checkpoint file, absolute and spelled like ``roots``.
        roots: The outputs folder and, when they exist, the legacy sweep and
            W&B folders that go with it.
        legacy: Which of ``roots`` are the sweep and W&B folders (default:
            those called ``multirun`` and ``wandb``).

    Returns:
        The run, or ``None`` when the file is under no root or sits in no
        known shape.
    """
    containing = [root for root in roots if checkpoint.is_relative_to(root)]
    if not containing:
        return None
    root = max(containing, key=lambda candidate: len(candidate.parts))
    if legacy.is_wandb(root):
        return None
    parts = checkpoint.relative_to(root).parts
    split = _split_at_checkpoints(root, parts)
    if split is None:
        return None
    run_parts, checkpoint_dir, subfolder = split
    if legacy.is_multirun(root):
        run = _timestamped_run(root, run_parts, checkpoint_dir, subfolder, Era.D)
    else:
        run = _timestamped_run(root, run_parts, checkpoint_dir, subfolder, Era.E)
        if run is None and len(run_parts) == 1:
            wandb_root = legacy.wandb_among(roots)
            run = _named_run(root, run_parts[0], checkpoint_dir, subfolder, wandb_root)
    if run is None or (run.era is not Era.E and not is_legacy_enabled()):
        return None
    return run


def locate_legacy_folder(folder: Path, *, wandb_root: Path | None) -> LegacyRun | None:
    """Say which legacy experiment a folder at the top of an outputs root is (eras A to C).

    The migrator walks folders, not checkpoints: a folder may hold only a
    config, logs or submissions and still be an experiment. A folder whose
    ``checkpoints`` holds a model subfolder is era B.

    Args:
        folder: ``<outputs>/<name>``.
        wandb_root: The W&B folder to join era C folders with (``None``: no join).

    Returns:
        The run (``checkpoint_dir`` is its ``checkpoints`` folder), or ``None``
        when legacy support is off.
    """
    if not is_legacy_enabled():
        return None
    checkpoint_dir = RunLayout(folder).checkpoint_dir
    subfolder = next(iter(_model_subfolders(checkpoint_dir)), None)
    return _named_run(folder.parent, folder.name, checkpoint_dir, subfolder, wandb_root)


def _model_subfolders(checkpoint_dir: Path) -> list[str]:
    """Era B subfolders of ``checkpoints``.

    Not the folders a ``/`` in a metric name made, and not a folder checkpoint
    (``last.ckpt/``, a sharded checkpoint): that is a checkpoint, not a model.
    """
    try:
        names = sorted(
            entry.name
            for entry in os.scandir(checkpoint_dir)
            if entry.is_dir(follow_symlinks=False)
        )
    except OSError:
        return []
    return [
        name
        for name in names
        if not _is_monitor_split(name) and not name.endswith(CHECKPOINT_SUFFIX)
    ]


def _split_at_checkpoints(
    root: Path, parts: tuple[str, ...]
) -> tuple[tuple[str, ...], Path, str | None] | None:
    """Split at the run's checkpoints folder: run parts, checkpoint folder, era B subfolder."""
    for index in range(1, len(parts) - 1):
        run_dir = root.joinpath(*parts[:index])
        if RunLayout(run_dir).checkpoint_dir != run_dir / parts[index]:
            continue
        checkpoints, inside = run_dir / parts[index], parts[index + 1 :]
        run_parts = _without_lightning_version(parts[:index])
        if len(inside) == 1 or _is_monitor_split(inside[0]):
            return run_parts, checkpoints, None
        if len(inside) == 2:
            return run_parts, checkpoints / inside[0], inside[0]
        return None
    return None


def _without_lightning_version(run_parts: tuple[str, ...]) -> tuple[str, ...]:
    if (
        len(run_parts) > 2
        and run_parts[-2] == LIGHTNING_LOGS_DIR_NAME
        and run_parts[-1].startswith(LIGHTNING_VERSION_PREFIX)
    ):
        return run_parts[:-2]
    return run_parts


def _is_monitor_split(folder_name: str) -> bool:
    """Whether a folder inside ``checkpoints`` is the start of a name a ``/`` split."""
    said = parse_legacy_name(PurePath(folder_name))
    return said.epoch is not None or said.step is not None


def _timestamped_run(
    root: Path, run_parts: tuple[str, ...], checkpoint_dir: Path, subfolder: str | None, era: Era
) -> LegacyRun | None:
    try:
        location = parse_run_path(PurePath(*run_parts))
    except RunPathParseError:
        return None
    folder = root.joinpath(*run_parts)
    return LegacyRun(
        era=era,
        folder=folder,
        checkpoint_dir=checkpoint_dir,
        config_dir=_config_dir(folder),
        name="/".join(run_parts),
        timestamp=location.stamp.launched,
        model=model_from_subfolder(subfolder),
        wandb_dir=None,
    )


def _named_run(
    root: Path, name: str, checkpoint_dir: Path, subfolder: str | None, wandb_root: Path | None
) -> LegacyRun:
    folder = root / name
    own_config_dir = _config_dir(folder)
    if subfolder is not None:
        model = model_from_subfolder(subfolder)
        return LegacyRun(Era.B, folder, checkpoint_dir, own_config_dir, name, None, model, None)
    tagged = _ERA_C.fullmatch(name)
    stamp = parse_legacy_timestamp(tagged["stamp"]) if tagged else None
    if tagged is None or stamp is None:
        model = model_from_experiment_name(name)
        return LegacyRun(Era.A, folder, checkpoint_dir, own_config_dir, name, None, model, None)
    wandb_dir = wandb_run_of(wandb_root, tagged["stamp"]) if wandb_root else None
    exp_name = wandb_exp_name(wandb_dir) if wandb_dir and not own_config_dir else None
    config_dir = own_config_dir or (_config_dir(root / exp_name) if exp_name else None)
    model = model_from_tagged_name(tagged["head"])
    return LegacyRun(Era.C, folder, checkpoint_dir, config_dir, name, stamp, model, wandb_dir)


def _config_dir(folder: Path) -> Path | None:
    layout = RunLayout(folder)
    return layout.hydra_dir if layout.config_file.is_file() else None
