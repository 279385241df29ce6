from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import pytest
import yaml

from ocr.ui.compatibility import REFERENCE_MODULE, check_buildable, locate
from tests.ui_runs import REFERENCE_CONFIG

LEGACY_CONFIG = (
    Path(__file__).parents[2]
    / "fixtures/legacy_sample/outputs/ocr_training-dbnet-unet-resnet18/.hydra/config.yaml"
)
MODEL_CODE_FIX = (
    "Install the package that provides 'ocr.models.encoder.timm_backbone' (the trainer that "
    "made the checkpoint) in this environment and restart `ocr ui`; inference needs its model code"
)


def _config(**model: Any) -> dict[str, Any]:
    config = copy.deepcopy(REFERENCE_CONFIG)
    config["model"].update(model)
    return config


def test_reference_model_is_buildable_with_its_resolved_node_when_config_is_complete() -> None:
    config = _config(width="${data.batch_size}")

    verdict = check_buildable(config)

    assert verdict.buildable
    assert verdict.message == f"built by {REFERENCE_MODULE} from its run's config"
    assert verdict.target == REFERENCE_MODULE
    assert verdict.model_config["width"] == 8  # the interpolation is resolved


def test_legacy_model_needs_its_code_when_its_package_is_not_installed() -> None:
    verdict = check_buildable(yaml.safe_load(LEGACY_CONFIG.read_text()))

    assert not verdict.buildable
    assert verdict.message == (
        "its model code is not installed here: model.encoder._target_ "
        "'ocr.models.encoder.timm_backbone.TimmBackbone' (no module named 'ocr.models'). "
        + MODEL_CODE_FIX
    )


@pytest.mark.parametrize(
    ("config", "message"),
    [
        pytest.param(
            None,
            "its run has no saved config (.hydra/config.yaml), so nothing says how to build the "
            "model. Inference needs the run's config and its model code; restore the config "
            "beside the run",
            id="no-config",
        ),
        pytest.param(
            {"trainer": {}},
            "its run config (c.yaml) has no `model` node. Name the model class in the config's "
            "model._target_ (hydra.utils.instantiate builds it)",
            id="no-model-node",
        ),
        pytest.param(
            {"model": {"width": 4}},
            "its run config's model node (c.yaml) names no `_target_`. Name the model class in "
            "the config's model._target_ (hydra.utils.instantiate builds it)",
            id="no-target",
        ),
        pytest.param(
            _config(width="${team_resolver:4}"),
            "its run config's model node (c.yaml) cannot be resolved (Unsupported interpolation "
            "type team_resolver). Write plain values in the model node; the app knows no custom resolvers",
            id="unknown-resolver",
        ),
        pytest.param(
            {"model": {"_target_": "os.system", "command": "touch /tmp/owned"}},
            "model._target_ 'os.system' is not a torch module class; the app builds only torch "
            "modules from a run config. Build this model in your own code",
            id="not-a-module",
        ),
        pytest.param(
            _config(widht=4),
            f"{REFERENCE_MODULE} does not take the arguments of its run config's model node "
            "(c.yaml): got an unexpected keyword argument 'widht'. Fix the model node of the run "
            "config, or install the version of the code it was made with",
            id="wrong-argument",
        ),
        pytest.param(
            _config(encoder="resnet50"),
            "the reference trainer has no such part: unknown encoder 'resnet50'. Use one of: "
            "tiny_cnn, tiny_resnet",
            id="unknown-part",
        ),
        pytest.param(
            _config(encoder={"_target_": "teamcode.nets.Backbone"}),
            "its model code is not installed here: model.encoder._target_ "
            "'teamcode.nets.Backbone' (no module named 'teamcode'). Install the package that "
            "provides 'teamcode.nets' (the trainer that made the checkpoint) in this environment "
            "and restart `ocr ui`; inference needs its model code",
            id="nested-target-missing",
        ),
    ],
)
def test_model_is_refused_with_one_line_when_config_cannot_build_it(
    config: dict[str, Any] | None, message: str
) -> None:
    verdict = check_buildable(config, config_file="c.yaml")

    assert not verdict.buildable
    assert verdict.message == message
    assert verdict.model_config == {}


def test_nested_partial_callable_is_accepted_when_model_is_a_module() -> None:
    config = {
        "model": {
            "_target_": "torch.nn.Sequential",
            "_args_": [{"_target_": "torch.nn.Identity"}],
            "unused": {"_target_": "math.floor", "_partial_": True},
        }
    }

    assert check_buildable(
        {"model": {k: v for k, v in config["model"].items() if k != "unused"}}
    ).buildable
    refused = check_buildable(config)
    assert refused.message == (
        "torch.nn.Sequential does not take the arguments of its run config's model node: got an "
        "unexpected keyword argument 'unused'. Fix the model node of the run config, or install "
        "the version of the code it was made with"
    )


@pytest.mark.parametrize(
    ("name", "message"),
    [
        pytest.param(
            "ocr.models.encoder.X", "no module named 'ocr.models'", id="missing-submodule"
        ),
        pytest.param("nopackage_xyz.Net", "no module named 'nopackage_xyz'", id="missing-package"),
        pytest.param(
            "ocr.train.module.Nope", "no attribute 'ocr.train.module.Nope'", id="missing-class"
        ),
        pytest.param("not a name", "'not a name' is not a dotted Python name", id="not-dotted"),
    ],
)
def test_locate_says_what_is_missing_when_name_does_not_import(name: str, message: str) -> None:
    with pytest.raises(ImportError) as raised:
        locate(name)

    assert str(raised.value) == message


def test_locate_reports_the_failing_import_when_a_module_needs_a_missing_one(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "needs_missing.py").write_text("import missing_dependency_xyz\n")
    monkeypatch.syspath_prepend(str(tmp_path))

    with pytest.raises(ImportError) as raised:
        locate("needs_missing.Net")

    assert str(raised.value) == (
        "importing 'needs_missing.Net' failed: No module named 'missing_dependency_xyz'"
    )
