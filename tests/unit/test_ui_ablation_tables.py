"""The Ablation page's choices and tables, from runs and the ablation's JSON data."""

from __future__ import annotations

import math
from pathlib import Path

from ocr.ablation import AblationRun, MetricHistory, MetricPoint, ablation_json, analyse
from ocr.ui.ablation_tables import (
    ALL_RUNS,
    config_key_choices,
    effect_rows,
    group_rows,
    metric_choices,
    run_rows,
    sweep_choices,
)

__all__: list[str] = []


def _run(
    name: str,
    *,
    width: int = 8,
    seed: int = 0,
    hmean: float | None = 0.5,
    sweep: str | None = None,
    monitor: str | None = None,
    era: str | None = None,
) -> AblationRun:
    points = {"val/loss": (MetricPoint(epoch=0, step=1, value=1.0),)}
    if hmean is not None:
        points["val/hmean"] = (MetricPoint(epoch=0, step=1, value=hmean),)
    return AblationRun(
        name=name,
        run_dir=Path("/r") / name,
        root=Path("/r"),
        era=era,
        sweep_id=sweep,
        config={"model.width": width, "seed": seed, "trainer.max_epochs": 3},
        history=MetricHistory(points),
        monitor=monitor,
    )


def test_sweeps_are_offered_newest_first_with_their_job_counts_when_runs_hold_several() -> None:
    runs = [
        _run("2025-10-18/14-05-00/0", sweep="old"),
        _run("2025-10-18/14-05-00/1", sweep="old"),
        _run("2025-10-19/09-00-00/0", sweep="new"),
        _run("2025-10-19/10-00-00"),
    ]

    assert sweep_choices(runs) == {
        ALL_RUNS: "every run under the roots",
        "new": "2025-10-19/09-00-00 (1 jobs, sweep new)",
        "old": "2025-10-18/14-05-00 (2 jobs, sweep old)",
    }


def test_metrics_start_with_the_watched_one_then_val_hmean_when_logged() -> None:
    watched = [_run("a", monitor="val/loss"), _run("b", monitor="val/loss"), _run("c")]

    assert metric_choices(watched) == ["val/loss", "val/hmean"]
    assert metric_choices([_run("a")]) == ["val/hmean", "val/loss"]
    assert metric_choices([_run("a", hmean=None)]) == ["val/loss"]


def test_config_keys_that_vary_come_first_when_offered_as_factors() -> None:
    runs = [_run("a", width=4, seed=0), _run("b", width=16, seed=1)]

    assert config_key_choices(runs) == ["model.width", "seed", "trainer.max_epochs"]


def test_group_and_run_rows_hold_the_ablation_s_numbers_when_built_from_its_json() -> None:
    runs = [
        _run("s/0", width=4, seed=0, hmean=0.6),
        _run("s/1", width=4, seed=1, hmean=0.7),
        _run("s/2", width=16, seed=0, hmean=0.9),
        _run("s/3", width=16, seed=1, hmean=float("nan")),
        _run("old|run_1", width=16, seed=2, hmean=0.8, era="name_based"),
    ]
    data = ablation_json(analyse(runs, metric="val/hmean"))

    groups = group_rows(data)
    rows = run_rows(data)
    (effect,) = effect_rows(data)

    assert [(g["model.width"], g["n"], g["baseline"]) for g in groups] == [
        (4, 2, True),
        (16, 2, False),
    ]
    assert math.isclose(groups[0]["mean"], 0.65)
    assert groups[0]["Δ vs baseline"] is None
    assert math.isclose(groups[1]["Δ vs baseline"], 0.2)
    assert math.isclose(groups[1]["Δ %"], 0.2 / 0.65 * 100)
    assert [row["run"] for row in rows] == ["s/0", "s/1", "s/2", "s/3", "old|run_1"]
    assert rows[3]["kept out because"] == "val/hmean is not a number (diverged)"
    assert rows[4]["status"] == "legacy"
    assert rows[4]["seed"] == "2"
    assert effect["factor"] == "model.width"
    assert (effect["best"], effect["worst"]) == ("16", "4")
