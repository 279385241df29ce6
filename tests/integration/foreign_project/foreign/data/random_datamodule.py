"""Random feature vectors and labels: data that needs no download."""

from __future__ import annotations

import torch
from lightning import LightningDataModule
from torch.utils.data import DataLoader, TensorDataset


class RandomDataModule(LightningDataModule):
    """Train, validation and test sets of random tensors (the same seed, the same data)."""

    def __init__(
        self,
        input_size: int = 16,
        num_classes: int = 4,
        train_size: int = 32,
        val_size: int = 16,
        batch_size: int = 8,
    ) -> None:
        super().__init__()
        generator = torch.Generator().manual_seed(0)
        self.sets = {
            part: TensorDataset(
                torch.randn(size, input_size, generator=generator),
                torch.randint(0, num_classes, (size,), generator=generator),
            )
            for part, size in (("train", train_size), ("val", val_size), ("test", val_size))
        }
        self.batch_size = batch_size

    def train_dataloader(self) -> DataLoader[tuple[torch.Tensor, ...]]:
        """Shuffled training batches."""
        return DataLoader(self.sets["train"], batch_size=self.batch_size, shuffle=True)

    def val_dataloader(self) -> DataLoader[tuple[torch.Tensor, ...]]:
        """Validation batches."""
        return DataLoader(self.sets["val"], batch_size=self.batch_size)

    def test_dataloader(self) -> DataLoader[tuple[torch.Tensor, ...]]:
        """Test batches."""
        return DataLoader(self.sets["test"], batch_size=self.batch_size)
