"""Checkpoint and sidecar file names: the one place that formats and parses them.

New checkpoints are named ``epoch=03-step=000120-val_hmean=0.8123.ckpt``, or
with the ``underscore`` style ``epoch_03-step_000120-val_hmean_0.8123.ckpt``
(no ``=``, so the path passes back as a Hydra override unquoted); Lightning may
add ``-v1`` when a name is taken; plus ``last.ckpt``. Each has a sidecar
``<checkpoint file name>.meta.json``. A metric name's ``/`` never reaches a
file name, so no stray folders appear. Both styles parse back.

>>> checkpoint_filename_template("val/hmean")
'epoch={epoch:02d}-step={step:06d}-val_hmean={val/hmean:.4f}'
>>> checkpoint_filename_template("val/acc", style="underscore")
'epoch_{epoch:02d}-step_{step:06d}-val_acc_{val/acc:.4f}'
>>> parse_checkpoint_name("epoch=03-step=000120-val_hmean=0.8123.ckpt")
CheckpointName(epoch=3, step=120, metric='val_hmean', score=0.8123, is_last=False, version=None)
>>> parse_checkpoint_name("epoch_03-step_000120-val_acc_0.8123.ckpt").metric
'val_acc'
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import TYPE_CHECKING, Final, Literal, get_args

if TYPE_CHECKING:
    from pathlib import Path

__all__ = [
    "CHECKPOINT_SUFFIX",
    "LAST_CHECKPOINT_STEM",
    "NAME_STYLES",
    "SIDECAR_SUFFIX",
    "CheckpointName",
    "NameStyle",
    "checkpoint_filename_template",
    "checkpoint_of_sidecar",
    "is_checkpoint_file",
    "is_sidecar_file",
    "metric_slug",
    "parse_checkpoint_name",
    "sidecar_name",
    "sidecar_path",
]

CHECKPOINT_SUFFIX: Final = ".ckpt"
SIDECAR_SUFFIX: Final = ".meta.json"
LAST_CHECKPOINT_STEM: Final = "last"
NameStyle = Literal["equals", "underscore"]
"""How a value joins its label in a checkpoint name: ``epoch=03`` or ``epoch_03``."""
NAME_STYLES: Final[tuple[NameStyle, ...]] = get_args(NameStyle)
_JOINERS: Final[dict[NameStyle, str]] = {"equals": "=", "underscore": "_"}
_UNSAFE: Final = re.compile(r"[^A-Za-z0-9_.]+")
# One pattern per style: a name never mixes them.
_OURS: Final = tuple(
    re.compile(
        rf"epoch{joiner}(?P<epoch>\d+)-step{joiner}(?P<step>\d+)"
        rf"(?:-(?P<metric>[A-Za-z0-9_.]+?){joiner}(?P<score>-?(?:\d+\.\d+|inf|nan)))?"
        r"(?:-v(?P<version>\d+))?"
    )
    for joiner in _JOINERS.values()
)
_LAST: Final = re.compile(rf"{LAST_CHECKPOINT_STEM}(?:-v(?P<version>\d+))?")


@dataclass(frozen=True)
class CheckpointName:
    """What a new-style checkpoint file name says."""

    epoch: int | None
    step: int | None
    metric: str | None
    score: float | None
    is_last: bool
    version: int | None


def metric_slug(metric: str) -> str:
    """Make a logged metric name safe for a file name (``val/hmean`` -> ``val_hmean``).

    Args:
        metric: The logged name.

    Returns:
        The name with every run of unsafe characters replaced by ``_``.
    """
    return _UNSAFE.sub("_", metric).strip("_") or "metric"


def checkpoint_filename_template(monitor: str | None, *, style: NameStyle = "equals") -> str:
    """The Lightning ``ModelCheckpoint.filename`` template for new checkpoints.

    Use it with ``auto_insert_metric_name=False``: the names are spelled here,
    once, so Lightning never writes ``epoch=epoch=``.

    Args:
        monitor: The monitored metric, or ``None``.
        style: ``equals`` (``epoch=03``) or ``underscore`` (``epoch_03``).

    Returns:
        A template with epoch, step and (when monitored) the metric's value.
    """
    joiner = _JOINERS[style]
    template = f"epoch{joiner}{{epoch:02d}}-step{joiner}{{step:06d}}"
    if monitor is None:
        return template
    return f"{template}-{metric_slug(monitor)}{joiner}{{{monitor}:.4f}}"


def parse_checkpoint_name(name: str) -> CheckpointName | None:
    """Parse a checkpoint file name written by ocr.

    Args:
        name: The file name (with ``.ckpt``), in either style.

    Returns:
        What the name says, or ``None`` when it is not an ocr name (legacy
        names are parsed by ``ocr.compat``).
    """
    if not name.endswith(CHECKPOINT_SUFFIX):
        return None
    stem = name[: -len(CHECKPOINT_SUFFIX)]
    if last := _LAST.fullmatch(stem):
        version = last["version"]
        return CheckpointName(None, None, None, None, True, int(version) if version else None)
    match = next((m for pattern in _OURS if (m := pattern.fullmatch(stem))), None)
    if match is None:
        return None
    return CheckpointName(
        epoch=int(match["epoch"]),
        step=int(match["step"]),
        metric=match["metric"],
        score=float(match["score"]) if match["score"] else None,
        is_last=False,
        version=int(match["version"]) if match["version"] else None,
    )


def sidecar_name(checkpoint: str) -> str:
    """The sidecar's name (or path string) for a checkpoint's name (or path string).

    Args:
        checkpoint: A checkpoint file name, or a path as a string.

    Returns:
        ``<checkpoint>.meta.json``.
    """
    return checkpoint + SIDECAR_SUFFIX


def sidecar_path(checkpoint: Path) -> Path:
    """The sidecar of a checkpoint: ``<checkpoint file name>.meta.json`` beside it.

    Args:
        checkpoint: The checkpoint file.

    Returns:
        The sidecar path.
    """
    return checkpoint.with_name(sidecar_name(checkpoint.name))


def checkpoint_of_sidecar(sidecar: Path) -> Path:
    """The checkpoint a sidecar describes.

    Args:
        sidecar: A ``.meta.json`` file.

    Returns:
        The checkpoint path beside it.
    """
    return sidecar.with_name(sidecar.name.removesuffix(SIDECAR_SUFFIX))


def is_checkpoint_file(path: Path) -> bool:
    """Whether a path names a checkpoint (``*.ckpt``)."""
    return path.name.endswith(CHECKPOINT_SUFFIX)


def is_sidecar_file(path: Path) -> bool:
    """Whether a path names an ocr sidecar (``*.ckpt.meta.json``)."""
    return path.name.endswith(CHECKPOINT_SUFFIX + SIDECAR_SUFFIX)
