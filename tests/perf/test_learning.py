"""Learning gate: the default config really learns on CPU within a minute."""

from __future__ import annotations

import sys
import time
from typing import TYPE_CHECKING, Any

import lightning
import pytest
from hydra.utils import instantiate
from lightning.pytorch.callbacks import Callback
from omegaconf import OmegaConf

from ocr.layout import packaged_config_dir

if TYPE_CHECKING:
    from pathlib import Path

__all__: list[str] = []

CONFIGS = packaged_config_dir("train")
UNTRAINED_MAX = 0.3
TRAINED_MIN = 0.9
FIT_SECONDS_MAX = 60.0


class _HmeanTimeline(Callback):
    """Record (seconds since fit start, val/hmean) after every validation."""

    def __init__(self) -> None:
        self.start = 0.0
        self.points: list[tuple[float, float]] = []

    def on_train_start(self, trainer: lightning.Trainer, pl_module: Any) -> None:
        self.start = time.perf_counter()

    def on_validation_end(self, trainer: lightning.Trainer, pl_module: Any) -> None:
        if trainer.state.fn == "fit":
            hmean = float(trainer.callback_metrics["val/hmean"])
            self.points.append((time.perf_counter() - self.start, hmean))


def _load(group: str, name: str) -> Any:
    return OmegaConf.load(CONFIGS / group / f"{name}.yaml")


def _trainer_kwargs() -> dict[str, Any]:
    values = OmegaConf.to_container(_load("trainer", "cpu"))
    assert isinstance(values, dict)
    return {str(key): value for key, value in values.items()}


# Lightning suggests more loader workers on machines with more than 2 cores; 0 is our
# choice (generation is cheap, and workers would compete with torch's threads).
@pytest.mark.perf
@pytest.mark.filterwarnings("ignore:The '.*dataloader' does not have many workers")
def test_default_config_reaches_hmean_when_trained_for_a_minute_on_cpu(tmp_path: Path) -> None:
    lightning.seed_everything(0, verbose=False)
    module = instantiate(_load("model", "dbnet_tiny"))
    datamodule = instantiate(_load("data", "synthetic"))
    timeline = _HmeanTimeline()
    trainer = lightning.Trainer(
        **_trainer_kwargs(),
        default_root_dir=tmp_path,
        logger=False,
        enable_checkpointing=False,
        enable_progress_bar=False,
        callbacks=[timeline],
    )

    untrained = trainer.validate(module, datamodule=datamodule, verbose=False)[0]["val/hmean"]
    start = time.perf_counter()
    trainer.fit(module, datamodule=datamodule)
    seconds = time.perf_counter() - start
    trained = float(trainer.callback_metrics["val/hmean"])

    reached = next((t for t, h in timeline.points if h >= TRAINED_MIN), float("nan"))
    # The figures are the point of a perf run: show them (pytest -s).
    sys.stdout.write(
        f"\nuntrained val/hmean {untrained:.3f}, trained val/hmean {trained:.3f}, "
        f"fit {seconds:.1f} s, {trainer.global_step / seconds:.2f} steps/s, "
        f"val/hmean >= {TRAINED_MIN} after {reached:.1f} s\n"
        f"timeline (s, hmean): {[(round(t, 1), round(h, 3)) for t, h in timeline.points]}\n"
    )
    assert untrained < UNTRAINED_MAX
    assert trained >= TRAINED_MIN
    assert seconds <= FIT_SECONDS_MAX
