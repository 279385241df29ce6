"""The launch time a run folder's name gives, in every common spelling.

======================================  =========================================
spelling                                made by
======================================  =========================================
``YYYY-MM-DD_HH-MM-SS[_<n>]``           the lightning-hydra-template (``runs/``,
                                        ``multiruns/``)
``YYYYmmdd_HHMMSS[_<seed>]``            scripts that name a run by its start and seed
``YYYY-MM-DD/HH-MM-SS[_<n>]``           Hydra's default, and ocr's layout (two folders)
======================================  =========================================

The order they are tried in: the run folder's own name in the one-folder
spellings, then its parent's and its own name as ``<date>/<time>``; a sweep
job's folder (a bare number) then gives way to its sweep folder's name, tried
the same way. A trailing ``_<n>`` (a seed, a clash or job number) is dropped.
A name that spells no real time (``2024-13-01_...``) says nothing.
"""

from __future__ import annotations

import re
from datetime import datetime
from typing import TYPE_CHECKING, Final

if TYPE_CHECKING:
    from collections.abc import Sequence

__all__ = ["folder_name_stamp"]

_ONE_FOLDER: Final = (
    (re.compile(r"(\d{4}-\d{2}-\d{2}_\d{2}-\d{2}-\d{2})(?:_\d+)?"), "%Y-%m-%d_%H-%M-%S"),
    (re.compile(r"(\d{8}_\d{6})(?:_\d+)?"), "%Y%m%d_%H%M%S"),
)
_DATE: Final = re.compile(r"\d{4}-\d{2}-\d{2}")
_TIME: Final = re.compile(r"(\d{2}-\d{2}-\d{2})(?:_\d+)?")
_JOB: Final = re.compile(r"\d+")


def folder_name_stamp(parts: Sequence[str]) -> datetime | None:
    """The launch time a run folder's name (and its parent's) gives.

    Args:
        parts: The run folder's path parts (at least its own name; the
            parents are read for the two-folder spelling and for sweep jobs).

    Returns:
        The naive local time, or ``None`` when no name spells one.

    >>> folder_name_stamp(["experiments", "dbnet", "20240105_101500_42"])
    datetime.datetime(2024, 1, 5, 10, 15)
    >>> folder_name_stamp(["multiruns", "2024-02-02_10-00-00", "3"])
    datetime.datetime(2024, 2, 2, 10, 0)
    >>> folder_name_stamp(["2024-02-02", "10-00-00_2"]), folder_name_stamp(["exp1"])
    (datetime.datetime(2024, 2, 2, 10, 0), None)
    """
    names = tuple(parts)
    tried = [names]
    if len(names) > 1 and _JOB.fullmatch(names[-1]):
        tried.append(names[:-1])
    for candidate in tried:
        found = _one_folder(candidate[-1])
        if found is None and len(candidate) > 1:
            found = _two_folders(candidate[-2], candidate[-1])
        if found is not None:
            return found
    return None


def _one_folder(name: str) -> datetime | None:
    for pattern, spelling in _ONE_FOLDER:
        if match := pattern.fullmatch(name):
            return _parsed(match[1], spelling)
    return None


def _two_folders(date_name: str, time_name: str) -> datetime | None:
    time = _TIME.fullmatch(time_name)
    if _DATE.fullmatch(date_name) is None or time is None:
        return None
    return _parsed(f"{date_name}/{time[1]}", "%Y-%m-%d/%H-%M-%S")


def _parsed(text: str, spelling: str) -> datetime | None:
    try:
        return datetime.strptime(text, spelling)
    except ValueError:
        return None
