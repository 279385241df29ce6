from __future__ import annotations

from typing import Any

import numpy as np
import pytest

from ocr.train.metric import extract_boxes
from ocr.ui.thresholds import BoxSettings


def test_defaults_are_the_trainers_when_config_names_none() -> None:
    assert BoxSettings.from_config(None) == (BoxSettings(0.3, 0.0, 3, 1000), {})


@pytest.mark.parametrize(
    ("config", "settings", "sources"),
    [
        pytest.param(
            {"model": {"box_threshold": 0.45, "postprocess": {"thresh": 0.2}}},
            BoxSettings(threshold=0.45),
            {"threshold": "model.box_threshold"},
            id="reference-key-first",
        ),
        pytest.param(
            {
                "model": {
                    "head": {
                        "postprocess": {"thresh": 0.2, "box_thresh": 0.6, "max_candidates": 300}
                    }
                }
            },
            BoxSettings(threshold=0.2, box_score=0.6, max_candidates=300),
            {
                "threshold": "model.head.postprocess.thresh",
                "box_score": "model.head.postprocess.box_thresh",
                "max_candidates": "model.head.postprocess.max_candidates",
            },
            id="dbnet-postprocess",
        ),
        pytest.param(
            {
                "model": {
                    "box_threshold": True,
                    "postprocess": {
                        "thresh": 7,
                        "box_thresh": "0.5",
                        "max_candidates": float("nan"),
                    },
                }
            },
            BoxSettings(),
            {},
            id="not-numbers-in-range",
        ),
    ],
)
def test_defaults_come_from_the_first_key_in_range_when_config_names_them(
    config: dict[str, Any], settings: BoxSettings, sources: dict[str, str]
) -> None:
    assert BoxSettings.from_config(config) == (settings, sources)


def test_boxes_are_the_trainers_post_processing_when_settings_are_given() -> None:
    prob = np.zeros((20, 20), np.float32)
    prob[1:5, 1:9] = 0.9
    prob[10:14, 1:9] = 0.4
    settings = BoxSettings(threshold=0.35, box_score=0.5, min_area=2, max_candidates=5)

    boxes = settings.boxes(prob)

    expected = extract_boxes(prob, threshold=0.35, box_score=0.5, min_area=2, max_candidates=5)
    assert [b.tolist() for b in boxes] == [b.tolist() for b in expected] and len(boxes) == 1
    assert BoxSettings.names() == ("threshold", "box_score", "min_area", "max_candidates")
