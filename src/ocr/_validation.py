"""One line of field problems from a Pydantic validation error, for error messages."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from pydantic import ValidationError

__all__ = ["describe_problems"]


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
