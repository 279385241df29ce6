"""The DBNet loss, L = L_prob + alpha * L_binary + beta * L_thresh, and its target maps.

Targets are built on each polygon's axis-aligned bounding rectangle: synthetic lines
are rectangles anyway, and rotated real text gets a slightly looser target, which is
acceptable for a reference trainer. Pixel (r, c) covers [c, c + 1) x [r, r + 1) and
belongs to a region when its centre does.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any, Final

import numpy as np
import torch
from torch import Tensor, nn
from torch.nn import functional

if TYPE_CHECKING:
    from collections.abc import Mapping, Sequence

    from numpy.typing import NDArray

__all__ = ["TARGET_KEYS", "DBLoss", "make_db_targets"]

EPS: Final = 1e-6
TARGET_KEYS: Final = ("prob_map", "prob_mask", "thresh_map", "thresh_mask")


class DBLoss(nn.Module):
    """DBNet loss over the maps of :func:`make_db_targets`.

    * ``loss_prob``: BCE on the probability map, balanced by online hard negative
      mining (all positives and the ``ohem_ratio`` times as many hardest negatives),
      or plain masked BCE when ``ohem_ratio`` is None.
    * ``loss_thresh``: L1 on the threshold map inside ``thresh_mask``.
    * ``loss_binary``: dice loss of the approximate binary map against the
      probability target inside ``prob_mask``.

    Args:
        alpha: Weight of the binary-map loss.
        beta: Weight of the threshold-map loss.
        ohem_ratio: Negatives kept per positive, or None for plain BCE.
    """

    def __init__(
        self, *, alpha: float = 1.0, beta: float = 10.0, ohem_ratio: float | None = 3.0
    ) -> None:
        super().__init__()
        self.alpha, self.beta, self.ohem_ratio = alpha, beta, ohem_ratio

    def forward(self, pred: Mapping[str, Tensor], batch: Mapping[str, Tensor]) -> dict[str, Tensor]:
        """Compute the loss and its parts.

        Args:
            pred: Model output, ``prob``, ``thresh`` and ``binary`` maps of shape Bx1xHxW.
            batch: Targets ``prob_map``, ``prob_mask``, ``thresh_map`` and ``thresh_mask``
                of shape BxHxW.

        Returns:
            Scalars ``loss`` (the weighted total), ``loss_prob``, ``loss_thresh`` and
            ``loss_binary``.
        """
        gt, mask = batch["prob_map"], batch["prob_mask"]
        loss_prob = self._prob_loss(pred["prob"][:, 0], gt, mask)
        thresh_mask = batch["thresh_mask"]
        loss_thresh = ((pred["thresh"][:, 0] - batch["thresh_map"]).abs() * thresh_mask).sum() / (
            thresh_mask.sum() + EPS
        )
        binary = pred["binary"][:, 0] * mask
        loss_binary = 1.0 - 2.0 * (binary * gt).sum() / (binary.sum() + (gt * mask).sum() + EPS)
        return {
            "loss": loss_prob + self.alpha * loss_binary + self.beta * loss_thresh,
            "loss_prob": loss_prob,
            "loss_thresh": loss_thresh,
            "loss_binary": loss_binary,
        }

    def _prob_loss(self, prob: Tensor, gt: Tensor, mask: Tensor) -> Tensor:
        # Autocast may hand in reduced precision; BCE needs float32 to stay finite.
        bce = functional.binary_cross_entropy(prob.float(), gt, reduction="none")
        if self.ohem_ratio is None:
            return (bce * mask).sum() / (mask.sum() + EPS)
        positive, negative = gt * mask, (1.0 - gt) * mask
        n_positive = int(positive.sum().item())
        n_negative = min(int(negative.sum().item()), int(n_positive * self.ohem_ratio))
        hardest = torch.topk((bce * negative).flatten(), n_negative).values
        return ((bce * positive).sum() + hardest.sum()) / (n_positive + n_negative + EPS)


def _pixels(height: int, width: int, bounds: Sequence[float]) -> tuple[slice, slice] | None:
    # The pixels whose centres lie inside the rectangle; None when there are none.
    x0, y0, x1, y1 = bounds
    c0, c1 = max(0, math.ceil(x0 - 0.5)), min(width - 1, math.floor(x1 - 0.5))
    r0, r1 = max(0, math.ceil(y0 - 0.5)), min(height - 1, math.floor(y1 - 0.5))
    if c1 < c0 or r1 < r0:
        return None
    return slice(r0, r1 + 1), slice(c0, c1 + 1)


def make_db_targets(
    polygons: Sequence[NDArray[Any]],
    *,
    height: int,
    width: int,
    shrink_ratio: float = 0.4,
    thresh_min: float = 0.3,
    thresh_max: float = 0.7,
) -> dict[str, NDArray[np.float32]]:
    """Build the DBNet training maps for one image, on each polygon's bounding rectangle.

    Each rectangle is shrunk by D = A(1 - r^2) / L for the probability map and dilated by
    D for the threshold map, whose value falls from ``thresh_max`` on the border to
    ``thresh_min`` at distance D. Rectangles with nothing left after shrinking are
    ignored: ``prob_mask`` is 0 over them.

    Args:
        polygons: (N, 2) x, y point arrays in pixel-edge coordinates.
        height: Map height.
        width: Map width.
        shrink_ratio: r in the offset formula.
        thresh_min: Threshold map value away from borders.
        thresh_max: Threshold map value on borders.

    Returns:
        float32 HxW maps ``prob_map``, ``prob_mask``, ``thresh_map`` and ``thresh_mask``.
    """
    maps = {key: np.zeros((height, width), dtype=np.float32) for key in TARGET_KEYS}
    maps["prob_mask"][:] = 1.0
    for polygon in polygons:
        (x0, y0), (x1, y1) = polygon.min(axis=0), polygon.max(axis=0)
        w, h = float(x1 - x0), float(y1 - y0)
        if w <= 0 or h <= 0:
            continue
        offset = w * h * (1.0 - shrink_ratio**2) / (2.0 * (w + h))
        inner = _pixels(height, width, (x0 + offset, y0 + offset, x1 - offset, y1 - offset))
        if inner is None:
            if (whole := _pixels(height, width, (x0, y0, x1, y1))) is not None:
                maps["prob_mask"][whole] = 0.0
            continue
        maps["prob_map"][inner] = 1.0
        _draw_border(maps, (float(x0), float(y0), float(x1), float(y1)), offset)
    maps["thresh_map"] *= np.float32(thresh_max - thresh_min)
    maps["thresh_map"] += np.float32(thresh_min)
    return maps


def _draw_border(maps: dict[str, NDArray[np.float32]], box: Sequence[float], offset: float) -> None:
    # Within D of the rectangle's outline, raise the (still unscaled) threshold map
    # to 1 - distance / D: Euclidean distance outside, distance to the nearest edge inside.
    x0, y0, x1, y1 = box
    height, width = maps["thresh_map"].shape
    band = _pixels(height, width, (x0 - offset, y0 - offset, x1 + offset, y1 + offset))
    if band is None:
        return
    cy = np.arange(band[0].start, band[0].stop, dtype=np.float32)[:, None] + 0.5
    cx = np.arange(band[1].start, band[1].stop, dtype=np.float32)[None, :] + 0.5
    dx, dy = np.maximum(x0 - cx, cx - x1), np.maximum(y0 - cy, cy - y1)
    distance = np.hypot(np.maximum(dx, 0.0), np.maximum(dy, 0.0))
    distance += np.maximum(-np.maximum(dx, dy), 0.0)
    closeness = 1.0 - np.minimum(distance / offset, 1.0)
    maps["thresh_map"][band] = np.maximum(maps["thresh_map"][band], closeness)
    maps["thresh_mask"][band] = 1.0
