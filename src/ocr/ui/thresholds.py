"""The post-processing settings the sliders move, with defaults from a run's config.

The post-processing itself is the trainer's (:func:`ocr.train.metric.extract_boxes`),
so with its defaults the app finds exactly the boxes validation scored. A run
config may name other defaults: the reference trainer's ``model.box_threshold``,
or DBNet's ``postprocess`` block (``thresh``, ``box_thresh``,
``max_candidates``) under ``model`` or ``model.head``; the first key found wins.
The smallest region size is always the trainer's (DBNet's ``min_size`` is a
side length, not an area, so it is not taken).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, fields
from typing import TYPE_CHECKING, Any, Final

from ocr.train.metric import DEFAULT_MIN_AREA, DEFAULT_THRESHOLD, extract_boxes

if TYPE_CHECKING:
    import numpy as np
    from numpy.typing import NDArray

__all__ = ["CONFIG_KEYS", "LIMITS", "BoxSettings"]

# Each setting's (lowest, highest) slider value.
LIMITS: Final[Mapping[str, tuple[float, float]]] = {
    "threshold": (0.01, 0.99),
    "box_score": (0.0, 0.99),
    "min_area": (1, 500),
    "max_candidates": (1, 1000),
}
# Where a run config may hold each default, most specific first.
CONFIG_KEYS: Final[Mapping[str, tuple[str, ...]]] = {
    "threshold": (
        "model.box_threshold",
        "model.postprocess.thresh",
        "model.head.postprocess.thresh",
    ),
    "box_score": ("model.postprocess.box_thresh", "model.head.postprocess.box_thresh"),
    "max_candidates": (
        "model.postprocess.max_candidates",
        "model.head.postprocess.max_candidates",
    ),
}


@dataclass(frozen=True)
class BoxSettings:
    """How boxes are read from a probability map.

    Args:
        threshold: Binarisation threshold.
        box_score: Lowest mean probability of a kept region (0: keep all).
        min_area: Fewest pixels of a kept region, in the probability map.
        max_candidates: Most regions kept (the most probable ones).

    >>> BoxSettings.from_config({"model": {"box_threshold": 0.45}})[0].threshold
    0.45
    """

    threshold: float = DEFAULT_THRESHOLD
    box_score: float = 0.0
    min_area: int = DEFAULT_MIN_AREA
    max_candidates: int = int(LIMITS["max_candidates"][1])

    @classmethod
    def from_config(cls, config: Mapping[str, Any] | None) -> tuple[BoxSettings, dict[str, str]]:
        """The defaults a run config gives, and which key gave each.

        Args:
            config: The run's saved config, or ``None``.

        Returns:
            The settings (the trainer's defaults where the config is silent or
            holds something that is not a number in range) and, per setting
            taken from the config, the key it came from.
        """
        values: dict[str, Any] = {}
        sources: dict[str, str] = {}
        for name, keys in CONFIG_KEYS.items():
            for key in keys:
                value = _number_at(config, key)
                low, high = LIMITS[name]
                if value is not None and low <= value <= high:
                    integral = name in ("min_area", "max_candidates")
                    values[name] = int(value) if integral else value
                    sources[name] = key
                    break
        return cls(**values), sources

    def boxes(self, prob: NDArray[Any]) -> list[NDArray[np.float32]]:
        """The boxes these settings find in a probability map (map coordinates).

        Args:
            prob: HxW probabilities.

        Returns:
            (4, 2) boxes, as :func:`ocr.train.metric.extract_boxes` returns them.
        """
        return extract_boxes(
            prob,
            threshold=self.threshold,
            box_score=self.box_score,
            min_area=self.min_area,
            max_candidates=self.max_candidates,
        )

    @classmethod
    def names(cls) -> tuple[str, ...]:
        """The settings' names, in slider order."""
        return tuple(field.name for field in fields(cls))


def _number_at(config: Mapping[str, Any] | None, dotted: str) -> float | None:
    node: object = config
    for part in dotted.split("."):
        if not isinstance(node, Mapping) or part not in node:
            return None
        node = node[part]
    if isinstance(node, bool) or not isinstance(node, int | float) or not math.isfinite(node):
        return None
    return float(node)
