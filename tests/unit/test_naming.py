from __future__ import annotations

from typing import TYPE_CHECKING

import pytest
import torch
from hypothesis import given
from hypothesis import strategies as st
from lightning.pytorch.callbacks import ModelCheckpoint

from ocr.naming import (
    CheckpointName,
    checkpoint_filename_template,
    checkpoint_of_sidecar,
    is_checkpoint_file,
    is_sidecar_file,
    metric_slug,
    parse_checkpoint_name,
    sidecar_path,
)

if TYPE_CHECKING:
    from pathlib import Path

_metrics = st.text(min_size=1, max_size=20)


@given(
    epoch=st.integers(min_value=0, max_value=10**5),
    step=st.integers(min_value=0, max_value=10**8),
    monitor=st.sampled_from(["val/hmean", "val_loss", "val/loss", "test/hmean"]),
    score=st.floats(min_value=-1e6, max_value=1e6, allow_nan=False),
)
def test_template_names_parse_back_when_formatted(
    epoch: int, step: int, monitor: str, score: float
) -> None:
    # The real Lightning formatter fills the template.
    callback = ModelCheckpoint(
        filename=checkpoint_filename_template(monitor), auto_insert_metric_name=False
    )
    value = torch.tensor(score)
    metrics = {"epoch": torch.tensor(epoch), "step": torch.tensor(step), monitor: value}
    name = callback.format_checkpoint_name(metrics)
    assert "/" not in name
    assert "epoch=epoch" not in name
    assert parse_checkpoint_name(name) == CheckpointName(
        epoch, step, metric_slug(monitor), float(f"{value:.4f}"), False, None
    )


@given(_metrics)
def test_metric_slug_is_file_safe_when_given_any_name(metric: str) -> None:
    slug = metric_slug(metric)
    assert slug
    assert all(c.isascii() and (c.isalnum() or c in "_.") for c in slug)


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        pytest.param("last.ckpt", CheckpointName(None, None, None, None, True, None), id="last"),
        pytest.param("last-v2.ckpt", CheckpointName(None, None, None, None, True, 2), id="last-v2"),
        pytest.param(
            "epoch=00-step=000001.ckpt",
            CheckpointName(0, 1, None, None, False, None),
            id="no-metric",
        ),
        pytest.param(
            "epoch=01-step=000010-val_loss=0.5000-v1.ckpt",
            CheckpointName(1, 10, "val_loss", 0.5, False, 1),
            id="versioned",
        ),
        pytest.param("epoch=3.ckpt", None, id="legacy"),
        pytest.param("best-v1.ckpt", None, id="stock"),
        pytest.param("epoch=01-step=000010.pt", None, id="not-ckpt"),
    ],
)
def test_parse_reads_ours_and_leaves_the_rest_when_given(
    name: str, expected: CheckpointName | None
) -> None:
    assert parse_checkpoint_name(name) == expected


def test_template_has_no_metric_when_nothing_is_monitored() -> None:
    assert checkpoint_filename_template(None) == "epoch={epoch:02d}-step={step:06d}"


def test_sidecar_names_pair_with_their_checkpoint_when_built(tmp_path: Path) -> None:
    checkpoint = tmp_path / "epoch=01-step=000010.ckpt"
    sidecar = sidecar_path(checkpoint)
    assert sidecar.name == "epoch=01-step=000010.ckpt.meta.json"
    assert checkpoint_of_sidecar(sidecar) == checkpoint
    assert is_sidecar_file(sidecar) and not is_checkpoint_file(sidecar)
    assert is_checkpoint_file(checkpoint) and not is_sidecar_file(checkpoint)
    assert not is_sidecar_file(tmp_path / "best.metadata.json")


@pytest.mark.parametrize(
    ("override", "parses"),
    [
        pytest.param(
            "ckpt_path=outputs/d/t/checkpoints/epoch=03-step=000120.ckpt", False, id="equals"
        ),
        pytest.param(
            "ckpt_path='outputs/d/t/checkpoints/epoch=03-step=000120.ckpt'",
            True,
            id="equals-quoted",
        ),
        pytest.param(
            "ckpt_path=outputs/d/t/checkpoints/epoch_03-step_000120-val_acc_0.8123.ckpt",
            True,
            id="underscore",
        ),
    ],
)
def test_a_checkpoint_path_passes_back_as_a_hydra_override_when_unambiguous(
    override: str, parses: bool
) -> None:
    from hydra.core.override_parser.overrides_parser import OverridesParser
    from hydra.errors import HydraException

    parser = OverridesParser.create()
    if not parses:
        with pytest.raises(HydraException, match="mismatched input '='"):
            parser.parse_override(override)
        return
    value = parser.parse_override(override).value()
    assert isinstance(value, str) and parse_checkpoint_name(value.rsplit("/", 1)[1]) is not None


@given(
    epoch=st.integers(min_value=0, max_value=10**4),
    step=st.integers(min_value=0, max_value=10**7),
    score=st.floats(min_value=-1e3, max_value=1e3, allow_nan=False),
)
def test_underscore_names_parse_back_and_hold_no_equals_when_formatted(
    epoch: int, step: int, score: float
) -> None:
    callback = ModelCheckpoint(
        filename=checkpoint_filename_template("val/acc", style="underscore"),
        auto_insert_metric_name=False,
    )
    value = torch.tensor(score)
    name = callback.format_checkpoint_name(
        {"epoch": torch.tensor(epoch), "step": torch.tensor(step), "val/acc": value}
    )
    assert "=" not in name and "/" not in name
    assert parse_checkpoint_name(name) == CheckpointName(
        epoch, step, "val_acc", float(f"{value:.4f}"), False, None
    )
