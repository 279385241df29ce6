"""The new folder's timestamp, from the best evidence a legacy folder holds.

Evidence, most trusted first: a timestamp in the folder's name (era C's, a
sweep's ``<date>/<time>``, and every common run-folder stamp that
:func:`ocr.compat.folder_name_stamp` reads: ``YYYY-MM-DD_HH-MM-SS``,
``YYYYmmdd_HHMMSS``, ``YYYY-MM-DD/HH-MM-SS``, each maybe with ``_<seed>`` or
``_<n>``) or in a checkpoint's name; the first timestamped line of a log; when Hydra wrote
``.hydra/config.yaml`` (its mtime, written at launch); the oldest checkpoint's
mtime; the oldest file's mtime. The report says which was used.

Names and log lines are the training machine's wall clock, like every
folder name of the layout; an mtime is an instant, shown in this machine's
time zone. So a log line outranks the Hydra file's mtime: on a tree trained
in another zone they disagree by hours, and the wall clock is what the
layout's names mean.
"""

from __future__ import annotations

import re
from datetime import datetime
from pathlib import PurePosixPath
from typing import TYPE_CHECKING, Final

from ocr._reading import read_head
from ocr.compat._shared import parse_legacy_name
from ocr.migrate._model import TimestampSource

if TYPE_CHECKING:
    from collections.abc import Callable
    from pathlib import Path

    from ocr.migrate._inventory import Inventory

__all__ = ["choose_launch_time"]

_LOG_LINE: Final = re.compile(rb"^\[(\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2})[,.]\d+\]", re.MULTILINE)
_LOG_HEAD_BYTES: Final = 64 * 1024
_HYDRA_CONFIG: Final = ".hydra/config.yaml"


def choose_launch_time(
    inventory: Inventory, *, named: datetime | None, config_file: Path | None
) -> tuple[datetime, TimestampSource]:
    """Choose a legacy experiment's launch time.

    Args:
        inventory: The experiment folder's content.
        named: The time its folder's name gives, if any.
        config_file: Its Hydra ``config.yaml`` (maybe in another folder, era C).

    Returns:
        The naive local time and the evidence it came from.
    """
    if named is not None:
        return named, TimestampSource.FOLDER_NAME
    checkpoints = inventory.checkpoints()
    candidates: tuple[tuple[TimestampSource, Callable[[], datetime | None]], ...] = (
        (TimestampSource.FILE_NAME, lambda: _named_in_files(checkpoints)),
        (TimestampSource.LOG_LINE, lambda: _first_log_time(inventory)),
        (TimestampSource.HYDRA_FILES, lambda: _hydra_time(inventory, config_file)),
        (TimestampSource.CHECKPOINT_MTIME, lambda: _oldest(inventory, checkpoints)),
    )
    for source, find in candidates:
        found = find()
        if found is not None:
            return found, source
    everything = list(inventory.files)
    oldest = _oldest(inventory, everything) or _local(inventory.folders[""])
    return oldest, TimestampSource.FILE_MTIME


def _named_in_files(checkpoints: list[str]) -> datetime | None:
    names = (PurePosixPath(PurePosixPath(path).name) for path in checkpoints)
    return min((s for name in names if (s := parse_legacy_name(name).timestamp)), default=None)


def _hydra_time(inventory: Inventory, config_file: Path | None) -> datetime | None:
    hydra = inventory.files.get(_HYDRA_CONFIG)
    if hydra is not None:
        return _local(hydra.mtime_ns)
    if config_file is not None and config_file.is_file():
        return _local(config_file.stat().st_mtime_ns)
    return None


def _oldest(inventory: Inventory, paths: list[str]) -> datetime | None:
    mtimes = [inventory.files[path].mtime_ns for path in paths]
    return _local(min(mtimes)) if mtimes else None


def _first_log_time(inventory: Inventory) -> datetime | None:
    found: list[datetime] = []
    for path in sorted(p for p in inventory.files if p.endswith(".log")):
        try:
            head = read_head(inventory.folder / path, _LOG_HEAD_BYTES)
        except OSError:  # gone, unreadable, or no regular file any more (a FIFO)
            continue
        match = _LOG_LINE.search(head)
        if match is not None:
            try:
                found.append(datetime.strptime(match[1].decode(), "%Y-%m-%d %H:%M:%S"))
            except ValueError:
                continue
    return min(found, default=None)


def _local(mtime_ns: int) -> datetime:
    return datetime.fromtimestamp(mtime_ns / 1e9).replace(microsecond=0)
