"""The analysis: per-run values, groups, baselines, exclusions, effects, noise and notes."""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given

from ocr.ablation import (
    AblationRun,
    MetricHistory,
    MetricPoint,
    analyse,
    default_mode,
    flatten_config,
)
from ocr.ablation._factors import group_key
from ocr.errors import AblationKeyError, AblationSelectionError
from ocr.registry import Status
from tests.ablation_trees import trainer_config
from tests.strategies import ablation_runs

__all__: list[str] = []


def _run(
    name: str,
    values: list[float],
    *,
    status: Status | None = Status.COMPLETED,
    metric: str = "val/hmean",
    **changes: Any,
) -> AblationRun:
    points = tuple(MetricPoint(v, epoch, 16 * epoch + 15) for epoch, v in enumerate(values))
    return AblationRun(
        name=name,
        run_dir=Path("/r") / name,
        root=Path("/r"),
        status=status,
        error="RuntimeError: boom" if status is Status.FAILED else None,
        sweep_id="sweep1",
        config=flatten_config(trainer_config(**changes)),
        overrides=tuple(f"{k.replace('__', '.')}={v}" for k, v in changes.items()),
        history=MetricHistory({metric: points} if points else {}),
    )


# Two encoders, two seeds each: tiny_cnn ends at [0.80, 0.82], tiny_resnet at [0.90, 0.94].
ENCODER_SWEEP = [
    _run("s/0", [0.5, 0.80], model__encoder="tiny_cnn", seed=0),
    _run("s/1", [0.6, 0.82, 0.7], model__encoder="tiny_cnn", seed=1),
    _run("s/2", [0.90], model__encoder="tiny_resnet", seed=0),
    _run("s/3", [0.94, 0.93], model__encoder="tiny_resnet", seed=1),
]


def test_analyse_groups_seeds_and_compares_with_the_first_group_when_one_factor_varies() -> None:
    ablation = analyse(ENCODER_SWEEP)

    assert ablation.factors == ("model.encoder",)
    assert (ablation.metric, ablation.mode, ablation.value) == ("val/hmean", "max", "best")
    cnn, resnet = ablation.groups
    assert cnn.factors == ("tiny_cnn",) and cnn.is_baseline and cnn.versus_baseline is None
    assert cnn.summary.n == 2
    assert cnn.summary.mean == pytest.approx(0.81)
    assert cnn.summary.std == pytest.approx(math.sqrt(0.0002))
    assert resnet.baseline == ("tiny_cnn",)
    versus = resnet.versus_baseline
    assert versus is not None
    assert versus.delta == pytest.approx(0.11)
    assert versus.delta_pct == pytest.approx(100 * 0.11 / 0.81)
    # t = 0.11 / sqrt(0.0008/2 + 0.0002/2) = 4.919, dof = 1.4706 (Welch): p = 0.0693
    assert versus.p_value == pytest.approx(0.0692862, rel=1e-4)
    assert ablation.noise == pytest.approx(math.sqrt((0.0002 + 0.0008) / 2))
    assert ablation.notes == (
        "baseline: the first group; choose another with --baseline KEY=VALUE",
        "two runs per group leave Welch's test about one degree of freedom: only a difference "
        "many times the noise reaches p < 0.05; more seeds per group sharpen it",
    )


def test_analyse_reports_best_and_last_with_their_epoch_and_step_when_a_run_peaked_early() -> None:
    outcome = analyse(ENCODER_SWEEP).runs[1]

    assert outcome.best == MetricPoint(0.82, 1, 31)
    assert outcome.last == MetricPoint(0.7, 2, 47)
    assert outcome.value == 0.82
    assert outcome.seed == 1


def test_analyse_aggregates_the_last_values_when_asked() -> None:
    cnn, resnet = analyse(ENCODER_SWEEP, value="last").groups

    assert cnn.summary.mean == pytest.approx(0.75)
    assert resnet.summary.mean == pytest.approx(0.915)


def test_analyse_compares_with_the_named_group_when_a_baseline_is_given() -> None:
    ablation = analyse(ENCODER_SWEEP, baseline={"model.encoder": "tiny_resnet"})

    cnn, resnet = ablation.groups
    assert resnet.is_baseline and not cnn.is_baseline
    assert cnn.versus_baseline is not None
    assert cnn.versus_baseline.delta == pytest.approx(-0.11)
    assert ablation.baseline == (("model.encoder", "tiny_resnet"),)
    assert ablation.notes[0].startswith("two runs per group leave Welch's test about one degree")


def test_analyse_compares_within_each_other_level_when_the_baseline_names_one_factor() -> None:
    runs = [
        _run(f"g/{i}", [value], model__encoder=encoder, model__width=width, seed=i % 2)
        for i, (encoder, width, value) in enumerate(
            [
                ("tiny_cnn", 4, 0.70),
                ("tiny_cnn", 4, 0.74),
                ("tiny_cnn", 16, 0.80),
                ("tiny_resnet", 4, 0.80),
                ("tiny_resnet", 16, 0.90),
            ]
        )
    ]

    ablation = analyse(runs, baseline={"model.width": "16"})

    assert ablation.factors == ("model.encoder", "model.width")
    by_factors = {group.factors: group for group in ablation.groups}
    assert [g.factors for g in ablation.groups if g.is_baseline] == [
        ("tiny_cnn", 16),
        ("tiny_resnet", 16),
    ]
    assert by_factors["tiny_cnn", 4].baseline == ("tiny_cnn", 16)
    assert by_factors["tiny_resnet", 4].baseline == ("tiny_resnet", 16)
    versus = by_factors["tiny_cnn", 4].versus_baseline
    assert versus is not None
    assert versus.delta == pytest.approx(-0.08)
    assert versus.p_value is None  # the baseline group has one run


@pytest.mark.parametrize(
    ("text", "width"),
    [
        pytest.param("16", 16, id="int"),
        pytest.param("16.0", 16, id="float"),
        pytest.param("1.6e1", 16, id="exp"),
    ],
)
def test_analyse_matches_a_numeric_baseline_by_value_when_spelled_otherwise(
    text: str, width: int
) -> None:
    runs = [_run("a", [0.5], model__width=4), _run("b", [0.6], model__width=width)]

    ablation = analyse(runs, baseline={"model.width": text})

    assert [group.is_baseline for group in ablation.groups] == [False, True]


def test_analyse_keeps_failed_interrupted_running_and_unreadable_runs_out_when_listed() -> None:
    unreadable = AblationRun(
        name="s/6",
        run_dir=Path("/r/s/6"),
        root=Path("/r"),
        problems=("'/r/s/6/.hydra/config.yaml': unreadable run config (bad)", "and another"),
        history=MetricHistory({"val/hmean": (MetricPoint(0.99),)}),
    )
    runs = [
        *ENCODER_SWEEP,
        _run("s/4", [0.95], status=Status.FAILED, model__encoder="tiny_cnn", seed=2),
        _run("s/5", [0.96], status=Status.INTERRUPTED, model__encoder="tiny_cnn", seed=3),
        _run("s/7", [0.97], status=Status.RUNNING, model__encoder="tiny_resnet", seed=2),
        unreadable,
        _run("s/8", [], model__encoder="tiny_resnet", seed=3),
        _run("s/9", [float("nan")], model__encoder="tiny_resnet", seed=4),
    ]

    ablation = analyse(runs)

    assert [(o.run.name, o.exclusion) for o in ablation.excluded] == [
        ("s/4", "failed: RuntimeError: boom"),
        ("s/5", "interrupted: no error text recorded"),
        ("s/7", "still running"),
        (
            "s/6",
            "unreadable: '/r/s/6/.hydra/config.yaml': unreadable run config (bad) (and 1 more)",
        ),
        ("s/8", "logged no val/hmean"),
        ("s/9", "val/hmean is not a number (diverged)"),
    ]
    assert [group.summary.n for group in ablation.groups] == [2, 2]
    assert "sweep sweep1 is still running: 8 of its 9 selected jobs finished" in ablation.notes


def test_analyse_counts_every_run_as_one_group_when_no_factor_varies() -> None:
    runs = [_run(f"r/{seed}", [0.5 + seed / 10], seed=seed) for seed in range(3)]

    ablation = analyse(runs)

    assert ablation.factors == ()
    (group,) = ablation.groups
    assert group.is_baseline and group.summary.n == 3
    assert ablation.effects == ()
    assert ablation.notes == ()


def test_analyse_takes_the_given_factors_and_seed_key_when_told() -> None:
    runs = [
        _run(f"r/{i}", [0.5 + i / 10], data__seed=i % 2, model__width=4 * (1 + i // 2))
        for i in range(4)
    ]

    ablation = analyse(runs, by=["model.width"], seed_key="data.seed")

    assert ablation.factors == ("model.width",)
    assert [o.seed for o in ablation.runs] == [0, 1, 0, 1]
    assert [group.summary.n for group in ablation.groups] == [2, 2]


def test_analyse_measures_each_factor_averaged_over_the_others_when_several_vary() -> None:
    runs = [
        _run(f"e/{i}", [value], model__encoder=encoder, model__width=width, seed=i)
        for i, (encoder, width, value) in enumerate(
            [
                ("tiny_cnn", 4, 0.6),
                ("tiny_cnn", 16, 0.8),
                ("tiny_resnet", 4, 0.62),
                ("tiny_resnet", 16, 0.86),
            ]
        )
    ]

    encoder, width = analyse(runs).effects

    assert encoder.basis == width.basis == "all"
    assert (encoder.best, encoder.worst) == ("tiny_resnet", "tiny_cnn")
    assert encoder.spread == pytest.approx(0.04)
    assert (width.best, width.worst) == (16, 4)
    assert width.spread == pytest.approx(0.22)
    assert [summary.mean for _, summary in width.levels] == [
        pytest.approx(0.61),
        pytest.approx(0.83),
    ]


def test_analyse_compares_levels_where_they_met_when_the_sweep_is_unbalanced() -> None:
    cells = [("tiny_cnn", 8, 0.89), ("tiny_cnn", 8, 0.90), ("tiny_resnet", 4, 0.70)]
    cells += [("tiny_resnet", 8, 0.92), ("tiny_resnet", 8, 0.91), ("tiny_resnet", 16, 0.95)]
    runs = [
        _run(f"u/{i}", [value], model__encoder=encoder, model__width=width, seed=i)
        for i, (encoder, width, value) in enumerate(cells)
    ]

    encoder, width = analyse(runs, by=["model.encoder", "model.width"]).effects

    # Over everything, tiny_resnet would average in its widths 4 and 16; at width 8 it wins.
    assert (encoder.basis, encoder.best, encoder.worst) == ("matched", "tiny_resnet", "tiny_cnn")
    assert encoder.spread == pytest.approx(0.915 - 0.895)
    assert [summary.n for _, summary in encoder.levels] == [2, 2]
    assert (width.basis, width.best, width.worst) == ("matched", 16, 4)  # tiny_resnet's widths


def test_analyse_says_a_factor_is_confounded_when_its_levels_never_met() -> None:
    cells = [("tiny_cnn", 4, 0.6), ("tiny_resnet", 16, 0.9)]
    runs = [
        _run(f"c/{i}", [value], model__encoder=encoder, model__width=width)
        for i, (encoder, width, value) in enumerate(cells)
    ]

    encoder, width = analyse(runs, by=["model.encoder", "model.width"]).effects

    assert encoder.basis == width.basis == "confounded"
    assert encoder.spread == pytest.approx(0.3)


def test_analyse_ranks_the_lowest_first_when_the_metric_is_a_loss() -> None:
    runs = [
        _run("a", [2.0, 1.0, 1.5], metric="val/loss", model__width=4),
        _run("b", [0.5, 0.8], metric="val/loss", model__width=16),
    ]

    ablation = analyse(runs, metric="val/loss")

    assert ablation.mode == "min"
    assert [o.best for o in ablation.runs] == [MetricPoint(1.0, 1, 31), MetricPoint(0.5, 0, 15)]
    assert (ablation.effects[0].best, ablation.effects[0].worst) == (16, 4)


def test_analyse_defaults_to_the_monitored_metric_when_runs_name_one() -> None:
    runs = [
        AblationRun(
            name=name,
            run_dir=Path(name),
            root=Path(),
            monitor="val/recall",
            history=MetricHistory(
                {"val/recall": (MetricPoint(0.5),), "val/hmean": (MetricPoint(0.4),)}
            ),
        )
        for name in ("a", "b")
    ]

    assert analyse(runs).metric == "val/recall"


def test_analyse_notes_keys_that_follow_a_factor_and_legacy_runs_when_present() -> None:
    legacy = AblationRun(
        name="old",
        run_dir=Path("/r/old"),
        root=Path("/r"),
        era="name_based",
        config=flatten_config(trainer_config(model__encoder="tiny_cnn", model__lr=0.1)),
        history=MetricHistory({"val/hmean": (MetricPoint(0.5),)}),
    )
    runs = [legacy, _run("new", [0.6], model__encoder="tiny_resnet", model__lr=0.2)]

    notes = analyse(runs).notes

    assert "model.lr is not a column: it splits the runs as model.encoder does" in notes
    assert (
        "1 legacy run(s) read through ocr.compat, metric names mapped (docs/ablation.md)" in notes
    )


@pytest.mark.parametrize(
    ("options", "error", "message"),
    [
        pytest.param(
            {"metric": "val/hmaen"},
            AblationKeyError,
            "no selected run logged the metric 'val/hmaen' (nearest: val/hmean). "
            "Choose a logged metric with --metric, e.g. val/hmean",
            id="metric",
        ),
        pytest.param(
            {"baseline": {"model.width": "4"}},
            AblationKeyError,
            "--baseline model.width=4: 'model.width' is not a factor of this table "
            "(factors: model.encoder). Name a factor's key, or choose the factors with --by",
            id="baseline-key",
        ),
        pytest.param(
            {"baseline": {"model.encoder": "vit"}},
            AblationKeyError,
            "--baseline model.encoder=vit: no group has this value (values: tiny_cnn, tiny_resnet). "
            "Give one of the values the table shows",
            id="baseline-value",
        ),
        pytest.param(
            {"seed_key": "sede"},
            AblationKeyError,
            "--seed-key 'sede': no selected run's config has this key (nearest: seed). "
            "Name a dotted key of the runs' saved configs, e.g. model.encoder",
            id="seed-key",
        ),
    ],
)
def test_analyse_refuses_with_one_line_when_asked_for_what_no_run_has(
    options: dict[str, Any], error: type[Exception], message: str
) -> None:
    with pytest.raises(error) as raised:
        analyse(ENCODER_SWEEP, **options)

    assert str(raised.value) == message


def test_analyse_refuses_when_no_runs_are_given() -> None:
    with pytest.raises(AblationSelectionError) as raised:
        analyse([])

    assert str(raised.value) == (
        "no runs selected. Check the roots and the selection (ocr registry list)"
    )


def test_default_mode_is_min_for_losses_and_errors_when_named_so() -> None:
    assert [
        default_mode(m) for m in ("val/loss", "train/loss_epoch", "cer_error", "val/hmean")
    ] == [
        "min",
        "min",
        "min",
        "max",
    ]


@given(runs=ablation_runs())
def test_every_included_run_lands_in_exactly_one_group_when_grouped(
    runs: list[AblationRun],
) -> None:
    if not any(run.history.points("val/hmean") for run in runs):
        with pytest.raises(AblationKeyError):
            analyse(runs, metric="val/hmean", by=["model.encoder", "model.width"])
        return

    ablation = analyse(runs, metric="val/hmean", by=["model.encoder", "model.width"])

    included = [o for o in ablation.runs if o.is_included]
    grouped = [o.run.name for group in ablation.groups for o in group.runs]
    assert sorted(grouped) == sorted(o.run.name for o in included)
    assert sum(group.summary.n for group in ablation.groups) == len(included)
    assert len({tuple(map(group_key, g.factors)) for g in ablation.groups}) == len(ablation.groups)
    for group in ablation.groups:
        assert all(
            tuple(map(group_key, o.factors)) == tuple(map(group_key, group.factors))
            for o in group.runs
        )
        assert group.summary.minimum <= group.summary.mean + 1e-12
        assert group.summary.mean <= group.summary.maximum + 1e-12
        assert (group.summary.std is None) == (group.summary.n == 1)
    for outcome in ablation.runs:
        clean = outcome.run.status in (Status.COMPLETED, None) and not outcome.run.problems
        assert outcome.is_included == (
            clean and outcome.value is not None and math.isfinite(outcome.value)
        )
    assert sum(group.is_baseline for group in ablation.groups) == (1 if ablation.groups else 0)
