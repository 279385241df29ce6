"""The era C join: a timestamp names a W&B run folder, whose config names the experiment.

Era C wrote checkpoints to ``<tag>-<arch>_<phase>_<YYYYmmdd_HHMMSS>/`` and the
Hydra config to ``<exp_name>/.hydra/``; only the timestamp links them, and it
also names the W&B run folder (``run-<stamp>-<id>`` or ``offline-run-<stamp>-<id>``),
whose ``files/config.yaml`` holds ``exp_name``. A catalog asks this for thousands
of checkpoints, so the folder listing and each config read are cached until the
folder or file changes.
"""

from __future__ import annotations

import functools
import re
import time
from pathlib import Path, PurePath
from typing import TYPE_CHECKING, Final

from ocr._reading import real_folders
from ocr.compat._config import read_yaml_mapping, unwrap_wandb_value
from ocr.compat._names import LEGACY_STAMP_PATTERN, parse_legacy_timestamp
from ocr.compat._vocabulary import WANDB_CONFIG_RELATIVE, WANDB_RUN_PREFIXES

if TYPE_CHECKING:
    from datetime import datetime

__all__ = ["wandb_exp_name", "wandb_run_of", "wandb_run_stamp"]

_WANDB_RUN: Final = re.compile(rf"(?P<stamp>{LEGACY_STAMP_PATTERN})-.+", re.DOTALL)
_EXP_NAME_KEY: Final = "exp_name"
# A change within the same mtime tick is invisible to an mtime key (git's "racy"
# case), so anything modified this recently is read afresh instead of cached.
_RACY_NS: Final = 2_000_000_000


def wandb_run_of(wandb_root: Path, stamp: str) -> Path | None:
    """The one W&B run folder of a timestamp.

    Args:
        wandb_root: The ``wandb`` folder.
        stamp: ``YYYYmmdd_HHMMSS``.

    Returns:
        The run folder, or ``None`` when none or several have that timestamp
        (two runs of the same second cannot be told apart, so neither is joined).
    """
    mtime_ns = _settled_mtime_ns(wandb_root)
    index = _index_runs(wandb_root) if mtime_ns is None else _cached_runs(wandb_root, mtime_ns)
    matches = index.get(stamp, ())
    return matches[0] if len(matches) == 1 else None


def wandb_exp_name(wandb_dir: Path) -> str | None:
    """The experiment name a W&B run's config gives, when it is a plain folder name.

    Args:
        wandb_dir: A W&B run folder.

    Returns:
        ``exp_name`` from ``files/config.yaml``; ``None`` when missing, not a
        string, or not usable as one folder name (``/``, ``..``).
    """
    config_file = wandb_dir.joinpath(*WANDB_CONFIG_RELATIVE)
    mtime_ns = _settled_mtime_ns(config_file)
    name = (
        _read_exp_name(config_file) if mtime_ns is None else _cached_exp_name(config_file, mtime_ns)
    )
    if name is None or PurePath(name).name != name or name in {".", ".."}:
        return None
    return name


def _settled_mtime_ns(path: Path) -> int | None:
    """The mtime when it is old enough to key a cache; ``None`` when recent or missing."""
    try:
        mtime_ns = path.stat().st_mtime_ns
    except OSError:
        return None
    return mtime_ns if time.time_ns() - mtime_ns > _RACY_NS else None


@functools.lru_cache(maxsize=64)
def _cached_runs(wandb_root: Path, mtime_ns: int) -> dict[str, tuple[Path, ...]]:
    """:func:`_index_runs`, kept while the folder's ``mtime_ns`` stays."""
    del mtime_ns
    return _index_runs(wandb_root)


def _index_runs(wandb_root: Path) -> dict[str, tuple[Path, ...]]:
    """Index the W&B run folders by timestamp."""
    index: dict[str, list[Path]] = {}
    try:
        names = sorted(entry.name for entry in wandb_root.iterdir() if entry.is_dir())
    except OSError:
        return {}
    for name in names:
        if (stamp := _stamp_text(name)) is not None:
            index.setdefault(stamp, []).append(wandb_root / name)
    return {stamp: tuple(paths) for stamp, paths in index.items()}


def wandb_run_stamp(name: str) -> datetime | None:
    """The start time a W&B run folder's name gives (``run-<YYYYmmdd_HHMMSS>-<id>``).

    Args:
        name: The folder name.

    Returns:
        The naive local time, or ``None`` when the name is not a W&B run folder's.

    >>> wandb_run_stamp("offline-run-20251009_015037-abc123de")
    datetime.datetime(2025, 10, 9, 1, 50, 37)
    >>> wandb_run_stamp("latest-run") is None
    True
    """
    stamp = _stamp_text(name)
    return None if stamp is None else parse_legacy_timestamp(stamp)


def _stamp_text(name: str) -> str | None:
    prefix = next((p for p in WANDB_RUN_PREFIXES if name.startswith(p)), None)
    match = _WANDB_RUN.fullmatch(name[len(prefix) :]) if prefix else None
    return match["stamp"] if match else None


@functools.lru_cache(maxsize=1024)
def _cached_exp_name(config_file: Path, mtime_ns: int) -> str | None:
    """:func:`_read_exp_name`, kept while the file's ``mtime_ns`` stays."""
    del mtime_ns
    return _read_exp_name(config_file)


def _read_exp_name(config_file: Path) -> str | None:
    # files/config.yaml of a run of the W&B folder: never read through a link out of it.
    wandb_root = config_file.parents[len(WANDB_CONFIG_RELATIVE)]
    mapping = read_yaml_mapping(config_file, inside=real_folders([wandb_root]))
    value = unwrap_wandb_value(mapping.get(_EXP_NAME_KEY))
    return value if isinstance(value, str) and value else None
