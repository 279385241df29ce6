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
A (B)   a run deeper down, ``<any>/<path>/<run>/...``: named by its path, its time
        from its folder's name (:func:`~ocr.compat._stamps.folder_name_stamp`)
======  ==========================================================================

The run folder is found by what it holds (:mod:`ocr.compat._run_folders`), and
a checkpoint anywhere below it belongs to it: in ``checkpoints/``, in Lightning's
own ``lightning_logs/version_<k>/checkpoints/``, in ``submissions/``. A ``/`` in
a monitored metric's name may have made one more folder inside ``checkpoints``
(``epoch_epoch=01-step_step=0546-loss_val/loss=1.6217.ckpt``).

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
from ocr.compat._run_folders import DiskMarks, run_depth
from ocr.compat._stamps import folder_name_stamp
from ocr.compat._switch import is_legacy_enabled
from ocr.compat._vocabulary import WANDB_CONFIG_RELATIVE
from ocr.compat._wandb import wandb_exp_name, wandb_run_of
from ocr.layout import LayoutKind, RunLayout
from ocr.layout._shared import run_location
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
        folder: The experiment folder (A/B/C: ``<outputs>/<name>``, or a run
            deeper down; D: ``multirun/<date>/<time>/<n>``; E: the run folder).
        checkpoint_dir: The folder the checkpoint names are relative to.
        config_dir: The ``.hydra`` folder holding ``config.yaml``, possibly in
            another folder (era C); ``None`` when none is found.
        name: The experiment name as the folder spells it (a run deeper down,
            D and E: the run folder relative to its root, POSIX).
        timestamp: From the folder name (any spelling of
            :func:`~ocr.compat._stamps.folder_name_stamp`, or era C's), naive local time.
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
    checkpoint: Path,
    *,
    roots: Sequence[Path],
    legacy: LegacyFolders = _BY_NAME,
    marks: DiskMarks | None = None,
) -> LegacyRun | None:
    """Find the experiment a checkpoint belongs to from where it sits.

    The run folder is the one :mod:`ocr.compat._run_folders` finds above the
    checkpoint; its era comes from its place. Only names are read, plus a few
    ``lstat`` calls per folder above the checkpoint and, for era C, one
    listing of the W&B folder (cached until it changes). With legacy support
    off, only era E is located.

    Args:
        checkpoint: The checkpoint file, absolute and spelled like ``roots``.
        roots: The outputs folder and, when they exist, the legacy sweep and
            W&B folders that go with it.
        legacy: Which of ``roots`` are the sweep and W&B folders (default:
            those called ``multirun`` and ``wandb``).
        marks: Where folders' marks are read (pass one to a series of calls
            to read each folder once).

    Returns:
        The run, or ``None`` when the file is under no root or in no run.
    """
    containing = [root for root in roots if checkpoint.is_relative_to(root)]
    if not containing:
        return None
    root = max(containing, key=lambda candidate: len(candidate.parts))
    if legacy.is_wandb(root):
        return None
    parts = checkpoint.relative_to(root).parts
    depth = run_depth(parts[:-1], (marks or DiskMarks()).under(root))
    if depth is None:
        return None
    run_parts = parts[:depth]
    checkpoint_dir, subfolder = _checkpoint_place(root.joinpath(*run_parts), parts[depth:])
    if legacy.is_multirun(root):
        run = _timestamped_run(root, run_parts, checkpoint_dir, subfolder, Era.D)
    else:
        run = _timestamped_run(root, run_parts, checkpoint_dir, subfolder, Era.E)
        if run is None:
            wandb_root = legacy.wandb_among(roots)
            run = _run_at(root, run_parts, checkpoint_dir, subfolder, wandb_root)
    if run is None or (run.era is not Era.E and not is_legacy_enabled()):
        return None
    return run


def locate_legacy_folder(
    folder: Path, *, wandb_root: Path | None, root: Path | None = None
) -> LegacyRun | None:
    """Say which legacy experiment a folder is (eras A to C, or a run deeper down).

    The migrator walks folders, not checkpoints: a folder may hold only a
    config, logs or submissions and still be an experiment. A folder whose
    ``checkpoints`` holds a model subfolder is era B.

    Args:
        folder: ``<outputs>/<name>``, or a run folder deeper below ``root``.
        wandb_root: The W&B folder to join era C folders with (``None``: no join).
        root: The outputs folder (default: the folder's parent).

    Returns:
        The run (``checkpoint_dir`` is its ``checkpoints`` folder), or ``None``
        when legacy support is off.
    """
    if not is_legacy_enabled():
        return None
    root = folder.parent if root is None else root
    checkpoint_dir = RunLayout(folder).checkpoint_dir
    subfolder = next(iter(_model_subfolders(checkpoint_dir)), None)
    return _run_at(root, folder.relative_to(root).parts, checkpoint_dir, subfolder, wandb_root)


def _run_at(
    root: Path,
    run_parts: tuple[str, ...],
    checkpoint_dir: Path,
    subfolder: str | None,
    wandb_root: Path | None,
) -> LegacyRun:
    """A legacy run of the outputs folder: at its top (eras A to C), or deeper down."""
    if len(run_parts) == 1:
        return _named_run(root, run_parts[0], checkpoint_dir, subfolder, wandb_root)
    folder = root.joinpath(*run_parts)
    if subfolder is not None:
        model = model_from_subfolder(subfolder)
    else:
        words = [part for part in reversed(run_parts) if folder_name_stamp([part]) is None]
        model = model_from_experiment_name(words[0]) if words else {}
    return LegacyRun(
        era=Era.B if subfolder is not None else Era.A,
        folder=folder,
        checkpoint_dir=checkpoint_dir,
        config_dir=_config_dir(folder),
        name="/".join(run_parts),
        timestamp=folder_name_stamp(run_parts),
        model=model,
        wandb_dir=None,
    )


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


def _checkpoint_place(run_dir: Path, inside: tuple[str, ...]) -> tuple[Path, str | None]:
    """The folder a checkpoint's name is read relative to, and its era B model subfolder.

    Args:
        run_dir: The run folder.
        inside: The checkpoint's path below it (its name last).

    Returns:
        The last ``checkpoints`` folder above the checkpoint (or the era B
        subfolder in it), else the folder it sits in; and the subfolder, if any.
    """
    folders = inside[:-1]
    checkpoints = RunLayout(run_dir).checkpoint_dir.name
    for index in range(len(folders) - 1, -1, -1):
        if folders[index] != checkpoints:
            continue
        checkpoint_dir, rest = run_dir.joinpath(*folders[: index + 1]), inside[index + 1 :]
        if len(rest) == 1 or _is_monitor_split(rest[0]):
            return checkpoint_dir, None
        if len(rest) == 2:
            return checkpoint_dir / rest[0], rest[0]
        break
    return run_dir.joinpath(*folders), None


def _is_monitor_split(folder_name: str) -> bool:
    """Whether a folder inside ``checkpoints`` is the start of a name a ``/`` split."""
    said = parse_legacy_name(PurePath(folder_name))
    return said.epoch is not None or said.step is not None


def _timestamped_run(
    root: Path, run_parts: tuple[str, ...], checkpoint_dir: Path, subfolder: str | None, era: Era
) -> LegacyRun | None:
    location = run_location(run_parts)  # the layout's shape: its runs, or era D's sweeps
    if location is None:
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
        named = folder_name_stamp([name])
        return LegacyRun(Era.B, folder, checkpoint_dir, own_config_dir, name, named, model, None)
    tagged = _ERA_C.fullmatch(name)
    stamp = parse_legacy_timestamp(tagged["stamp"]) if tagged else None
    if tagged is None or stamp is None:
        model = model_from_experiment_name(name)
        named = folder_name_stamp([name])
        return LegacyRun(Era.A, folder, checkpoint_dir, own_config_dir, name, named, model, None)
    wandb_dir = wandb_run_of(wandb_root, tagged["stamp"]) if wandb_root else None
    exp_name = wandb_exp_name(wandb_dir) if wandb_dir and not own_config_dir else None
    config_dir = own_config_dir or (_config_dir(root / exp_name) if exp_name else None)
    model = model_from_tagged_name(tagged["head"])
    return LegacyRun(Era.C, folder, checkpoint_dir, config_dir, name, stamp, model, wandb_dir)


def _config_dir(folder: Path) -> Path | None:
    layout = RunLayout(folder)
    return layout.hydra_dir if layout.config_file.is_file() else None
