"""Validation shared by ocr's on-disk Pydantic models.

:func:`describe_problems` turns a validation error into the one line of field
problems an error message carries; :data:`RelativePosixPath` is the field type
of every path an on-disk file stores relative to a folder (never absolute,
never climbing with ``..``).
"""

from __future__ import annotations

from pathlib import PurePosixPath
from typing import TYPE_CHECKING, Annotated

from pydantic import AfterValidator

if TYPE_CHECKING:
    from pydantic import ValidationError

__all__ = ["RelativePosixPath", "describe_problems"]


def _relative_posix(value: str) -> str:
    path = PurePosixPath(value)
    if not value or path.is_absolute() or ".." in path.parts or str(path) != value:
        msg = f"must be a normalised relative POSIX path without '..', got {value!r}"
        raise ValueError(msg)
    return value


RelativePosixPath = Annotated[str, AfterValidator(_relative_posix)]
"""A normalised relative POSIX path without ``..`` (a file can never send a reader outside)."""


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
