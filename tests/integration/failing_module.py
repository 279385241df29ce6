"""A detector whose training step fails, for the registry's failure path."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ocr.train.module import DetectorModule

if TYPE_CHECKING:
    from torch import Tensor

__all__ = ["FailingModule", "InterruptedModule"]


class FailingModule(DetectorModule):
    """Raises in the third training step."""

    def training_step(self, batch: dict[str, Any], batch_idx: int) -> Tensor:
        if self.global_step == 2:
            msg = "boom in training_step"
            raise RuntimeError(msg)
        return super().training_step(batch, batch_idx)


class InterruptedModule(DetectorModule):
    """Scores better every epoch (``val/score``) and is interrupted as epoch 2 starts (Ctrl-C)."""

    def on_validation_epoch_end(self) -> None:
        super().on_validation_epoch_end()
        self.log("val/score", float(self.current_epoch + 1))

    def on_train_epoch_start(self) -> None:
        if self.current_epoch == 2:
            raise KeyboardInterrupt
