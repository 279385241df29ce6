"""Validation shared by ocr's on-disk Pydantic models.

:func:`describe_problems` turns a validation error into the one line of field
problems an error message carries; :data:`RelativePosixPath` is the field type
of every path an on-disk file stores relative to a folder (never absolute,
never climbing with ``..``); :data:`NonEmptyText` the type of a name that
must not be empty.

Both check in Python, not with Pydantic's own constraints: a file name's
bytes that are not UTF-8 are lone surrogates in Python (``"\udcff"``), and
Pydantic refuses those in any constrained string (``min_length``,
``pattern``), while a plain string keeps them.
"""

from __future__ import annotations

from pathlib import PurePosixPath
from typing import TYPE_CHECKING, Annotated

from pydantic import AfterValidator

if TYPE_CHECKING:
    from pydantic import ValidationError

__all__ = ["NonEmptyText", "RelativePosixPath", "describe_problems"]


def _relative_posix(value: str) -> str:
    path = PurePosixPath(value)
    if not value or path.is_absolute() or ".." in path.parts or str(path) != value:
        msg = f"must be a normalised relative POSIX path without '..', got {value!r}"
        raise ValueError(msg)
    return value


RelativePosixPath = Annotated[str, AfterValidator(_relative_posix)]
"""A normalised relative POSIX path without ``..`` (a file can never send a reader outside)."""


def _non_empty(value: str) -> str:
    if not value:
        msg = "must not be empty"
        raise ValueError(msg)
    return value


NonEmptyText = Annotated[str, AfterValidator(_non_empty)]
"""A string that is not empty, whatever bytes a file name it holds is made of."""


def describe_problems(error: ValidationError) -> str:
    """List every problem of a validation error, each with its dotted field.

    Args:
        error: The error Pydantic raised.

    Returns:
        ``field 'a.b' <message>; field 'c' <message>`` (messages start lower case).
    """
    problems = []
    for item in error.errors():
        field = ".".join(str(part) for part in item["loc"])
        message = item["msg"]
        problems.append(f"field {field!r} {message[:1].lower()}{message[1:]}")
    return "; ".join(problems)
