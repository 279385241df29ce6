"""Legacy checkpoint file names: what each of the many old spellings says.

Legacy trainers named checkpoints in a dozen ways (``epoch=67-step=18564``,
``epoch-8-step-1845``, ``epoch_epoch=02-step_step=0819-loss_val_loss=1.5191``,
``resnet34_bs4_epoch_epoch=28_step_step=23722``, ``epoch_00_step_000103_20251009_015037``,
``best-hmean-0.8920``, ``best-v1``, ...). One parser reads them all, and the new
names of :mod:`ocr.naming` too, so a caller needs only this one.

A name is read as an optional free prefix, then fields separated by ``-`` or
``_``: ``epoch`` and ``step`` (each possibly doubled, ``epoch_epoch=02``, as
Lightning's ``auto_insert_metric_name`` did to templates that already named
them), metrics ``<name>=<value>`` or ``<name>-<value>``, and the stock words
``best``/``last``; a ``-v<k>`` version and a ``_YYYYmmdd_HHMMSS`` timestamp may
end it. What cannot be read is skipped, never guessed.

>>> from pathlib import PurePath
>>> parse_legacy_name(PurePath("epoch_epoch=01-step_step=0546-loss_val", "loss=1.6217.ckpt"))
LegacyName(epoch=1, step=546, metrics={'val/loss': 1.6217}, is_best=False, is_last=False, version=None, timestamp=None, prefix=None)
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Final

from ocr.compat._switch import is_legacy_enabled
from ocr.naming import CHECKPOINT_SUFFIX, parse_checkpoint_name

if TYPE_CHECKING:
    from pathlib import PurePath

__all__ = ["LEGACY_STAMP_PATTERN", "LegacyName", "parse_legacy_name", "parse_legacy_timestamp"]

_FLOAT: Final = r"-?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?|-?inf|nan"
_END: Final = r"(?=[_-]|$)"
_VERSION: Final = re.compile(r"-v(?P<version>\d+)$")
LEGACY_STAMP_PATTERN: Final = r"\d{8}_\d{6}"
"""A legacy compact timestamp, ``YYYYmmdd_HHMMSS``, in file, folder and W&B run names."""
_TIMESTAMP_FORMAT: Final = "%Y%m%d_%H%M%S"
_TIMESTAMP: Final = re.compile(rf"(?:^|[_-])(?P<stamp>{LEGACY_STAMP_PATTERN})$")
# The first ``epoch``/``step`` word at a field boundary: what comes before it is a prefix.
_ANCHOR: Final = re.compile(r"(?<![^_-])(?:epoch|step)(?=[=_-])")
_EPOCH: Final = re.compile(rf"epoch(?:_epoch)?[=_-](?P<value>\d*){_END}")
_STEP: Final = re.compile(rf"step(?:_step)?[=_-](?P<value>\d*){_END}")
_STOCK: Final = re.compile(rf"(?P<word>best|last){_END}")
_METRIC_EQUALS: Final = re.compile(rf"(?P<key>[^=]+?)=(?P<value>{_FLOAT}){_END}")
_METRIC_DASH: Final = re.compile(rf"(?P<key>[A-Za-z][A-Za-z0-9_/.]*?)-(?P<value>{_FLOAT}){_END}")
_SEPARATORS: Final = "_-"
_SEPARATOR: Final = re.compile(r"[_-]")


@dataclass(frozen=True)
class LegacyName:
    """What a legacy (or new) checkpoint file name says; ``None`` where it says nothing.

    Args:
        epoch: The epoch (0 is a real epoch).
        step: The global step.
        metrics: Metric values, keyed as the name spells them (a ``/`` that
            made a folder restored: ``val/loss``).
        is_best: The name is a ``best`` checkpoint.
        is_last: The name is a ``last`` checkpoint.
        version: Lightning's clash suffix (``best-v1`` -> 1).
        timestamp: Naive local time from a ``_YYYYmmdd_HHMMSS`` ending.
        prefix: Free text before the fields (``resnet34_bs4``).
    """

    epoch: int | None = None
    step: int | None = None
    metrics: dict[str, float] = field(default_factory=dict)
    is_best: bool = False
    is_last: bool = False
    version: int | None = None
    timestamp: datetime | None = None
    prefix: str | None = None


def parse_legacy_name(relative: PurePath) -> LegacyName:
    """Read a checkpoint name in any legacy spelling, or the new one.

    Never raises: a name that says nothing gives an empty :class:`LegacyName`.
    With legacy support off (:func:`is_legacy_enabled`), only new names are read.

    Args:
        relative: The checkpoint path relative to its checkpoints folder:
            usually the file name alone; more parts when a ``/`` in the
            monitored metric's name made folders
            (``epoch_epoch=01-step_step=0546-loss_val/loss=1.6217.ckpt``).

    Returns:
        What the name says.

    >>> from pathlib import PurePath
    >>> parse_legacy_name(PurePath("epoch-03_step-000103_hmean-0.8756.ckpt"))
    LegacyName(epoch=3, step=103, metrics={'hmean': 0.8756}, is_best=False, is_last=False, version=None, timestamp=None, prefix=None)
    """
    name = "/".join(relative.parts)
    if len(relative.parts) == 1 and (ours := parse_checkpoint_name(name)) is not None:
        metrics = {ours.metric: ours.score} if ours.metric and ours.score is not None else {}
        return LegacyName(ours.epoch, ours.step, metrics, False, ours.is_last, ours.version)
    if not is_legacy_enabled():
        return LegacyName()
    stem = name.removesuffix(CHECKPOINT_SUFFIX)
    version = None
    if match := _VERSION.search(stem):
        version, stem = int(match["version"]), stem[: match.start()]
    timestamp = None
    if (match := _TIMESTAMP.search(stem)) and (stamp := parse_legacy_timestamp(match["stamp"])):
        timestamp, stem = stamp, stem[: match.start()]
    fields = _read_fields(stem)
    prefix = stem[: fields.first_at].strip(_SEPARATORS) if fields.first_at is not None else ""
    return LegacyName(
        epoch=fields.epoch,
        step=fields.step,
        metrics=fields.metrics,
        is_best=fields.is_best,
        is_last=fields.is_last,
        version=version,
        timestamp=timestamp,
        prefix=prefix or None,
    )


def parse_legacy_timestamp(text: str) -> datetime | None:
    """Read a legacy ``YYYYmmdd_HHMMSS`` timestamp (names of files, folders, W&B runs).

    Args:
        text: The timestamp text.

    Returns:
        The naive local time, or ``None`` when the text is no such time.
    """
    try:
        return datetime.strptime(text, _TIMESTAMP_FORMAT)
    except ValueError:
        return None


@dataclass
class _Fields:
    """The fields read so far from one name."""

    epoch: int | None = None
    step: int | None = None
    metrics: dict[str, float] = field(default_factory=dict)
    is_best: bool = False
    is_last: bool = False
    first_at: int | None = None


def _read_fields(stem: str) -> _Fields:
    fields = _Fields()
    anchor = _ANCHOR.search(stem)
    position = anchor.start() if anchor else 0
    while position < len(stem):
        if stem[position] in _SEPARATORS:
            position += 1
            continue
        end = _read_field(stem, position, fields)
        if end is None:
            # Unreadable text: skip to the next separator and read on from there.
            separator = _SEPARATOR.search(stem, position)
            position = separator.start() if separator else len(stem)
            continue
        fields.first_at = position if fields.first_at is None else fields.first_at
        position = end
    return fields


def _read_field(stem: str, position: int, fields: _Fields) -> int | None:
    """Read one field at ``position`` into ``fields``; return where it ends, or ``None``."""
    if match := _EPOCH.match(stem, position):
        fields.epoch = int(match["value"]) if match["value"] else None
    elif match := _STEP.match(stem, position):
        fields.step = int(match["value"]) if match["value"] else None
    elif match := _STOCK.match(stem, position):
        fields.is_best = fields.is_best or match["word"] == "best"
        fields.is_last = fields.is_last or match["word"] == "last"
    elif match := _METRIC_EQUALS.match(stem, position) or _METRIC_DASH.match(stem, position):
        fields.metrics[_undouble(match["key"])] = float(match["value"])
    else:
        return None
    return match.end()


def _undouble(key: str) -> str:
    """Drop a template label that Lightning doubled: ``loss_val/loss`` -> ``val/loss``."""
    label, separator, rest = key.partition("_")
    if separator and rest and (rest == label or rest.endswith((f"/{label}", f"_{label}"))):
        return rest
    return key
