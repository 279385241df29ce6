"""Detection metric: boxes from a probability map, IoU matching, precision/recall/hmean.

Boxes are compared as axis-aligned rectangles (the bounding rectangles of whatever
polygons are given), matching how the training targets are built.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any, Final

import numpy as np
from scipy import ndimage

if TYPE_CHECKING:
    from collections.abc import Sequence

    from numpy.typing import NDArray

__all__ = [
    "DEFAULT_MIN_AREA",
    "DEFAULT_THRESHOLD",
    "DetectionScore",
    "bounding_box",
    "extract_boxes",
    "iou_matrix",
    "match_boxes",
    "rectangle",
    "unclip_offset",
]

DEFAULT_SHRINK_RATIO: Final = 0.4
DEFAULT_THRESHOLD: Final = 0.3
DEFAULT_MIN_AREA: Final = 3


def rectangle(x0: float, y0: float, x1: float, y1: float) -> NDArray[np.float32]:
    """Return the (4, 2) float32 box of a rectangle, x, y clockwise from top-left.

    Args:
        x0: Left edge.
        y0: Top edge.
        x1: Right edge.
        y1: Bottom edge.

    Returns:
        The corners (x0, y0), (x1, y0), (x1, y1), (x0, y1).
    """
    return np.array([[x0, y0], [x1, y0], [x1, y1], [x0, y1]], dtype=np.float32)


def bounding_box(polygon: NDArray[Any]) -> NDArray[np.float32]:
    """Return the axis-aligned bounding rectangle of an (N, 2) x, y polygon as a box.

    Args:
        polygon: The polygon's points.

    Returns:
        The (4, 2) float32 box, clockwise from top-left.
    """
    (x0, y0), (x1, y1) = polygon.min(axis=0), polygon.max(axis=0)
    return rectangle(float(x0), float(y0), float(x1), float(y1))


def unclip_offset(
    width: float, height: float, *, shrink_ratio: float = DEFAULT_SHRINK_RATIO
) -> float:
    """Return the offset that grows a shrunk rectangle back to its original size.

    Inverts D = A(1 - r^2) / L exactly for rectangles: with k = 1 - r^2 and the shrunk
    sides w', h', the original sides are w' + 2D and h' + 2D, and D solves
    (8 - 4k) D^2 + 2 (1 - k)(w' + h') D - k w' h' = 0.

    Args:
        width: Shrunk width w'.
        height: Shrunk height h'.
        shrink_ratio: The r used to shrink the training targets.

    Returns:
        The offset D (>= 0).
    """
    k = 1.0 - shrink_ratio**2
    a, b, c = 8.0 - 4.0 * k, 2.0 * (1.0 - k) * (width + height), -k * width * height
    return (-b + math.sqrt(b * b - 4.0 * a * c)) / (2.0 * a)


def extract_boxes(
    prob: NDArray[Any],
    *,
    threshold: float = DEFAULT_THRESHOLD,
    min_area: int = DEFAULT_MIN_AREA,
    box_score: float = 0.0,
    max_candidates: int | None = None,
    unclip_ratio: float | None = None,
) -> list[NDArray[np.float32]]:
    """Find text boxes in a probability map (the DB post-processing).

    The map is binarised at ``threshold``; each 8-connected component is a shrunk text
    region, grown back by the shrink offset and clipped to the map. Validation uses
    the defaults; the UI's sliders set the rest.

    Args:
        prob: HxW probabilities.
        threshold: Binarisation threshold.
        min_area: Components with fewer pixels are noise and dropped.
        box_score: Components whose mean probability is lower are dropped (DBNet's
            ``box_thresh``; 0 keeps every one).
        max_candidates: Keep at most this many components, those with the highest
            mean probability (None: no limit).
        unclip_ratio: None grows each box by the exact inverse of the target shrink
            (:func:`unclip_offset`); a number uses DBNet's D = A * unclip_ratio / L.

    Returns:
        (4, 2) float32 boxes, x, y clockwise from top-left, in pixel-edge coordinates,
        in the order of their top-left pixels (row by row).
    """
    labels, count = ndimage.label(prob > threshold, structure=np.ones((3, 3), dtype=bool))
    if count == 0:
        return []
    # One pass over the map for every component's area; one more for their mean
    # probabilities, only when a setting needs them (a slider moves this often).
    flat = labels.ravel()
    areas = np.bincount(flat, minlength=count + 1)[1:]
    kept = np.flatnonzero(areas >= min_area)
    if box_score > 0 or (max_candidates is not None and kept.size > max_candidates):
        sums = np.bincount(flat, weights=prob.ravel(), minlength=count + 1)[1:]
        scores = sums[kept] / areas[kept]
        kept = kept[scores >= box_score]
        scores = scores[scores >= box_score]
        if max_candidates is not None and kept.size > max_candidates:
            kept = np.sort(kept[np.argsort(-scores, kind="stable")[:max_candidates]])
    height, width = prob.shape
    slices = ndimage.find_objects(labels)
    boxes = []
    for index in kept.tolist():
        rows, cols = slices[index]
        w, h = float(cols.stop - cols.start), float(rows.stop - rows.start)
        if unclip_ratio is None:
            offset = unclip_offset(w, h)
        else:
            offset = w * h * unclip_ratio / (2.0 * (w + h))
        x0, x1 = max(0.0, cols.start - offset), min(float(width), cols.stop + offset)
        y0, y1 = max(0.0, rows.start - offset), min(float(height), rows.stop + offset)
        boxes.append(rectangle(x0, y0, x1, y1))
    return boxes


def _bounds(boxes: Sequence[NDArray[Any]]) -> NDArray[np.float64]:
    # One row (x0, y0, x1, y1) per polygon.
    if not boxes:
        return np.zeros((0, 4))
    return np.array([[*b.min(axis=0), *b.max(axis=0)] for b in boxes], dtype=np.float64)


def iou_matrix(pred: Sequence[NDArray[Any]], true: Sequence[NDArray[Any]]) -> NDArray[np.float64]:
    """Return pairwise IoU of the bounding rectangles of two polygon lists.

    Args:
        pred: (N, 2) point arrays.
        true: (N, 2) point arrays.

    Returns:
        A len(pred) x len(true) array of IoU values in [0, 1].
    """
    a, b = _bounds(pred)[:, None, :], _bounds(true)[None, :, :]
    overlap_w = np.clip(
        np.minimum(a[..., 2], b[..., 2]) - np.maximum(a[..., 0], b[..., 0]), 0, None
    )
    overlap_h = np.clip(
        np.minimum(a[..., 3], b[..., 3]) - np.maximum(a[..., 1], b[..., 1]), 0, None
    )
    inter = overlap_w * overlap_h
    area_a = (a[..., 2] - a[..., 0]) * (a[..., 3] - a[..., 1])
    area_b = (b[..., 2] - b[..., 0]) * (b[..., 3] - b[..., 1])
    union = area_a + area_b - inter
    iou: NDArray[np.float64] = np.divide(inter, union, out=np.zeros_like(inter), where=union > 0)
    return iou


def match_boxes(
    pred: Sequence[NDArray[Any]], true: Sequence[NDArray[Any]], *, iou_threshold: float = 0.5
) -> tuple[int, int, int]:
    """Match predicted to true boxes one-to-one, greedily by descending IoU.

    Args:
        pred: Predicted polygons.
        true: Ground-truth polygons.
        iou_threshold: Smallest IoU that counts as a match.

    Returns:
        (true positives, number of predictions, number of true boxes).
    """
    ious = iou_matrix(pred, true)
    matched_pred: set[int] = set()
    matched_true: set[int] = set()
    for flat in np.argsort(-ious, axis=None, kind="stable"):
        i, j = np.unravel_index(flat, ious.shape)
        if ious[i, j] < iou_threshold:
            break
        if i not in matched_pred and j not in matched_true:
            matched_pred.add(int(i))
            matched_true.add(int(j))
    return len(matched_pred), len(pred), len(true)


class DetectionScore:
    """Precision, recall and hmean (F1) of detections accumulated over images.

    Args:
        iou_threshold: Smallest IoU that counts as a match.
    """

    def __init__(self, *, iou_threshold: float = 0.5) -> None:
        self.iou_threshold = iou_threshold
        self.true_positives = self.predicted = self.actual = 0

    def update(
        self, pred_boxes: Sequence[NDArray[Any]], true_boxes: Sequence[NDArray[Any]]
    ) -> None:
        """Add one image's predicted and true boxes.

        Args:
            pred_boxes: Predicted polygons.
            true_boxes: Ground-truth polygons.
        """
        hits, predicted, actual = match_boxes(
            pred_boxes, true_boxes, iou_threshold=self.iou_threshold
        )
        self.true_positives += hits
        self.predicted += predicted
        self.actual += actual

    def compute(self) -> dict[str, float]:
        """Return ``precision``, ``recall`` and ``hmean``; each is 0.0 when undefined."""
        precision = self.true_positives / self.predicted if self.predicted else 0.0
        recall = self.true_positives / self.actual if self.actual else 0.0
        total = precision + recall
        hmean = 2.0 * precision * recall / total if total else 0.0
        return {"precision": precision, "recall": recall, "hmean": hmean}

    def reset(self) -> None:
        """Forget everything accumulated."""
        self.true_positives = self.predicted = self.actual = 0
