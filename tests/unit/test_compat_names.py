from __future__ import annotations

from datetime import datetime
from pathlib import Path, PurePath

import pytest
import torch
from hypothesis import given
from hypothesis import strategies as st
from lightning.pytorch.callbacks import ModelCheckpoint

from ocr.compat import set_legacy_enabled
from ocr.compat._shared import LegacyName, parse_legacy_name
from ocr.naming import CheckpointName, parse_checkpoint_name
from tests.strategies import (
    legacy_epochs,
    legacy_name_paths,
    legacy_prefixes,
    legacy_steps,
    legacy_timestamps,
)

ERA_A_CHECKPOINTS = (
    Path(__file__).parents[2]
    / "fixtures"
    / "legacy"
    / "A"
    / "outputs"
    / "ocr_training-dbnet-pan_decoder-mobilenetv3_small_050"
    / "checkpoints"
)
STAMP = datetime(2025, 10, 9, 1, 50, 37)

# Every form of docs/legacy-formats.md "Checkpoint file names", as it sits in the era A fixture.
LEGACY_FORMS = [
    pytest.param("epoch=67-step=18564.ckpt", LegacyName(67, 18564), id="lightning-default"),
    pytest.param("epoch=10.ckpt", LegacyName(10), id="lightning-epoch-only"),
    pytest.param("epoch-8-step-1845.ckpt", LegacyName(8, 1845), id="dashed"),
    pytest.param("epoch--step-1845.ckpt", LegacyName(None, 1845), id="dashed-empty-epoch"),
    pytest.param("epoch-18_step-003895.ckpt", LegacyName(18, 3895), id="dashed-underscore"),
    pytest.param(
        "epoch_epoch=02-step_step=0819-loss_val_loss=1.5191.ckpt",
        LegacyName(2, 819, {"val_loss": 1.5191}),
        id="metric-inserted-twice",
    ),
    pytest.param(
        "epoch_epoch=01-step_step=0546-loss_val/loss=1.6217.ckpt",
        LegacyName(1, 546, {"val/loss": 1.6217}),
        id="slash-made-a-folder",
    ),
    pytest.param(
        "resnet34_bs4_epoch_epoch=28_step_step=23722.ckpt",
        LegacyName(28, 23722, prefix="resnet34_bs4"),
        id="prefixed",
    ),
    pytest.param(
        "epoch_00_step_000103_20251009_015037.ckpt",
        LegacyName(0, 103, timestamp=STAMP),
        id="timestamped",
    ),
    pytest.param(
        "epoch_epoch_22_step_step_001932_20251009_015037.ckpt",
        LegacyName(22, 1932, timestamp=STAMP),
        id="timestamped-doubled",
    ),
    pytest.param(
        "last_20251011_004442.ckpt",
        LegacyName(is_last=True, timestamp=datetime(2025, 10, 11, 0, 44, 42)),
        id="timestamped-last",
    ),
    pytest.param("epoch_28_step_023722.ckpt", LegacyName(28, 23722), id="renamed"),
    pytest.param("epoch_0_step_273.ckpt", LegacyName(0, 273), id="renamed-epoch-0"),
    pytest.param(
        "epoch-03_step-000103_hmean-0.8756.ckpt",
        LegacyName(3, 103, {"hmean": 0.8756}),
        id="hierarchical",
    ),
    pytest.param(
        "best-hmean-0.8920.ckpt",
        LegacyName(metrics={"hmean": 0.892}, is_best=True),
        id="best-metric",
    ),
    pytest.param("best.ckpt", LegacyName(is_best=True), id="best"),
    pytest.param("best-v1.ckpt", LegacyName(is_best=True, version=1), id="best-v1"),
    pytest.param("last.ckpt", LegacyName(is_last=True), id="last"),
    pytest.param("last-v1.ckpt", LegacyName(is_last=True, version=1), id="last-v1"),
]


@pytest.fixture(autouse=True)
def _legacy_on() -> object:
    set_legacy_enabled(True)
    yield None
    set_legacy_enabled(None)


@pytest.mark.parametrize(("relative", "expected"), LEGACY_FORMS)
def test_every_legacy_form_parses_exactly_when_read_from_the_fixture(
    relative: str, expected: LegacyName
) -> None:
    checkpoint = ERA_A_CHECKPOINTS / relative
    assert checkpoint.is_file()
    assert parse_legacy_name(checkpoint.relative_to(ERA_A_CHECKPOINTS)) == expected


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        pytest.param(
            "epoch=03-step=000120-val_hmean=0.8123.ckpt",
            LegacyName(3, 120, {"val_hmean": 0.8123}),
            id="new-with-metric",
        ),
        pytest.param(
            "epoch=01-step=000010-val_loss=0.5000-v1.ckpt",
            LegacyName(1, 10, {"val_loss": 0.5}, version=1),
            id="new-versioned",
        ),
        pytest.param("epoch=00-step=000000.ckpt", LegacyName(0, 0), id="new-epoch-0"),
    ],
)
def test_new_names_parse_like_ocr_naming_when_given(name: str, expected: LegacyName) -> None:
    assert parse_legacy_name(PurePath(name)) == expected


@pytest.mark.parametrize(
    "name",
    [
        pytest.param("model.ckpt", id="plain-word"),
        pytest.param("", id="empty"),
        pytest.param(".ckpt", id="suffix-only"),
        pytest.param("weights.pt", id="other-suffix"),
        pytest.param("epoch.ckpt", id="epoch-word-without-value"),
    ],
)
def test_name_says_nothing_when_nothing_in_it_is_readable(name: str) -> None:
    assert parse_legacy_name(PurePath(name)) == LegacyName()


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        pytest.param("epoch=3__step=4.ckpt", LegacyName(3, 4), id="doubled-separator"),
        pytest.param(
            "run7_best-epoch=3.ckpt", LegacyName(3, prefix="run7_best"), id="prefix-before-epoch"
        ),
        pytest.param(
            "epoch_1_step_2_99999999_999999.ckpt",
            LegacyName(1, 2),
            id="impossible-timestamp-is-skipped",
        ),
        pytest.param(
            "exp_last.ckpt", LegacyName(is_last=True, prefix="exp"), id="prefix-before-stock-word"
        ),
    ],
)
def test_odd_spellings_parse_when_fields_are_recognisable(name: str, expected: LegacyName) -> None:
    assert parse_legacy_name(PurePath(name)) == expected


def test_only_new_names_parse_when_legacy_support_is_off() -> None:
    set_legacy_enabled(False)
    assert parse_legacy_name(PurePath("epoch=03-step=000120.ckpt")) == LegacyName(3, 120)
    assert parse_legacy_name(PurePath("epoch-8-step-1845.ckpt")) == LegacyName()


@given(legacy_name_paths)
def test_parse_never_raises_when_given_any_relative_path(parts: list[str]) -> None:
    said = parse_legacy_name(PurePath(*parts))
    assert said.epoch is None or said.epoch >= 0
    assert said.step is None or said.step >= 0


@given(epoch=legacy_epochs, step=legacy_steps)
def test_lightning_default_names_round_trip_when_formatted(epoch: int, step: int) -> None:
    assert parse_legacy_name(PurePath(f"epoch={epoch}-step={step}.ckpt")) == LegacyName(epoch, step)
    assert parse_legacy_name(PurePath(f"epoch={epoch}.ckpt")) == LegacyName(epoch)


@given(epoch=legacy_epochs, step=legacy_steps)
def test_dashed_names_round_trip_when_formatted(epoch: int, step: int) -> None:
    assert parse_legacy_name(PurePath(f"epoch-{epoch}-step-{step}.ckpt")) == LegacyName(epoch, step)
    assert parse_legacy_name(PurePath(f"epoch-{epoch:02d}_step-{step:06d}.ckpt")) == LegacyName(
        epoch, step
    )


@given(epoch=legacy_epochs, step=legacy_steps, stamp=legacy_timestamps)
def test_timestamped_names_round_trip_when_formatted(
    epoch: int, step: int, stamp: datetime
) -> None:
    name = f"epoch_{epoch:02d}_step_{step:06d}_{stamp:%Y%m%d_%H%M%S}.ckpt"
    assert parse_legacy_name(PurePath(name)) == LegacyName(epoch, step, timestamp=stamp)
    last = parse_legacy_name(PurePath(f"last_{stamp:%Y%m%d_%H%M%S}.ckpt"))
    assert last == LegacyName(is_last=True, timestamp=stamp)


@given(prefix=legacy_prefixes, epoch=legacy_epochs, step=legacy_steps)
def test_prefixed_names_round_trip_when_formatted(prefix: str, epoch: int, step: int) -> None:
    name = f"{prefix}_epoch_epoch={epoch:02d}_step_step={step:04d}.ckpt"
    assert parse_legacy_name(PurePath(name)) == LegacyName(epoch, step, prefix=prefix)


@given(epoch=legacy_epochs, step=legacy_steps)
def test_parse_agrees_with_ocr_naming_when_the_name_is_new(epoch: int, step: int) -> None:
    name = f"epoch={epoch:02d}-step={step:06d}-val_hmean=0.5000.ckpt"
    ours = parse_checkpoint_name(name)
    assert ours == CheckpointName(epoch, step, "val_hmean", 0.5, False, None)
    assert parse_legacy_name(PurePath(name)) == LegacyName(epoch, step, {"val_hmean": 0.5})


@given(
    epoch=legacy_epochs,
    step=legacy_steps,
    monitor=st.sampled_from(["val_loss", "val/loss", "val/hmean"]),
    score=st.floats(min_value=-1e4, max_value=1e4, allow_nan=False),
)
def test_doubled_names_parse_back_when_lightning_formats_the_legacy_template(
    epoch: int, step: int, monitor: str, score: float
) -> None:
    # The legacy trainer's template; Lightning's auto_insert_metric_name doubled each label.
    label = monitor.rsplit("/", 1)[-1].rsplit("_", 1)[-1]
    template = f"epoch_{{epoch:02d}}-step_{{step:04d}}-{label}_{{{monitor}:.4f}}"
    value = torch.tensor(score)
    metrics = {"epoch": torch.tensor(epoch), "step": torch.tensor(step), monitor: value}
    name = ModelCheckpoint(filename=template).format_checkpoint_name(metrics)
    expected = LegacyName(epoch, step, {monitor: float(f"{value:.4f}")})
    assert parse_legacy_name(PurePath(name)) == expected


@given(epoch=legacy_epochs, step=legacy_steps, version=st.none() | st.integers(1, 99))
def test_default_names_parse_back_when_lightning_formats_them(
    epoch: int, step: int, version: int | None
) -> None:
    callback = ModelCheckpoint()
    metrics = {"epoch": torch.tensor(epoch), "step": torch.tensor(step)}
    name = callback.format_checkpoint_name(metrics, ver=version)
    assert parse_legacy_name(PurePath(name)) == LegacyName(epoch, step, version=version)
