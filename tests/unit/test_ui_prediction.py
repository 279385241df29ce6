from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pytest
import torch

from ocr.train.loss import make_db_targets
from ocr.train.metric import extract_boxes, rectangle
from ocr.ui.detector import CheckpointKey, Detector
from ocr.ui.prediction import (
    Detection,
    ProbabilityCache,
    ProbabilityMap,
    detect,
    network_size,
    overall_score,
)
from ocr.ui.receipt import Receipt
from ocr.ui.thresholds import BoxSettings


class _Counting(torch.nn.Module):
    """A model whose map is the image's darkness, counting its calls."""

    def __init__(self) -> None:
        super().__init__()
        self.calls = 0

    def forward(self, images: torch.Tensor) -> dict[str, torch.Tensor]:
        self.calls += 1
        return {"prob": (images.mean(dim=1, keepdim=True) < 0).float()}


def _detector(name: str = "a") -> tuple[Detector, _Counting]:
    model = _Counting()
    return Detector(CheckpointKey(Path(f"/{name}.ckpt"), 1, 1), model, "test._Counting"), model


@pytest.mark.parametrize(
    ("config", "image", "mode", "size"),
    [
        pytest.param(
            {"data": {"height": 128, "width": 96}}, (1500, 1000), "trained", (128, 96), id="trained"
        ),
        pytest.param(
            {"data": {"height": 128, "width": 96}},
            (1500, 1000),
            "original",
            (1500, 1000),
            id="original",
        ),
        pytest.param(
            {"data": {"height": 8, "width": 96}},
            (1500, 1000),
            "trained",
            (1500, 1000),
            id="odd-side",
        ),
        pytest.param(
            {"data": {"height": True, "width": 96}},
            (300, 200),
            "trained",
            (300, 200),
            id="bool-side",
        ),
        pytest.param(None, (5000, 2500), "trained", (2048, 1024), id="no-config-capped"),
        pytest.param({"data": []}, (20, 10), "trained", (20, 10), id="data-not-a-node"),
    ],
)
def test_network_size_is_the_training_size_or_the_capped_original_when_asked(
    config: dict[str, Any] | None, image: tuple[int, int], mode: Any, size: tuple[int, int]
) -> None:
    assert network_size(config, image, mode) == size


def test_network_runs_once_when_the_same_receipt_is_asked_again() -> None:
    detector, model = _detector()
    cache = ProbabilityCache()
    receipt = Receipt("r", np.zeros((20, 10, 3), np.uint8))

    first, first_cached = cache.get(detector, receipt, (20, 10))
    second, second_cached = cache.get(
        detector, Receipt("same pixels", receipt.pixels.copy()), (20, 10)
    )
    cache.get(detector, receipt, (10, 5))

    assert (first_cached, second_cached) == (False, True)
    assert second is first
    assert (model.calls, cache.runs) == (2, 2)
    assert first.values.shape == (20, 10) and first.seconds >= 0


def test_cache_drops_the_oldest_maps_when_over_its_budget() -> None:
    detector, model = _detector()
    cache = ProbabilityCache(budget_bytes=2 * 20 * 10 * 4)
    receipts = [Receipt(str(n), np.full((20, 10, 3), n, np.uint8)) for n in range(3)]

    for receipt in (*receipts, receipts[2], receipts[0]):
        cache.get(detector, receipt, (20, 10))

    assert model.calls == 4  # the first receipt was dropped, then made again


def test_detect_reports_boxes_in_receipt_pixels_and_scores_them_when_truth_is_known() -> None:
    truth = (rectangle(8, 16, 40, 32), rectangle(48, 64, 88, 80))
    prob = make_db_targets(list(truth), height=128, width=96)["prob_map"][
        ::2, ::2
    ]  # a map at half size
    receipt = Receipt("r", np.zeros((128, 96, 3), np.uint8), truth)

    found = detect(ProbabilityMap(prob, 0.0), receipt, BoxSettings())

    expected = [box * 2 for box in extract_boxes(prob)]
    assert [box.tolist() for box in found.boxes] == [box.tolist() for box in expected]
    assert found.matches == (2, 2, 2)
    assert found.score == {"precision": 1.0, "recall": 1.0, "hmean": 1.0}


def test_overall_score_adds_receipts_up_when_some_have_no_truth() -> None:
    detections = [
        Detection([], (1, 2, 4), 0.0),
        Detection([], None, 0.0),
        Detection([], (3, 3, 4), 0.0),
    ]

    assert overall_score(detections) == {
        "precision": 0.8,
        "recall": 0.5,
        "hmean": pytest.approx(8 / 13),
    }
    assert overall_score(detections[1:2]) is None
    assert Detection([], None, 0.0).score is None
