"""Running a detector on a receipt: the network once, the post-processing on every slider move.

:class:`ProbabilityCache` keeps the probability maps a session made, by
checkpoint version, receipt and input size, so moving a threshold reruns only
:func:`detect` (the trainer's post-processing on the cached map), never the
network. :func:`network_size` says what the network sees: the size the run
was trained at (the default), or the receipt's own size.
"""

from __future__ import annotations

import time
from collections import OrderedDict
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Final, Literal

from ocr.train.metric import DetectionScore
from ocr.ui.overlay import map_to_image

if TYPE_CHECKING:
    from collections.abc import Iterable

    import numpy as np
    from numpy.typing import NDArray

    from ocr.ui.detector import CheckpointKey, Detector
    from ocr.ui.receipt import Receipt
    from ocr.ui.thresholds import BoxSettings

__all__ = [
    "MAX_INPUT_SIDE",
    "Detection",
    "InputMode",
    "ProbabilityCache",
    "ProbabilityMap",
    "detect",
    "network_size",
    "overall_score",
]

InputMode = Literal["trained", "original"]
MAX_INPUT_SIDE: Final = 2048
_SIDE_LIMITS: Final = (16, 4096)


def network_size(
    config: Mapping[str, Any] | None, image_size: tuple[int, int], mode: InputMode
) -> tuple[int, int]:
    """The (height, width) the network is fed for an image.

    Args:
        config: The run's saved config: ``data.height`` and ``data.width`` are
            the size it was trained at (the reference trainer resizes every
            receipt to it).
        image_size: The receipt's (height, width).
        mode: ``trained``: the training size, when the config has one;
            ``original``: the receipt's own size, its longer side capped at
            :data:`MAX_INPUT_SIDE`.

    Returns:
        The size.

    >>> network_size({"data": {"height": 128, "width": 96}}, (1500, 1000), "trained")
    (128, 96)
    >>> network_size(None, (3000, 2000), "original")
    (2048, 1365)
    """
    if mode == "trained":
        data = config.get("data") if isinstance(config, Mapping) else None
        sides = [
            data.get(key) if isinstance(data, Mapping) else None for key in ("height", "width")
        ]
        if all(_is_side(side) for side in sides):
            return int(sides[0]), int(sides[1])  # type: ignore[arg-type]  # checked by _is_side
    height, width = image_size
    scale = min(1.0, MAX_INPUT_SIDE / max(height, width))
    return max(1, int(height * scale)), max(1, int(width * scale))


def _is_side(value: object) -> bool:
    low, high = _SIDE_LIMITS
    return isinstance(value, int) and not isinstance(value, bool) and low <= value <= high


@dataclass(frozen=True)
class ProbabilityMap:
    """What the network said of one receipt.

    Args:
        values: HxW probabilities, at the network's input size.
        seconds: How long the network took.
    """

    values: NDArray[np.float32]
    seconds: float


class ProbabilityCache:
    """The probability maps one session made, least recently used dropped first.

    Args:
        budget_bytes: How much map memory to keep.

    Attributes:
        runs: How many times the network ran (cache misses).
    """

    def __init__(self, *, budget_bytes: int = 256 * 2**20) -> None:
        self.budget_bytes = budget_bytes
        self.runs = 0
        self._maps: OrderedDict[tuple[CheckpointKey, str, tuple[int, int]], ProbabilityMap] = (
            OrderedDict()
        )

    def get(
        self, detector: Detector, receipt: Receipt, size: tuple[int, int]
    ) -> tuple[ProbabilityMap, bool]:
        """The receipt's map from this detector at this size, made on first use.

        Args:
            detector: The model.
            receipt: The image.
            size: The network's input size.

        Returns:
            The map, and whether it came from the cache.
        """
        key = (detector.key, receipt.digest, size)
        found = self._maps.get(key)
        if found is not None:
            self._maps.move_to_end(key)
            return found, True
        start = time.perf_counter()
        values = detector.probability(receipt.pixels, size=size)
        found = ProbabilityMap(values, time.perf_counter() - start)
        self.runs += 1
        self._maps[key] = found
        while (
            len(self._maps) > 1
            and sum(m.values.nbytes for m in self._maps.values()) > self.budget_bytes
        ):
            self._maps.popitem(last=False)
        return found, False


@dataclass(frozen=True)
class Detection:
    """Boxes found in one receipt, in its own coordinates, and how they score.

    Args:
        boxes: (4, 2) boxes in the receipt's coordinates.
        matches: (true positives, predictions, true boxes) when the truth is known.
        seconds: How long the post-processing took.
    """

    boxes: list[NDArray[np.float32]]
    matches: tuple[int, int, int] | None
    seconds: float

    @property
    def score(self) -> dict[str, float] | None:
        """Precision, recall and hmean on this receipt, when the truth is known."""
        return None if self.matches is None else overall_score([self])


def detect(prob: ProbabilityMap, receipt: Receipt, settings: BoxSettings) -> Detection:
    """Post-process a cached probability map: boxes in the receipt's coordinates.

    Args:
        prob: The network's map of the receipt.
        receipt: The receipt.
        settings: The slider values.

    Returns:
        The boxes, matched against the truth at IoU 0.5 when it is known (as validation does).
    """
    start = time.perf_counter()
    found = settings.boxes(prob.values)
    height, width = prob.values.shape
    boxes = map_to_image(found, map_size=(height, width), image_size=receipt.size)
    matches = None
    if receipt.truth is not None:
        score = DetectionScore()
        score.update(boxes, receipt.truth)
        matches = (score.true_positives, score.predicted, score.actual)
    return Detection(boxes, matches, time.perf_counter() - start)


def overall_score(detections: Iterable[Detection]) -> dict[str, float] | None:
    """Precision, recall and hmean over every receipt whose truth is known.

    Args:
        detections: One per receipt.

    Returns:
        The scores, or ``None`` when no receipt has ground truth.
    """
    score = DetectionScore()
    known = False
    for detection in detections:
        if detection.matches is not None:
            known = True
            score.true_positives += detection.matches[0]
            score.predicted += detection.matches[1]
            score.actual += detection.matches[2]
    return score.compute() if known else None
