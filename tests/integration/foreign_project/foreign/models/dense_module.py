"""A LightningModule for classification with its network in ``self.net``, as the template's."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import torch
from lightning import LightningModule

if TYPE_CHECKING:
    from collections.abc import Callable

    from torch import Tensor, nn


class DenseLitModule(LightningModule):
    """Classify feature vectors; logs ``train/loss``, ``val/loss``, ``val/acc``, ``test/acc``."""

    def __init__(self, net: nn.Module, optimizer: Callable[..., torch.optim.Optimizer]) -> None:
        super().__init__()
        self.save_hyperparameters(logger=False, ignore=["net", "optimizer"])
        self.net = net
        self.optimizer_factory = optimizer
        self.criterion = torch.nn.CrossEntropyLoss()

    def forward(self, x: Tensor) -> Tensor:
        """Logits of a batch."""
        return self.net(x)  # type: ignore[no-any-return]

    def _step(self, batch: tuple[Tensor, Tensor]) -> tuple[Tensor, Tensor]:
        x, y = batch
        logits = self(x)
        accuracy = (logits.argmax(dim=1) == y).float().mean()
        return self.criterion(logits, y), accuracy

    def training_step(self, batch: tuple[Tensor, Tensor], batch_idx: int) -> Tensor:
        """One training step."""
        loss, _ = self._step(batch)
        self.log("train/loss", loss, on_step=False, on_epoch=True)
        return loss

    def validation_step(self, batch: tuple[Tensor, Tensor], batch_idx: int) -> None:
        """One validation step."""
        loss, accuracy = self._step(batch)
        self.log("val/loss", loss, on_step=False, on_epoch=True)
        self.log("val/acc", accuracy, on_step=False, on_epoch=True)

    def test_step(self, batch: tuple[Tensor, Tensor], batch_idx: int) -> None:
        """One test step."""
        _, accuracy = self._step(batch)
        self.log("test/acc", accuracy, on_step=False, on_epoch=True)

    def configure_optimizers(self) -> Any:
        """The optimizer the config's partial builds."""
        return self.optimizer_factory(params=self.parameters())
