"""Synthetic receipts: light, noisy pages with dark lines of character blobs, and their boxes.

A page depends only on the random generator it is drawn from, so a dataset item
is reproducible from ``(seed, index)``. Lines are axis-aligned rectangles that
neither overlap nor touch.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Final

import numpy as np

from ocr.train.metric import rectangle

if TYPE_CHECKING:
    from numpy.typing import NDArray

    from ocr.train.receipts import Polygon

__all__ = ["MIN_SIDE", "generate_receipt"]

MIN_SIDE: Final = 16


def generate_receipt(
    rng: np.random.Generator, *, height: int, width: int
) -> tuple[NDArray[np.uint8], list[Polygon]]:
    """Draw a receipt-like page: light, noisy paper with dark lines of character blobs.

    Args:
        rng: The only source of randomness: equal generator states give equal pages.
        height: Image height in pixels (at least 16).
        width: Image width in pixels (at least 16).

    Returns:
        The HxWx3 uint8 image and one (4, 2) float32 box per text line (x, y pixel-edge
        coordinates, clockwise from top-left). Boxes neither overlap nor touch.

    Raises:
        ValueError: If a side is shorter than 16 pixels.
    """
    if min(height, width) < MIN_SIDE:
        raise ValueError(f"receipt sides must be >= {MIN_SIDE} px, got {height}x{width}")
    ink = np.zeros((height, width), dtype=np.float32)
    polygons = [
        box
        for left, top, right, bottom in _layout(rng, height, width)
        if (box := _draw_line(rng, ink[top:bottom, left:right], left, top)) is not None
    ]
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


def _layout(rng: np.random.Generator, height: int, width: int) -> list[tuple[int, int, int, int]]:
    # Rows are separated by >= 2 px and segments in a row by >= one line height,
    # so no two line boxes can touch.
    margin_x, margin_y = max(2, width // 12), max(2, height // 16)
    line_min = max(3, round(height * 0.06))
    line_max = max(line_min, round(height * 0.09))
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
        top = bottom + int(rng.integers(max(2, line_min // 2), 2 * line_max))
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
