"""A small fully connected network, as the template's SimpleDenseNet."""

from __future__ import annotations

from torch import Tensor, nn


class SimpleDenseNet(nn.Module):
    """Linear, batch norm, ReLU, then the output layer."""

    def __init__(self, input_size: int = 16, lin1_size: int = 16, output_size: int = 4) -> None:
        super().__init__()
        self.model = nn.Sequential(
            nn.Linear(input_size, lin1_size),
            nn.BatchNorm1d(lin1_size),
            nn.ReLU(),
            nn.Linear(lin1_size, output_size),
        )

    def forward(self, x: Tensor) -> Tensor:
        """Logits of a batch of feature vectors."""
        return self.model(x)  # type: ignore[no-any-return]
