"""The DB loss: parts, weights, hard negative mining, and that it can be minimised."""

from __future__ import annotations

from typing import Any

import pytest
import torch
from torch.nn import functional

from ocr.train.data import SyntheticReceiptDataset, collate_receipts
from ocr.train.loss import DBLoss
from ocr.train.model import build_model

__all__: list[str] = []

KEYS = {"loss", "loss_prob", "loss_thresh", "loss_binary"}


@pytest.fixture
def batch() -> dict[str, Any]:
    dataset = SyntheticReceiptDataset(2, seed=0, height=32, width=32)
    return collate_receipts([dataset[0], dataset[1]])


def _perfect(batch: dict[str, Any]) -> dict[str, torch.Tensor]:
    return {
        "prob": batch["prob_map"][:, None],
        "thresh": batch["thresh_map"][:, None],
        "binary": batch["prob_map"][:, None],
    }


def test_loss_is_finite_weighted_sum_of_parts_when_model_is_untrained(
    batch: dict[str, Any],
) -> None:
    torch.manual_seed(0)
    pred = build_model(encoder="tiny_cnn", decoder="unet", width=4)(batch["image"])

    losses = DBLoss(alpha=2.0, beta=5.0)(pred, batch)

    assert set(losses) == KEYS
    assert all(value.dim() == 0 and torch.isfinite(value) for value in losses.values())
    expected = losses["loss_prob"] + 2.0 * losses["loss_binary"] + 5.0 * losses["loss_thresh"]
    assert torch.allclose(losses["loss"], expected)


@pytest.mark.parametrize(
    "ohem_ratio", [pytest.param(3.0, id="ohem"), pytest.param(None, id="plain-bce")]
)
def test_loss_vanishes_when_prediction_equals_targets(
    batch: dict[str, Any], ohem_ratio: float | None
) -> None:
    losses = DBLoss(ohem_ratio=ohem_ratio)(_perfect(batch), batch)

    assert all(value.item() == pytest.approx(0.0, abs=1e-5) for value in losses.values())


def test_loss_decreases_when_optimising_one_batch(batch: dict[str, Any]) -> None:
    torch.manual_seed(0)
    model = build_model(encoder="tiny_resnet", decoder="fpn", width=4)
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-2)
    loss_fn = DBLoss()
    history = []
    for _ in range(8):
        loss = loss_fn(model(batch["image"]), batch)["loss"]
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        history.append(loss.item())

    assert history[-1] < 0.8 * history[0]


def _one_positive() -> tuple[dict[str, torch.Tensor], dict[str, torch.Tensor]]:
    gt = torch.zeros(1, 1, 6)
    gt[0, 0, 0] = 1.0
    prob = torch.tensor([[[0.5, 0.9, 0.8, 0.7, 0.1, 0.2]]])
    pred = {"prob": prob[:, None], "thresh": torch.full((1, 1, 1, 6), 0.3), "binary": prob[:, None]}
    batch = {
        "prob_map": gt,
        "prob_mask": torch.ones_like(gt),
        "thresh_map": torch.full_like(gt, 0.3),
        "thresh_mask": torch.ones_like(gt),
    }
    return pred, batch


def test_prob_loss_keeps_three_hardest_negatives_per_positive_when_mining() -> None:
    pred, batch = _one_positive()
    bce = functional.binary_cross_entropy(
        torch.tensor([0.5, 0.1, 0.2, 0.3]), torch.tensor([1.0, 0, 0, 0]), reduction="none"
    )
    hardest = functional.binary_cross_entropy(
        torch.tensor([0.9, 0.8, 0.7]), torch.zeros(3), reduction="sum"
    )

    mined = DBLoss()(pred, batch)["loss_prob"]
    plain = DBLoss(ohem_ratio=None)(pred, batch)["loss_prob"]

    assert mined.item() == pytest.approx((bce[0] + hardest).item() / 4, rel=1e-5)
    assert plain.item() < mined.item()


def test_loss_ignores_pixels_when_masked_out() -> None:
    pred, batch = _one_positive()
    batch["prob_mask"][0, 0, 1:4] = 0.0  # hide the three hardest negatives
    batch["thresh_mask"] = torch.zeros_like(batch["thresh_mask"])

    losses = DBLoss()(pred, batch)
    bce = functional.binary_cross_entropy(
        torch.tensor([0.5, 0.2, 0.1]), torch.tensor([1.0, 0, 0]), reduction="sum"
    )

    assert losses["loss_prob"].item() == pytest.approx(bce.item() / 3, rel=1e-5)
    assert losses["loss_thresh"].item() == 0.0
