"""The Lightning module that trains and evaluates the detector."""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any

import lightning
import torch
from torch import Tensor

from ocr.train.loss import DBLoss
from ocr.train.metric import DetectionScore, extract_boxes
from ocr.train.model import DBNet, build_model

if TYPE_CHECKING:
    from lightning.pytorch.utilities.types import OptimizerLRScheduler
    from numpy.typing import NDArray

__all__ = ["DetectorModule"]


class DetectorModule(lightning.LightningModule):
    """Train a DBNet-style detector with the DB loss; validate with box hmean.

    Logs ``train/loss`` (per step and epoch), and per validation epoch ``val/loss``,
    ``val/precision``, ``val/recall`` and ``val/hmean``.

    Args:
        architecture: Model family (see :func:`ocr.train.model.build_model`).
        encoder: Encoder name.
        decoder: Decoder name.
        head: Head name.
        width: Base channel count.
        lr: Peak learning rate of AdamW.
        weight_decay: AdamW weight decay.
        box_threshold: Probability threshold for box extraction in validation.
    """

    def __init__(
        self,
        *,
        architecture: str = "dbnet",
        encoder: str = "tiny_resnet",
        decoder: str = "unet",
        head: str = "db_head",
        width: int = 8,
        lr: float = 1e-2,
        weight_decay: float = 1e-4,
        box_threshold: float = 0.3,
    ) -> None:
        super().__init__()
        self.save_hyperparameters()
        self.model: DBNet = build_model(
            architecture=architecture, encoder=encoder, decoder=decoder, head=head, width=width
        )
        self.loss_fn = DBLoss()
        self.score = DetectionScore()
        self.lr, self.weight_decay, self.box_threshold = lr, weight_decay, box_threshold

    def forward(self, images: Tensor) -> dict[str, Tensor]:
        """Predict the maps of a Bx3xHxW image batch (see :class:`DBNet`)."""
        return self.model(images)  # type: ignore[no-any-return]

    def training_step(self, batch: dict[str, Any], batch_idx: int) -> Tensor:
        """Compute and log the training loss of one batch."""
        losses = self.loss_fn(self.model(batch["image"]), batch)
        self.log(
            "train/loss",
            losses["loss"],
            on_step=True,
            on_epoch=True,
            batch_size=len(batch["image"]),
        )
        return losses["loss"]  # type: ignore[no-any-return]

    def on_validation_epoch_start(self) -> None:
        """Start the detection score afresh."""
        self.score.reset()

    def validation_step(self, batch: dict[str, Any], batch_idx: int) -> None:
        """Log the validation loss and score the boxes found in one batch."""
        pred = self.model(batch["image"])
        losses = self.loss_fn(pred, batch)
        self.log("val/loss", losses["loss"], on_epoch=True, batch_size=len(batch["image"]))
        for prob, true_boxes in zip(
            pred["prob"][:, 0].cpu().numpy(), batch["polygons"], strict=True
        ):
            self.score.update(extract_boxes(prob, threshold=self.box_threshold), true_boxes)

    def predict_step(self, batch: dict[str, Any], batch_idx: int) -> list[list[NDArray[Any]]]:
        """The boxes found in each image of a batch: per image, (4, 2) arrays."""
        pred = self.model(batch["image"])
        probs = pred["prob"][:, 0].cpu().numpy()
        return [extract_boxes(prob, threshold=self.box_threshold) for prob in probs]

    def on_validation_epoch_end(self) -> None:
        """Log precision, recall and hmean over the whole validation set."""
        scores = self.score.compute()
        for name in ("precision", "recall"):
            self.log(f"val/{name}", scores[name])
        self.log("val/hmean", scores["hmean"], prog_bar=True)

    def configure_optimizers(self) -> OptimizerLRScheduler:
        """AdamW with a one-cycle schedule (warm-up, then cosine decay) over the run.

        A run without a step or epoch limit keeps the learning rate constant.
        """
        optimizer = torch.optim.AdamW(self.parameters(), lr=self.lr, weight_decay=self.weight_decay)
        total_steps = self.trainer.estimated_stepping_batches
        if not math.isfinite(total_steps):
            return optimizer
        # The warm-up lets BatchNorm statistics settle before the large peak rate.
        scheduler = torch.optim.lr_scheduler.OneCycleLR(
            optimizer, max_lr=self.lr, total_steps=int(total_steps)
        )
        return {
            "optimizer": optimizer,
            "lr_scheduler": {"scheduler": scheduler, "interval": "step"},
        }
