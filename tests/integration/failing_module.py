"""A detector whose training step fails, for the registry's failure path."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ocr.train.module import DetectorModule

if TYPE_CHECKING:
    from torch import Tensor

__all__ = ["FailingModule"]


class FailingModule(DetectorModule):
    """Raises in the third training step."""

    def training_step(self, batch: dict[str, Any], batch_idx: int) -> Tensor:
        if self.global_step == 2:
            msg = "boom in training_step"
            raise RuntimeError(msg)
        return super().training_step(batch, batch_idx)
