"""Pictures of a prediction: boxes drawn on the receipt, and the probability map.

Boxes are found in the probability map, whose size is the network's input
size; :func:`map_to_image` takes them to the receipt's own coordinates, where
they are reported and drawn. A picture is drawn at a display size (a large
scan is shown smaller, a small synthetic page larger), with every coordinate
scaled by the same factor, so what is drawn is exactly what was found.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Final

import numpy as np
from PIL import Image, ImageDraw

if TYPE_CHECKING:
    from collections.abc import Sequence

    from numpy.typing import NDArray

__all__ = [
    "PREDICTION_COLOUR",
    "TRUTH_COLOUR",
    "display_scale",
    "draw_boxes",
    "map_to_image",
    "probability_picture",
]

PREDICTION_COLOUR: Final = (230, 25, 75)
TRUTH_COLOUR: Final = (60, 180, 75)
_DISPLAY_LONGEST: Final = 1600
_DISPLAY_SHORTEST: Final = 480
# Anchors of a dark-to-bright colour map (black, purple, orange, pale yellow).
_ANCHORS: Final = np.array(
    [[0, 0, 4], [120, 28, 109], [237, 105, 37], [252, 255, 164]], dtype=np.float64
)


def map_to_image(
    boxes: Sequence[NDArray[np.float32]], *, map_size: tuple[int, int], image_size: tuple[int, int]
) -> list[NDArray[np.float32]]:
    """Boxes found in a probability map, in the coordinates of the image it was made from.

    Args:
        boxes: (N, 2) x, y points in pixel-edge coordinates of the map.
        map_size: The map's (height, width).
        image_size: The image's (height, width).

    Returns:
        The boxes scaled by image width / map width in x and height / map height in y.

    >>> map_to_image([np.array([[1, 2], [3, 2], [3, 4], [1, 4]], np.float32)],
    ...              map_size=(32, 24), image_size=(128, 96))[0].tolist()
    [[4.0, 8.0], [12.0, 8.0], [12.0, 16.0], [4.0, 16.0]]
    """
    scale = np.array([image_size[1] / map_size[1], image_size[0] / map_size[0]], dtype=np.float64)
    return [(box.astype(np.float64) * scale).astype(np.float32) for box in boxes]


def display_scale(size: tuple[int, int]) -> float:
    """The factor an image of ``size`` (height, width) is shown at.

    Large images shrink until their longer side is 1,600 pixels; small ones grow
    until their shorter side is 480 (never past the longer limit).

    Args:
        size: (height, width).

    Returns:
        The factor.
    """
    shortest, longest = min(size), max(size)
    if longest > _DISPLAY_LONGEST:
        return _DISPLAY_LONGEST / longest
    if shortest < _DISPLAY_SHORTEST:
        return min(_DISPLAY_SHORTEST / shortest, _DISPLAY_LONGEST / longest)
    return 1.0


def draw_boxes(
    pixels: NDArray[np.uint8],
    boxes: Sequence[NDArray[np.float32]],
    *,
    truth: Sequence[NDArray[np.float32]] = (),
    scale: float = 1.0,
) -> Image.Image:
    """The image at ``scale`` with each box outlined (true boxes first, predictions on top).

    Args:
        pixels: HxWx3 uint8 image.
        boxes: Predicted polygons in the image's coordinates.
        truth: Ground-truth polygons in the image's coordinates.
        scale: The display factor (:func:`display_scale`).

    Returns:
        The picture, ``round(W * scale)`` x ``round(H * scale)``.
    """
    picture = Image.fromarray(pixels)
    if scale != 1.0:
        size = (max(1, round(pixels.shape[1] * scale)), max(1, round(pixels.shape[0] * scale)))
        resample = Image.Resampling.NEAREST if scale > 1 else Image.Resampling.BILINEAR
        picture = picture.resize(size, resample)
    pen = ImageDraw.Draw(picture)
    line = max(1, round(max(picture.size) / 400))
    for colour, polygons in ((TRUTH_COLOUR, truth), (PREDICTION_COLOUR, boxes)):
        for polygon in polygons:
            points = [(float(x) * scale, float(y) * scale) for x, y in polygon]
            pen.polygon(points, outline=colour, width=line)
    return picture


def probability_picture(prob: NDArray[np.floating], *, scale: float = 1.0) -> Image.Image:
    """A probability map in colour (dark: background, bright: text).

    Args:
        prob: HxW probabilities in [0, 1].
        scale: The display factor.

    Returns:
        The picture.
    """
    levels = np.linspace(0.0, 1.0, len(_ANCHORS))
    lut = np.stack(
        [np.interp(np.linspace(0, 1, 256), levels, _ANCHORS[:, c]) for c in range(3)], axis=1
    ).astype(np.uint8)
    indices = np.clip(np.rint(np.asarray(prob, dtype=np.float64) * 255), 0, 255).astype(np.uint8)
    picture = Image.fromarray(lut[indices])
    if scale != 1.0:
        size = (max(1, round(prob.shape[1] * scale)), max(1, round(prob.shape[0] * scale)))
        picture = picture.resize(size, Image.Resampling.NEAREST)
    return picture
