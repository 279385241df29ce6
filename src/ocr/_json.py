r"""JSON that holds any name a filesystem can hold, and never recurses without end.

A POSIX file name is bytes; Python shows the bytes that are not UTF-8 as lone
surrogates (``b"\xff"`` -> ``"\udcff"``, its ``surrogateescape``). Strict UTF-8
cannot encode them, so Pydantic refuses to write them and a terminal set to
UTF-8 refuses to print them. ocr's JSON writes each as the JSON escape
``\udcff``: valid JSON text, read back by ``json.loads`` as the same string,
which ``os.fsencode`` turns into the original bytes. So a plan, a record, a
sidecar or ``--format json`` output can name such a file, and a migration puts
back exactly the bytes it moved.

JSON nested deeper than the interpreter's recursion limit is refused as
invalid JSON (:func:`loads`), never a ``RecursionError``.
"""

from __future__ import annotations

import enum
import json
import math
import re
from datetime import date, datetime, time
from pathlib import PurePath
from typing import TYPE_CHECKING, Any, Final, TypeVar

if TYPE_CHECKING:
    from pydantic import BaseModel

__all__ = ["escape_surrogates", "loads", "model_json", "validate_json"]

_SURROGATE: Final = re.compile("[\ud800-\udfff]")
_REPLACED: Final = "\ufffd"
_ModelT = TypeVar("_ModelT", bound="BaseModel")


def escape_surrogates(text: str) -> str:
    r"""Write every lone surrogate of a JSON text as its ``\uXXXX`` escape.

    Args:
        text: JSON text (lone surrogates only ever occur inside its strings).

    Returns:
        The same JSON, encodable as strict UTF-8.

    >>> escape_surrogates('{"name": "a\udcffb"}')
    '{"name": "a\\udcffb"}'
    """
    return _SURROGATE.sub(lambda match: f"\\u{ord(match[0]):04x}", text)


def loads(content: bytes | str) -> Any:
    """``json.loads``, with nesting too deep for it reported as invalid JSON.

    Args:
        content: The JSON text.

    Returns:
        The data.

    Raises:
        json.JSONDecodeError: It is not JSON, or nests deeper than can be read.
    """
    try:
        return json.loads(content)
    except RecursionError:
        msg = "nested too deeply to be read"
        raise json.JSONDecodeError(msg, "", 0) from None


def model_json(model: BaseModel, *, indent: int | None = None) -> str:
    r"""A model's JSON, as ``model_dump_json`` writes it, even when a string holds a surrogate.

    Args:
        model: The model.
        indent: Indentation (``None``: compact).

    Returns:
        The JSON text; strict UTF-8, a name's undecodable bytes as ``\udcXX``.
    """
    # Pydantic is imported by whoever built the model; ``--help`` never needs it.
    from pydantic_core import PydanticSerializationError  # noqa: PLC0415

    try:
        text = model.model_dump_json(indent=indent)
    except PydanticSerializationError:
        pass  # a string with bytes that are not UTF-8: written below, escaped
    else:
        # Pydantic writes a dict key's surrogates as U+FFFD, losing the bytes;
        # any U+FFFD takes the exact way below (a real one comes out the same).
        if _REPLACED not in text:
            return text
    # Pydantic's JSON mode loses a dict key's surrogates too; its Python mode
    # keeps every string as it is, and the few other types are spelled here.
    data = model.model_dump(mode="python")
    as_strings = model.model_config.get("ser_json_inf_nan") == "strings"
    separators = (",", ": ") if indent is not None else (",", ":")
    text = json.dumps(
        _finite(data, as_strings=as_strings),
        indent=indent,
        ensure_ascii=False,
        allow_nan=False,
        separators=separators,
        default=_plain,
    )
    return escape_surrogates(text)


def validate_json(model: type[_ModelT], content: bytes | str) -> _ModelT:
    r"""``model.model_validate_json``, also for JSON whose strings hold ``\udcXX`` escapes.

    Args:
        model: The model class.
        content: The JSON text.

    Returns:
        The validated model.

    Raises:
        pydantic.ValidationError: It is not JSON, or the data does not fit the model.
    """
    from pydantic import ValidationError  # noqa: PLC0415 (as above: only where models are)

    try:
        return model.model_validate_json(content)
    except ValidationError as exc:
        # Pydantic's parser refuses lone surrogate escapes; Python's reads them.
        if not any(error["type"] == "json_invalid" for error in exc.errors()):
            raise
        try:
            data = loads(content)
        except ValueError:
            raise exc from None  # not JSON for Python either: Pydantic's error says so
    return model.model_validate(data)


def _plain(value: object) -> object:
    """What JSON holds for the values of ocr's models that are not plain data."""
    if isinstance(value, datetime | date | time):
        return value.isoformat()
    if isinstance(value, PurePath):
        return str(value)
    if isinstance(value, enum.Enum):
        return value.value
    msg = f"{type(value).__name__} is not JSON data"
    raise TypeError(msg)


def _finite(data: Any, *, as_strings: bool) -> Any:
    """Non-finite floats as Pydantic writes them: ``"NaN"``-style strings, or ``null``."""
    if isinstance(data, float) and not math.isfinite(data):
        if not as_strings:
            return None
        if math.isnan(data):
            return "NaN"
        return "Infinity" if data > 0 else "-Infinity"
    if isinstance(data, dict):
        return {key: _finite(value, as_strings=as_strings) for key, value in data.items()}
    if isinstance(data, list | tuple):
        return [_finite(value, as_strings=as_strings) for value in data]
    return data
