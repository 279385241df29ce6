from __future__ import annotations

import importlib.util
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

import ocr.compat
from ocr.compat import LEGACY_ENV_VAR, is_legacy_enabled, set_legacy_enabled
from ocr.compat._shared import (
    Recovered,
    Source,
    model_from_hydra_config,
    model_from_state_dict_keys,
    model_from_wandb_config,
)

if TYPE_CHECKING:
    from collections.abc import Iterator
    from types import ModuleType

LEGACY = Path(__file__).parents[2] / "fixtures" / "legacy"
REGENERATE = "python fixtures/legacy/make_legacy_fixtures.py"


def _model(source: Source, **names: str) -> dict[str, Recovered[str]]:
    return {field: Recovered(name, source) for field, name in names.items()}


@pytest.fixture(autouse=True)
def _switch_follows_the_environment() -> Iterator[None]:
    set_legacy_enabled(None)
    yield
    set_legacy_enabled(None)


def _generator() -> ModuleType:
    spec = importlib.util.spec_from_file_location(
        "make_legacy_fixtures", LEGACY / "make_legacy_fixtures.py"
    )
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_committed_fixtures_match_the_generator_when_regenerated(tmp_path: Path) -> None:
    generator = _generator()
    generator.make_fixtures(tmp_path)
    generated = sorted(p.relative_to(tmp_path) for p in tmp_path.rglob("*") if p.is_file())
    committed = sorted(
        p.relative_to(LEGACY)
        for era in generator.ERAS
        for p in (LEGACY / era).rglob("*")
        if p.is_file()
    )
    assert generated == committed, f"fixture files differ; regenerate with `{REGENERATE}`"
    for relative in generated:
        assert (tmp_path / relative).read_bytes() == (LEGACY / relative).read_bytes(), (
            f"{relative} differs from the generator; regenerate with `{REGENERATE}`"
        )


def test_generator_replaces_stale_files_when_run_again(tmp_path: Path) -> None:
    generator = _generator()
    stale = tmp_path / "A" / "stale.ckpt"
    stale.parent.mkdir(parents=True)
    stale.write_text("old")
    generator.make_fixtures(tmp_path)
    assert not stale.exists()


@pytest.mark.parametrize(
    ("config", "expected"),
    [
        pytest.param(
            LEGACY / "A" / "outputs" / "ocr_training-dbnet-pan_decoder-mobilenetv3_small_050",
            _model(
                Source.HYDRA_CONFIG,
                architecture="dbnet",
                encoder="mobilenetv3_small_050",
                decoder="pan_decoder",
                head="db_head",
            ),
            id="A-pan",
        ),
        pytest.param(
            LEGACY / "B" / "outputs" / "ocr_training",
            _model(
                Source.HYDRA_CONFIG,
                architecture="dbnet",
                encoder="resnet18",
                decoder="unet",
                head="db_head",
            ),
            id="B-unet-architectures-key",
        ),
        pytest.param(
            LEGACY / "C" / "outputs" / "receipt_detector",
            _model(
                Source.HYDRA_CONFIG,
                architecture="dbnetpp",
                encoder="resnet50",
                decoder="dbnetpp_decoder",
                head="dbnetpp_head",
            ),
            id="C-dbnetpp",
        ),
        pytest.param(
            LEGACY / "D" / "multirun" / "2025-10-09" / "01-50-37" / "0",
            _model(
                Source.HYDRA_CONFIG,
                architecture="dbnet",
                encoder="resnet34",
                decoder="fpn_decoder",
                head="db_head",
            ),
            id="D-fpn",
        ),
    ],
)
def test_model_is_read_from_the_hydra_config_when_a_fixture_has_one(
    config: Path, expected: dict[str, Recovered[str]]
) -> None:
    assert model_from_hydra_config(config / ".hydra" / "config.yaml") == expected


def test_model_is_read_from_the_wandb_config_when_values_are_wrapped() -> None:
    config = LEGACY / "C" / "wandb" / "run-20251009_015037-abc123de" / "files" / "config.yaml"
    assert model_from_wandb_config(config) == _model(
        Source.WANDB_CONFIG,
        architecture="dbnetpp",
        encoder="resnet50",
        decoder="dbnetpp_decoder",
        head="dbnetpp_head",
    )


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        pytest.param(None, {}, id="missing-file"),
        pytest.param("a: [1\n", {}, id="not-yaml"),
        pytest.param("- model\n", {}, id="not-a-mapping"),
        pytest.param("seed: 1\n", {}, id="no-model"),
        pytest.param("model: dbnet\n", {}, id="model-not-a-mapping"),
        pytest.param(
            "model:\n  architecture_name: unknown\n  encoder: {model_name: None}\n"
            "  decoder: {name: custom}\n  head: {_target_: x.OCRModel}\n",
            {},
            id="unknown-words-dropped",
        ),
        pytest.param(
            "model:\n  architectures: [craft]\n  encoder: efficientnet_b3\n"
            "  decoder: {_target_: my.pkg.MyFancyDecoder}\n  head: ${model.default_head}\n",
            _model(
                Source.HYDRA_CONFIG,
                architecture="craft",
                encoder="efficientnet_b3",
                decoder="my_fancy_decoder",
            ),
            id="list-plain-encoder-unknown-class-interpolation",
        ),
        pytest.param(
            "model:\n  architecture_name: ${arch}\n  architectures: [dbnet, craft]\n"
            "  architecture: DBNet\n  decoder: UNet\n  head: {name: my_head}\n",
            _model(Source.HYDRA_CONFIG, architecture="DBNet", decoder="unet", head="my_head"),
            id="fallback-keys-short-names",
        ),
    ],
)
def test_model_from_config_keeps_known_names_only_when_the_config_is_odd(
    tmp_path: Path, text: str | None, expected: dict[str, Recovered[str]]
) -> None:
    config = tmp_path / "config.yaml"
    if text is not None:
        config.write_text(text)
    assert model_from_hydra_config(config) == expected


def _resnet(blocks: tuple[int, ...], convs: int) -> dict[str, tuple[int, ...]]:
    return {
        f"model.encoder.model.layer{layer}.{block}.conv{conv}.weight": (64, 64, 3, 3)
        for layer, count in enumerate(blocks, start=1)
        for block in range(count)
        for conv in range(1, convs + 1)
    }


def _timm_blocks(
    stem: int, depths: tuple[int, ...], *, skip_stage: int | None = None
) -> dict[str, tuple[int, ...]]:
    """A timm encoder's keys: a stem, then ``blocks.<stage>.<block>`` convolutions."""
    shapes: dict[str, tuple[int, ...]] = {"model.encoder.model.conv_stem.weight": (stem, 3, 3, 3)}
    for stage, depth in enumerate(depths):
        if stage == skip_stage:
            continue
        for block in range(depth):
            prefix = f"model.encoder.model.blocks.{stage}.{block}"
            shapes[f"{prefix}.conv_pw.weight"] = (8, 8, 1, 1)
            shapes[f"{prefix}.bn1.running_mean"] = (8,)
    return shapes


@pytest.mark.parametrize(
    ("shapes", "expected"),
    [
        pytest.param(
            {
                "model.encoder.model.conv_stem.weight": (16, 3, 3, 3),
                "model.decoder.outers.0.weight": (64, 64, 3, 3),
                "model.decoder.inners.0.weight": (64, 16, 1, 1),
                "model.head.binarize.0.weight": (16, 64, 3, 3),
            },
            _model(
                Source.STATE_DICT,
                encoder="mobilenetv3_small_050",
                decoder="unet",
                head="db_head",
            ),
            id="mobilenet-small-050-unet-db-head",
        ),
        pytest.param(
            {
                "model._orig_mod.encoder.model.conv_stem.weight": (24, 3, 3, 3),
                "model._orig_mod.decoder.bottom_up.0.weight": (96, 96, 3, 3),
                "model._orig_mod.decoder.inners.0.weight": (96, 24, 1, 1),
            },
            _model(Source.STATE_DICT, encoder="mobilenetv3_small_075", decoder="pan_decoder"),
            id="compiled-small-075-pan",
        ),
        pytest.param(
            {
                "model.encoder.model.conv_stem.weight": (32, 3, 3, 3),
                "model.decoder.fusion.0.weight": (64, 256, 3, 3),
            },
            _model(Source.STATE_DICT, encoder="mobilenetv3_large_100", decoder="fpn_decoder"),
            id="other-stem-fpn",
        ),
        pytest.param(
            _resnet((2, 2, 2, 2), 2), _model(Source.STATE_DICT, encoder="resnet18"), id="resnet18"
        ),
        pytest.param(
            _resnet((3, 4, 6, 3), 2), _model(Source.STATE_DICT, encoder="resnet34"), id="resnet34"
        ),
        pytest.param(
            _resnet((3, 4, 6, 3), 3), _model(Source.STATE_DICT, encoder="resnet50"), id="resnet50"
        ),
        pytest.param(
            _resnet((2, 2), 2), _model(Source.STATE_DICT, encoder="resnet"), id="resnet-undecided"
        ),
        pytest.param(
            {"encoder.conv_stem.weight": (40, 3, 3, 3), "optimizer.step": (1,)},
            _model(Source.STATE_DICT, encoder="mobilenetv3_large_100"),
            id="no-prefix",
        ),
        pytest.param(
            {
                "model.decoder.lateral_convs.0.0.weight": (64, 64, 1, 1),
                "model.decoder.top_down.0.depthwise.weight": (64, 1, 3, 3),
                "model.decoder.bottom_up.0.pointwise.weight": (64, 64, 1, 1),
                "model.decoder.output_conv.0.weight": (128, 256, 3, 3),
            },
            _model(Source.STATE_DICT, decoder="dbnetpp_decoder"),
            id="dbnetpp-decoder-holds-bottom-up-too",
        ),
        pytest.param(
            {
                "model.decoder.reduce_convs.0.0.weight": (64, 64, 1, 1),
                "model.decoder.top_down_smooth.0.0.weight": (64, 64, 3, 3),
                "model.decoder.bottom_up.0.0.weight": (64, 64, 3, 3),
            },
            _model(Source.STATE_DICT, decoder="pan_decoder"),
            id="pan-decoder-with-top-down-smoothing",
        ),
        pytest.param(
            _timm_blocks(32, (1, 2, 2, 3, 3, 4, 1)),
            _model(Source.STATE_DICT, encoder="efficientnet_b0"),
            id="efficientnet-b0",
        ),
        pytest.param(
            _timm_blocks(40, (2, 3, 3, 5, 5, 6)),  # features_only: the last stage cut off
            _model(Source.STATE_DICT, encoder="efficientnet_b3"),
            id="efficientnet-b3",
        ),
        pytest.param(
            _timm_blocks(16, (1, 2, 3, 4, 2, 3, 1)),
            _model(Source.STATE_DICT, encoder="mobilenetv3_small_050"),
            id="mobilenet-blocks-keep-the-width-rule",
        ),
        pytest.param(
            _timm_blocks(40, (1, 2, 2, 3, 3, 4), skip_stage=2),
            _model(Source.STATE_DICT, encoder="mobilenetv3_large_100"),
            id="gapped-stages-decide-nothing",
        ),
        pytest.param({"model.encoder.conv_stem.weight": ()}, {}, id="scalar-stem"),
        pytest.param({"model.encoder.fc.weight": (10, 512)}, {}, id="nothing-decides"),
    ],
)
def test_model_is_recovered_from_shapes_when_keys_decide_it(
    shapes: dict[str, tuple[int, ...]], expected: dict[str, Recovered[str]]
) -> None:
    assert model_from_state_dict_keys(shapes) == expected


@pytest.mark.parametrize(
    ("value", "enabled"),
    [
        pytest.param(None, True, id="unset"),
        pytest.param("1", True, id="one"),
        pytest.param("0", False, id="zero"),
        pytest.param(" OFF ", False, id="off-any-case"),
        pytest.param("false", False, id="false"),
        pytest.param("no", False, id="no"),
    ],
)
def test_switch_follows_the_environment_when_nothing_is_set(
    monkeypatch: pytest.MonkeyPatch, value: str | None, enabled: bool
) -> None:
    if value is None:
        monkeypatch.delenv(LEGACY_ENV_VAR, raising=False)
    else:
        monkeypatch.setenv(LEGACY_ENV_VAR, value)
    assert is_legacy_enabled() is enabled


def test_setting_wins_over_the_environment_when_set(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(LEGACY_ENV_VAR, "0")
    set_legacy_enabled(True)
    assert is_legacy_enabled()
    set_legacy_enabled(None)
    assert not is_legacy_enabled()


def test_public_names_exist_once_when_exported() -> None:
    assert len(set(ocr.compat.__all__)) == len(ocr.compat.__all__)
    assert all(hasattr(ocr.compat, name) for name in ocr.compat.__all__)
