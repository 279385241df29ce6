"""Synthetic receipts: noisy pages with lines of character blobs, and their boxes.

A page depends only on the random generator it is drawn from (and its size and
difficulty), so a dataset item is reproducible from ``(seed, index)``. Lines are
axis-aligned rectangles that neither overlap nor touch.

Two difficulties:

* ``easy`` (the default): light paper, dark ink, well-spaced lines. Every
  configuration of the reference trainer solves it in a few epochs, which makes
  it the right setting for fast tests and the learning gate.
* ``hard``: smaller lines packed closer, low contrast, blur, uneven light, heavier
  noise, and clutter that is not text (rules, barcodes, stamps, specks) to be
  told apart from the lines. Here encoders, decoders and widths land measurably
  apart within a CPU budget, so an ablation shows something (see README).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Final, Literal, NamedTuple, get_args

import numpy as np
from scipy import ndimage

from ocr.train.metric import rectangle

if TYPE_CHECKING:
    from numpy.typing import NDArray

    from ocr.train.receipts import Polygon

__all__ = ["DIFFICULTIES", "MIN_SIDE", "Difficulty", "generate_receipt"]

MIN_SIDE: Final = 16
Difficulty = Literal["easy", "hard"]
DIFFICULTIES: Final[tuple[Difficulty, ...]] = get_args(Difficulty)


class _Geometry(NamedTuple):
    line_min: float  # line height range, as fractions of the page height
    line_max: float
    dense: bool  # rows >= 2 px apart instead of >= half a line


_EASY: Final = _Geometry(0.06, 0.09, dense=False)
_HARD: Final = _Geometry(0.047, 0.07, dense=True)
_TEXT_CLEARANCE: Final = 2  # px of clean paper kept around every line on hard pages


def generate_receipt(
    rng: np.random.Generator, *, height: int, width: int, difficulty: Difficulty = "easy"
) -> tuple[NDArray[np.uint8], list[Polygon]]:
    """Draw a receipt-like page: paper with lines of character blobs.

    Args:
        rng: The only source of randomness: equal generator states give equal pages.
        height: Image height in pixels (at least 16).
        width: Image width in pixels (at least 16).
        difficulty: ``easy`` or ``hard`` (see the module docstring).

    Returns:
        The HxWx3 uint8 image and one (4, 2) float32 box per text line (x, y pixel-edge
        coordinates, clockwise from top-left). Boxes neither overlap nor touch.

    Raises:
        ValueError: If a side is shorter than 16 pixels, or the difficulty is unknown.
    """
    if min(height, width) < MIN_SIDE:
        raise ValueError(f"receipt sides must be >= {MIN_SIDE} px, got {height}x{width}")
    if difficulty not in DIFFICULTIES:
        raise ValueError(
            f"unknown difficulty {difficulty!r}; use one of: {', '.join(DIFFICULTIES)}"
        )
    geometry = _HARD if difficulty == "hard" else _EASY
    ink = np.zeros((height, width), dtype=np.float32)
    polygons = [
        box
        for left, top, right, bottom in _layout(rng, height, width, geometry)
        if (box := _draw_line(rng, ink[top:bottom, left:right], left, top)) is not None
    ]
    if difficulty == "hard":
        return _hard_page(rng, ink, polygons), polygons
    tilt = rng.uniform(-12.0, 12.0, size=2).astype(np.float32)
    shade = tilt[0] * np.linspace(-1, 1, height, dtype=np.float32)[:, None, None]
    shade = shade + tilt[1] * np.linspace(-1, 1, width, dtype=np.float32)[None, :, None]
    paper = rng.uniform(205.0, 250.0) - np.array([0, 3, 8], np.float32) * rng.random()
    colour = rng.uniform(10.0, 70.0, size=3).astype(np.float32)
    ink = ink[..., None]
    image = (paper + shade) * (1.0 - ink) + colour * ink
    # Grey sensor noise, shared by the channels: a third of the cost of colour noise.
    noise = rng.standard_normal(size=(height, width, 1), dtype=np.float32)
    image += noise * np.float32(rng.uniform(2.0, 6.0))
    return np.clip(image, 0, 255).astype(np.uint8), polygons


def _layout(
    rng: np.random.Generator, height: int, width: int, geometry: _Geometry
) -> list[tuple[int, int, int, int]]:
    # Rows are separated by >= 2 px and segments in a row by >= one line height,
    # so no two line boxes can touch.
    margin_x, margin_y = max(2, width // 12), max(2, height // 16)
    line_min = max(3, round(height * geometry.line_min))
    line_max = max(line_min, round(height * geometry.line_max))
    gap_min, gap_max = (2, line_max) if geometry.dense else (max(2, line_min // 2), 2 * line_max)
    left, right = margin_x, width - margin_x
    usable = right - left
    segments: list[tuple[int, int, int, int]] = []
    top = margin_y + int(rng.integers(0, line_max))
    while (bottom := top + int(rng.integers(line_min, line_max + 1))) <= height - margin_y:
        length = max(2, round(usable * rng.uniform(0.25, 0.9)))
        if rng.random() < 0.2:  # a centred header
            start = left + (usable - length) // 2
        else:
            start = left + int(rng.integers(0, usable - length + 1))
        price = max(2, round(usable * rng.uniform(0.12, 0.25)))
        gap = bottom - top
        segments.append((start, top, start + length, bottom))
        if rng.random() < 0.5 and start + length + gap + price <= right:
            segments.append((right - price, top, right, bottom))
        top = bottom + int(rng.integers(gap_min, gap_max))
    return segments


def _draw_line(
    rng: np.random.Generator, ink: NDArray[np.float32], left: int, top: int
) -> Polygon | None:
    # Characters are bottom-aligned rectangles, some hollow, separated by 1 px
    # (sometimes a 2-3 px word space); `ink` is a view of the line's own slot.
    # Random numbers are drawn per line, not per character: it halves generation time.
    height, width = ink.shape
    widest = max(2, height // 2)
    count = width // 2 + 1  # every character takes >= 2 px with its gap
    chars = rng.integers(max(1, widest // 2), widest + 1, size=count).tolist()
    rises = rng.integers(0, max(1, height // 4), size=count).tolist()
    shades = (rng.uniform(0.75, 1.0) * rng.uniform(0.85, 1.0, size=count)).tolist()
    hollow = (rng.random(count) < 0.4).tolist()
    gaps = np.where(rng.random(count) < 0.15, rng.integers(2, 4, size=count), 1).tolist()
    x = 0
    for char, rise, shade, hole, gap in zip(chars, rises, shades, hollow, gaps, strict=True):
        if x + char > width:
            break
        ink[rise:, x : x + char] = shade
        if hole and char >= 3 and height - rise >= 5:
            ink[rise + 1 : height - 1, x + 1 : x + char - 1] = 0.0
        x += char + gap
    rows, cols = np.nonzero(ink.any(axis=1))[0], np.nonzero(ink.any(axis=0))[0]
    if cols.size == 0:
        return None
    x0, y0 = left + cols[0], top + rows[0]
    return rectangle(x0, y0, left + cols[-1] + 1, top + rows[-1] + 1)


def _hard_page(
    rng: np.random.Generator, text: NDArray[np.float32], polygons: list[Polygon]
) -> NDArray[np.uint8]:
    """Render a hard page: clutter beside the text, blur, low contrast, uneven light, noise."""
    height, width = text.shape
    free = np.ones((height, width), dtype=bool)
    for box in polygons:  # clutter keeps clear of the lines, so their boxes stay exact
        (x0, y0), (x1, y1) = box[0].astype(int), box[2].astype(int)
        free[
            max(0, y0 - _TEXT_CLEARANCE) : y1 + _TEXT_CLEARANCE,
            max(0, x0 - _TEXT_CLEARANCE) : x1 + _TEXT_CLEARANCE,
        ] = False
    clutter = _clutter(rng, height, width) * free
    ink: NDArray[np.float32] = ndimage.gaussian_filter(
        np.maximum(text, clutter), rng.uniform(0.4, 0.9)
    )
    paper = rng.uniform(165.0, 235.0) - np.array([0, 4, 10], np.float32) * rng.random()
    colour = paper - rng.uniform(45.0, 110.0)
    image: NDArray[np.float32] = paper * (1.0 - ink[..., None]) + colour * ink[..., None]
    image *= _uneven_light(rng, height, width)[..., None]
    noise = rng.standard_normal(size=(height, width, 1), dtype=np.float32)
    image += noise * np.float32(rng.uniform(6.0, 14.0))
    return np.clip(image, 0, 255).astype(np.uint8)


def _clutter(rng: np.random.Generator, height: int, width: int) -> NDArray[np.float32]:
    """Marks that are not text: rules, a barcode, a stamp's ring and specks of dirt."""
    layer = np.zeros((height, width), dtype=np.float32)
    for _ in range(int(rng.integers(1, 4))):  # solid or dashed rules, 1 px thick
        row, start = int(rng.integers(0, height)), int(rng.integers(0, width // 3))
        stop = int(rng.integers(2 * width // 3, width + 1))
        dashes = (np.arange(stop - start) % 5 < 3) if rng.random() < 0.5 else 1.0
        layer[row, start:stop] = rng.uniform(0.6, 1.0) * dashes
    if rng.random() < 0.6:  # a barcode: bars taller than any line of text
        tall = int(rng.integers(round(height * 0.1), round(height * 0.16) + 1))
        wide = int(rng.integers(width // 4, width // 2 + 1))
        top, left = int(rng.integers(0, height - tall + 1)), int(rng.integers(0, width - wide + 1))
        bars = rng.random(wide) < 0.55
        layer[top : top + tall, left : left + wide] = bars * np.float32(rng.uniform(0.7, 1.0))
    if rng.random() < 0.5:  # a stamp's ring
        rows, cols = np.ogrid[:height, :width]
        centre_y, centre_x = rng.uniform(0, height), rng.uniform(0, width)
        radius_y, radius_x = rng.uniform(6.0, 14.0, size=2)
        distance = np.hypot((rows - centre_y) / radius_y, (cols - centre_x) / radius_x)
        layer[np.abs(distance - 1.0) < 0.12] = rng.uniform(0.5, 0.9)
    for _ in range(int(rng.integers(4, 12))):  # specks of dirt
        size = int(rng.integers(1, 4))
        row, col = int(rng.integers(0, height - size + 1)), int(rng.integers(0, width - size + 1))
        layer[row : row + size, col : col + size] = rng.uniform(0.5, 1.0)
    return layer


def _uneven_light(rng: np.random.Generator, height: int, width: int) -> NDArray[np.float32]:
    """A brightness factor per pixel: a tilt across the page and a soft shadow band."""
    rows = np.linspace(-1.0, 1.0, height, dtype=np.float32)[:, None]
    cols = np.linspace(-1.0, 1.0, width, dtype=np.float32)[None, :]
    tilt_y, tilt_x = rng.uniform(-0.15, 0.15, size=2).astype(np.float32)
    light: NDArray[np.float32] = 1.0 + tilt_y * rows + tilt_x * cols
    centre, spread = rng.uniform(-1.0, 1.0), rng.uniform(0.1, 0.4)
    depth = np.float32(rng.uniform(0.0, 0.35))
    shadow: NDArray[np.float32] = depth * np.exp(
        -(((cols if rng.random() < 0.5 else rows) - centre) ** 2) / spread**2
    )
    return (light - shadow).astype(np.float32)
