"""Finding the factors of an ablation: what varies, what follows, what is refused."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from ocr.ablation import AblationRun, flatten_config
from ocr.ablation._factors import (
    FactorChoice,
    check_factor_types,
    check_keys,
    detect_factors,
    nearest_keys,
)
from ocr.errors import AblationKeyError, AblationTypeError
from tests.ablation_trees import trainer_config

__all__: list[str] = []


def _run(name: str, overrides: tuple[str, ...] = (), **changes: Any) -> AblationRun:
    config = flatten_config(trainer_config(**changes))
    return AblationRun(
        name=name, run_dir=Path("/r") / name, root=Path("/r"), config=config, overrides=overrides
    )


def test_detect_factors_finds_the_swept_keys_minus_the_seed_when_a_sweep_varies_them() -> None:
    runs = [
        _run(f"s/{i}", (f"model.encoder={enc}", f"seed={seed}"), model__encoder=enc, seed=seed)
        for i, (enc, seed) in enumerate(
            [("tiny_cnn", 0), ("tiny_cnn", 1), ("tiny_resnet", 0), ("tiny_resnet", 1)]
        )
    ]

    assert detect_factors(runs, seed_key="seed") == FactorChoice(("model.encoder",))


def test_detect_factors_puts_overridden_keys_first_when_configs_also_differ() -> None:
    runs = [
        _run("a", ("trainer.max_epochs=3",), trainer__max_epochs=3, model__width=4),
        _run("b", ("trainer.max_epochs=9",), trainer__max_epochs=9, model__width=16),
        _run("c", (), trainer__max_epochs=9, model__width=4),
    ]

    assert detect_factors(runs, seed_key="seed").factors == ("trainer.max_epochs", "model.width")


def test_detect_factors_expands_a_config_group_into_the_keys_it_changed_when_overridden() -> None:
    runs = [
        _run("a", ("model=dbnet_tiny",), model__decoder="unet"),
        _run("b", ("model=dbnet_fpn",), model__decoder="fpn"),
    ]

    assert detect_factors(runs, seed_key="seed").factors == ("model.decoder",)


def test_detect_factors_leaves_out_paths_names_and_own_folders_when_they_differ() -> None:
    runs = [
        _run(
            "x/0", paths__output_root="/a", experiment__name="one", checkpoint__dirpath="x/0/ckpt"
        ),
        _run(
            "x/1", paths__output_root="/b", experiment__name="two", checkpoint__dirpath="x/1/ckpt"
        ),
    ]

    assert detect_factors(runs, seed_key="seed") == FactorChoice(())


def test_detect_factors_keeps_a_key_only_some_runs_have_when_an_override_set_it() -> None:
    runs = [_run("a", ("+model.dropout=0.1",), model__dropout=0.1), _run("b")]

    assert detect_factors(runs, seed_key="seed").factors == ("model.dropout",)


def test_detect_factors_ignores_a_key_only_some_runs_have_when_it_never_differs() -> None:
    assert detect_factors([_run("a", extra=1), _run("b")], seed_key="seed").factors == ()


def test_detect_factors_names_keys_that_follow_a_factor_when_they_split_runs_alike() -> None:
    runs = [
        _run("a", ("model.encoder=tiny_cnn",), model__encoder="tiny_cnn", model__lr=0.1),
        _run("b", ("model.encoder=tiny_resnet",), model__encoder="tiny_resnet", model__lr=0.2),
    ]

    choice = detect_factors(runs, seed_key="seed")

    assert choice.factors == ("model.encoder",)
    assert choice.followers == {"model.lr": "model.encoder"}


def test_detect_factors_takes_another_seed_key_when_told() -> None:
    runs = [_run("a", data__seed=0, seed=0), _run("b", data__seed=1, seed=0)]

    assert detect_factors(runs, seed_key="data.seed").factors == ()
    assert detect_factors(runs, seed_key="seed").factors == ("data.seed",)


def test_check_keys_names_the_nearest_keys_when_a_key_is_unknown() -> None:
    with pytest.raises(AblationKeyError) as raised:
        check_keys([_run("a")], ["model.encodr"], option="--by")

    assert str(raised.value) == (
        "--by 'model.encodr': no selected run's config has this key "
        "(nearest: model.encoder, model.decoder, model.head). "
        "Name a dotted key of the runs' saved configs, e.g. model.encoder"
    )


def test_check_keys_passes_when_some_run_has_each_key() -> None:
    check_keys([_run("a"), _run("b", extra=1)], ["extra", "model.width"], option="--by")


@pytest.mark.parametrize(
    ("key", "near"),
    [
        pytest.param("model.widht", ["model.width"], id="typo"),
        pytest.param("width", ["data.width", "model.width"], id="last-part"),
        pytest.param("zzz", [], id="nothing"),
    ],
)
def test_nearest_keys_suggests_close_keys_when_asked(key: str, near: list[str]) -> None:
    assert nearest_keys(key, ["model.width", "data.width", "model.encoder", "seed"]) == near


def test_check_factor_types_names_a_run_of_each_kind_when_runs_disagree() -> None:
    runs = [_run("a", model__width=8), _run("b", model__width="8"), _run("c", model__width=None)]

    with pytest.raises(AblationTypeError) as raised:
        check_factor_types(runs, ["model.width"])

    assert str(raised.value) == (
        "the runs disagree on the type of 'model.width': a number ('8') in 'a'; "
        "a string ('8') in 'b'. Make their configs agree, or leave the odd runs out "
        "(--where, --sweep)"
    )


def test_check_factor_types_accepts_ints_floats_and_nulls_when_mixed() -> None:
    check_factor_types(
        [_run("a", model__lr=1), _run("b", model__lr=0.5), _run("c", model__lr=None)], ["model.lr"]
    )
