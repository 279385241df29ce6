from __future__ import annotations

import copy
import os
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import torch

from ocr.errors import CheckpointLoadError, ModelBuildError
from ocr.train.module import DetectorModule
from ocr.ui.compatibility import Buildability, check_buildable
from ocr.ui.detector import CheckpointKey, Detector, ModelCache, build_detector
from tests.ui_runs import REFERENCE_CONFIG, save_weights


def _verdict(**model: Any) -> Buildability:
    config = copy.deepcopy(REFERENCE_CONFIG)
    config["model"].update(model)
    return check_buildable(config)


@pytest.fixture
def checkpoint(tmp_path: Path) -> Path:
    torch.manual_seed(0)
    path = tmp_path / "outputs" / "a.ckpt"
    save_weights(path, DetectorModule(width=4))
    return path


def _key(path: Path) -> CheckpointKey:
    return CheckpointKey.of(path, within=[path.parents[1]])


def test_detector_gives_a_map_at_the_input_size_when_built_from_the_run_config(
    checkpoint: Path,
) -> None:
    detector = build_detector(_key(checkpoint), _verdict())
    image = np.full((150, 100, 3), 240, dtype=np.uint8)

    prob = detector.probability(image, size=(64, 48))

    assert prob.shape == (64, 48) and prob.dtype == np.float32
    assert 0.0 <= prob.min() <= prob.max() <= 1.0
    assert not detector.module.training
    reference = DetectorModule(width=4)
    reference.load_state_dict(torch.load(checkpoint, weights_only=True)["state_dict"])
    assert all(
        torch.equal(a, b)
        for a, b in zip(
            detector.module.state_dict().values(), reference.state_dict().values(), strict=True
        )
    )


def test_detector_loads_weights_when_they_were_saved_from_a_compiled_model(tmp_path: Path) -> None:
    module = DetectorModule(width=4)
    path = tmp_path / "compiled.ckpt"
    state = {k.replace("model.", "model._orig_mod.", 1): v for k, v in module.state_dict().items()}
    torch.save({"state_dict": state}, path)

    detector = build_detector(_key(path), _verdict())

    loaded = detector.module.state_dict()
    assert all(torch.equal(loaded[name], value) for name, value in module.state_dict().items())


def test_weights_are_refused_in_one_line_when_they_do_not_fit_the_config(checkpoint: Path) -> None:
    with pytest.raises(CheckpointLoadError) as raised:
        build_detector(_key(checkpoint), _verdict(width=8))

    message = str(raised.value)
    assert message.startswith(
        f"the weights of {str(checkpoint)!r} do not fit the model its run config builds "
        "(Error(s) in loading state_dict for DetectorModule: size mismatch for "
    )
    assert message.endswith(
        ". Check that the run config is the one the checkpoint was trained with"
    )
    assert "\n" not in message


def test_build_is_refused_with_the_verdict_when_model_cannot_be_built(checkpoint: Path) -> None:
    with pytest.raises(ModelBuildError) as raised:
        build_detector(_key(checkpoint), check_buildable(None))

    assert str(raised.value).startswith("its run has no saved config (.hydra/config.yaml)")


def test_build_reports_the_constructor_when_it_refuses_its_arguments(checkpoint: Path) -> None:
    with pytest.raises(ModelBuildError) as raised:
        build_detector(_key(checkpoint), _verdict(width=0))

    assert str(raised.value) == (
        "building ocr.train.module.DetectorModule from its run config failed: width must be a "
        "positive channel count, got 0. Check the model node of the run's config"
    )


def test_key_refuses_a_checkpoint_when_it_was_deleted(tmp_path: Path) -> None:
    with pytest.raises(CheckpointLoadError) as raised:
        CheckpointKey.of(tmp_path / "gone.ckpt", within=[tmp_path])

    assert str(raised.value) == (
        f"checkpoint {str(tmp_path / 'gone.ckpt')!r} no longer exists. Refresh the checkpoint list"
    )


def test_key_refuses_a_checkpoint_when_a_link_leads_out_of_the_roots(
    tmp_path: Path, checkpoint: Path
) -> None:
    root = tmp_path / "root"
    root.mkdir()
    (root / "link.ckpt").symlink_to(checkpoint)

    with pytest.raises(CheckpointLoadError) as raised:
        CheckpointKey.of(root / "link.ckpt", within=[root])

    assert str(raised.value) == (
        f"checkpoint {str(root / 'link.ckpt')!r} leads to {str(checkpoint)!r}, outside the folders "
        "the app reads. Start `ocr ui` on the root that holds it"
    )


def test_probability_map_is_refused_when_the_model_returns_something_else() -> None:
    detector = Detector(_key_of_nothing(), torch.nn.Flatten(), "torch.nn.Flatten")

    with pytest.raises(ModelBuildError) as raised:
        detector.probability(np.zeros((8, 8, 3), np.uint8), size=(8, 8))

    assert str(raised.value) == (
        "torch.nn.Flatten returned Tensor, not a probability map. Return a Bx1xHxW tensor, or a "
        "dict holding one under 'prob' or 'prob_maps' or 'probability'"
    )


def _key_of_nothing() -> CheckpointKey:
    return CheckpointKey(Path("/nowhere.ckpt"), 0, 0)


def test_cache_builds_a_checkpoint_once_when_asked_again(checkpoint: Path) -> None:
    cache = ModelCache()
    verdict = _verdict()

    first = cache.get(_key(checkpoint), verdict)
    second = cache.get(_key(checkpoint), verdict)

    assert first is second
    assert cache.builds == 1


def test_cache_builds_again_when_the_checkpoint_was_rewritten(checkpoint: Path) -> None:
    cache = ModelCache()
    verdict = _verdict()
    first = cache.get(_key(checkpoint), verdict)
    stat = checkpoint.stat()
    os.utime(checkpoint, ns=(stat.st_atime_ns, stat.st_mtime_ns + 1_000_000))

    second = cache.get(_key(checkpoint), verdict)

    assert second is not first
    assert cache.builds == 2


def test_cache_forgets_the_least_recently_used_when_full(tmp_path: Path) -> None:
    built: list[Path] = []

    def build(key: CheckpointKey, verdict: Buildability) -> Detector:
        built.append(key.path)
        return Detector(key, torch.nn.Identity(), "torch.nn.Identity")

    cache = ModelCache(capacity=2, build=build)
    keys = [CheckpointKey(tmp_path / f"{n}.ckpt", 1, 1) for n in "abc"]
    for key in (keys[0], keys[1], keys[0], keys[2], keys[0], keys[1]):
        cache.get(key, _verdict())

    assert [path.stem for path in built] == ["a", "b", "c", "b"]
    with pytest.raises(ValueError, match=r"^capacity must be at least 1, got 0$"):
        ModelCache(capacity=0)
