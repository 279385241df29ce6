"""One table from the legacy trainer's metric names to the reference trainer's.

Old runs logged ``hmean``, ``precision``, ``validation_loss``, ``val_loss``, ...;
the trainer logs ``val/hmean``, ``val/precision``, ``val/loss``. Reading a legacy
run, every metric name goes through :func:`trainer_metric_name`, so old and new
runs land in the same column. The table is documented in docs/ablation.md.
"""

from __future__ import annotations

from types import MappingProxyType
from typing import TYPE_CHECKING, Final

if TYPE_CHECKING:
    from collections.abc import Mapping

__all__ = ["LEGACY_METRIC_NAMES", "trainer_metric_name", "trainer_metric_names"]

LEGACY_METRIC_NAMES: Final[Mapping[str, str]] = MappingProxyType(
    {
        "hmean": "val/hmean",
        "precision": "val/precision",
        "recall": "val/recall",
        "val_hmean": "val/hmean",
        "val_precision": "val/precision",
        "val_recall": "val/recall",
        "validation_loss": "val/loss",
        "val_loss": "val/loss",
        "train_loss": "train/loss",
        "train_loss_step": "train/loss_step",
        "train_loss_epoch": "train/loss_epoch",
    }
)
"""Legacy metric name -> the reference trainer's name; names not listed stay as they are."""


def trainer_metric_name(name: str) -> str:
    """The reference trainer's name for a metric a legacy run logged.

    Args:
        name: The name as the legacy run wrote it.

    Returns:
        The trainer's name (the name itself when the table does not list it).

    >>> trainer_metric_name("hmean"), trainer_metric_name("val_loss"), trainer_metric_name("test/x")
    ('val/hmean', 'val/loss', 'test/x')
    """
    return LEGACY_METRIC_NAMES.get(name, name)


def trainer_metric_names(metrics: Mapping[str, float]) -> dict[str, float]:
    """A legacy run's metrics under the trainer's names.

    When a legacy name and the trainer's name of one metric are both present,
    the trainer's name wins.

    Args:
        metrics: Name -> value, as the legacy run wrote them.

    Returns:
        The same values under the trainer's names.
    """
    renamed = {trainer_metric_name(name): value for name, value in metrics.items()}
    renamed.update({name: value for name, value in metrics.items() if name in renamed})
    return renamed
