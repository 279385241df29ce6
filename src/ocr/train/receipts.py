"""The receipt JSON annotation format: reading ground truth, writing predictions.

``{"images": {"<file>": {"words": {"<id>": {"points": [[x, y], ...]}}}}}`` is the
project's exchange format (annotations in, submissions out). It is not one of
ocr's own versioned files, so it carries no ``schema_version``.
"""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import TYPE_CHECKING, Any, Final

import numpy as np
from numpy.typing import NDArray

from ocr.atomic import atomic_write_text
from ocr.errors import TrainingDataError

if TYPE_CHECKING:
    from collections.abc import Mapping, Sequence

__all__ = ["Polygon", "read_receipt_annotations", "write_receipt_annotations"]

Polygon = NDArray[np.float32]


_FORMAT_FIX: Final = (
    'Write it as {"images": {"<file>": {"words": {"<id>": {"points": [[x, y], ...]}}}}}'
)


def _malformed(path: Path, what: str) -> TrainingDataError:
    return TrainingDataError(
        f"malformed receipt annotations in {path}: {what}", fix=_FORMAT_FIX, path=path
    )


def _is_number(value: object) -> bool:
    # JSON booleans are Python ints, and NaN and Infinity parse as floats: refuse them.
    return isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)


def _is_point(point: object) -> bool:
    return isinstance(point, list) and len(point) == 2 and all(map(_is_number, point))


def read_receipt_annotations(path: str | Path) -> dict[str, list[Polygon]]:
    """Read receipt JSON annotations into polygons per image file name.

    Args:
        path: A JSON file shaped like
            ``{"images": {"<file>": {"words": {"<id>": {"points": [[x, y], ...]}}}}}``.

    Returns:
        Image file name to its word polygons, (N, 2) float32 arrays with N >= 3, in
        file order.

    Raises:
        TrainingDataError: If the file cannot be read, is not JSON or is not shaped as above; the message
            names the file, image and word.
    """
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as error:
        raise TrainingDataError(
            f"cannot read receipt annotations {str(path)!r}: {error.strerror or error}",
            fix="Point data.annotation_file (or data.val_annotation_file) at an existing JSON file",
            path=path,
        ) from error
    try:
        document = json.loads(text)
    except json.JSONDecodeError as error:
        raise _malformed(path, f"not valid JSON ({error.msg} at line {error.lineno})") from error
    images = document.get("images") if isinstance(document, dict) else None
    if not isinstance(images, dict):
        raise _malformed(path, "the top level must be an object with an 'images' object")
    annotations: dict[str, list[Polygon]] = {}
    for name, entry in images.items():
        words = entry.get("words") if isinstance(entry, dict) else None
        if not isinstance(words, dict):
            raise _malformed(path, f"image {name!r} must be an object with a 'words' object")
        polygons = []
        for word_id, word in words.items():
            points = word.get("points") if isinstance(word, dict) else None
            if not (isinstance(points, list) and len(points) >= 3 and all(map(_is_point, points))):
                raise _malformed(
                    path,
                    f"word {word_id!r} of image {name!r} needs 'points': "
                    "a list of at least 3 [x, y] number pairs",
                )
            polygons.append(np.asarray(points, dtype=np.float32))
        annotations[name] = polygons
    return annotations


def write_receipt_annotations(path: Path, polygons: Mapping[str, Sequence[NDArray[Any]]]) -> None:
    """Write polygons per image in the receipt JSON format, atomically.

    Args:
        path: The JSON file to write; its folder must exist.
        polygons: Image name to its (N, 2) polygons; words are numbered from 0.

    Raises:
        OSError: The folder is missing or not writable.
    """
    images = {
        name: {
            "words": {
                str(number): {"points": [[float(x), float(y)] for x, y in polygon]}
                for number, polygon in enumerate(words)
            }
        }
        for name, words in polygons.items()
    }
    atomic_write_text(path, json.dumps({"images": images}, indent=1) + "\n")
