"""Metric histories: Lightning's CSV files, legacy names, the best and last points."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest

from ocr.ablation import LEGACY_METRIC_NAMES, MetricHistory, MetricPoint, trainer_metric_name
from ocr.ablation._history import best_point, read_metric_history
from ocr.ablation._metric_names import trainer_metric_names

if TYPE_CHECKING:
    from pathlib import Path

__all__: list[str] = []

LIGHTNING_CSV = (
    "epoch,step,train/loss_epoch,train/loss_step,val/hmean,val/loss\n"
    "0,1,,,0.5,1.5\n"
    "0,1,3.0,,,\n"
    "1,3,,2.5,,\n"
    "1,3,,,0.75,1.25\n"
    "1,3,2.25,,,\n"
)


def _csv(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def test_read_metric_history_files_each_value_under_its_epoch_and_step_when_lightning_wrote_it(
    tmp_path: Path,
) -> None:
    history = read_metric_history([_csv(tmp_path, "m.csv", LIGHTNING_CSV)], renames={})

    assert history.points("val/hmean") == (MetricPoint(0.5, 0, 1), MetricPoint(0.75, 1, 3))
    assert history.points("train/loss_step") == (MetricPoint(2.5, 1, 3),)
    assert history.points("train/loss") == (MetricPoint(3.0, 0, 1), MetricPoint(2.25, 1, 3))
    assert history.metrics == {
        "train/loss",
        "train/loss_epoch",
        "train/loss_step",
        "val/hmean",
        "val/loss",
    }
    assert history.points("val/precision") == ()


def test_read_metric_history_continues_a_resumed_run_and_maps_names_when_legacy(
    tmp_path: Path,
) -> None:
    first = _csv(tmp_path, "v0.csv", "epoch,step,hmean,val_loss\n0,9,0.25,2.0\n")
    second = _csv(tmp_path, "v1.csv", "step,epoch,hmean\n19,1,0.5\n,,\n29,2,nan\n")

    history = read_metric_history([first, second], renames=LEGACY_METRIC_NAMES)

    points = history.points("val/hmean")
    assert points[:2] == (MetricPoint(0.25, 0, 9), MetricPoint(0.5, 1, 19))
    assert points[2].epoch == 2 and points[2].value != points[2].value  # NaN kept
    assert history.points("val/loss") == (MetricPoint(2.0, 0, 9),)
    assert history.sources == (first, second)


def test_read_metric_history_skips_cells_that_are_not_numbers_when_present(tmp_path: Path) -> None:
    path = _csv(tmp_path, "m.csv", "epoch,step,val/hmean,note\nx,,0.5,fine\n1,2,oops,\n")

    history = read_metric_history([path], renames={})

    assert history.series == {"val/hmean": (MetricPoint(0.5, None, None),)}


@pytest.mark.parametrize(
    ("text", "message"),
    [
        pytest.param("", "has no 'epoch' or 'step' column", id="empty"),
        pytest.param("a,b\n1,2\n", "has no 'epoch' or 'step' column", id="no-epoch"),
    ],
)
def test_read_metric_history_refuses_when_not_a_metric_file(
    tmp_path: Path, text: str, message: str
) -> None:
    path = _csv(tmp_path, "m.csv", text)

    with pytest.raises(ValueError, match="column") as raised:
        read_metric_history([path], renames={})

    assert str(raised.value) == f"{str(path)!r} {message}"


def test_read_metric_history_refuses_when_not_utf8(tmp_path: Path) -> None:
    path = tmp_path / "m.csv"
    path.write_bytes(b"epoch,step\n\xff\n")

    with pytest.raises(ValueError, match="UTF-8") as raised:
        read_metric_history([path], renames={})

    assert str(raised.value) == f"{str(path)!r} is not UTF-8 text"


@pytest.mark.parametrize(
    ("mode", "expected"),
    [
        pytest.param("max", MetricPoint(0.9, 2), id="max"),
        pytest.param("min", MetricPoint(0.1, 0), id="min"),
    ],
)
def test_best_point_takes_the_first_best_finite_value_when_ranked(
    mode: str, expected: MetricPoint
) -> None:
    points = [
        MetricPoint(0.1, 0),
        MetricPoint(float("nan"), 1),
        MetricPoint(0.9, 2),
        MetricPoint(0.9, 3),
        MetricPoint(float("inf"), 4),
        MetricPoint(0.1, 5),
    ]

    assert best_point(points, mode) == expected  # type: ignore[arg-type]


def test_best_point_is_none_when_no_value_is_finite() -> None:
    assert best_point([MetricPoint(float("nan"))], "max") is None
    assert best_point([], "min") is None


def test_metric_history_is_empty_when_built_bare() -> None:
    assert MetricHistory().metrics == frozenset()


@pytest.mark.parametrize(
    ("legacy", "trainer"),
    [pytest.param(old, new, id=old) for old, new in LEGACY_METRIC_NAMES.items()],
)
def test_trainer_metric_name_maps_every_legacy_name_when_listed(legacy: str, trainer: str) -> None:
    assert trainer_metric_name(legacy) == trainer


def test_trainer_metric_names_prefers_the_trainer_name_when_both_are_present() -> None:
    renamed = trainer_metric_names({"hmean": 0.5, "val/hmean": 0.75, "recall": 0.25, "x": 1.0})

    assert renamed == {"val/hmean": 0.75, "val/recall": 0.25, "x": 1.0}
