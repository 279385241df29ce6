from __future__ import annotations

import functools
import importlib.util
import io
import re
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest
import torch

from ocr.catalog import CheckpointCatalog
from ocr.compat import set_legacy_enabled
from ocr.compat._shared import (
    MULTIRUN_DIR_NAME,
    WANDB_DIR_NAME,
    Era,
    LegacySidecarFormat,
    legacy_sidecar_format,
    legacy_sidecar_paths,
    locate_legacy_run,
    read_legacy_sidecar,
)
from ocr.errors import LegacySidecarInvalidError
from ocr.metadata import UNKNOWN_NAMES

if TYPE_CHECKING:
    from collections.abc import Iterator
    from types import ModuleType

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures"
SAMPLE = FIXTURES / "legacy_sample"
REGENERATE = "python fixtures/make_legacy_sample.py"
ERAS = {"A": Era.A, "B": Era.B, "C": Era.C, "D": Era.D}
LIGHTNING_KEYS = {
    "epoch",
    "global_step",
    "state_dict",
    "optimizer_states",
    "lr_schedulers",
    "callbacks",
    "loops",
    "cleval_metrics",
}
# Every checkpoint name form of docs/legacy-formats.md, as the sample spells it.
NAME_FORMS = [
    "epoch=67-step=18564.ckpt",
    "epoch=10.ckpt",
    "epoch-8-step-1845.ckpt",
    "epoch--step-1845.ckpt",
    "epoch-18_step-003895.ckpt",
    "epoch_epoch=02-step_step=0819-loss_val_loss=1.5191.ckpt",
    "epoch_epoch=01-step_step=0546-loss_val/loss=1.6217.ckpt",
    "resnet34_bs4_epoch_epoch=28_step_step=23722.ckpt",
    "epoch_00_step_000103_20251009_015037.ckpt",
    "epoch_epoch_18_step_step_001957_20251009_015037.ckpt",
    "last_20251011_004442.ckpt",
    "epoch_28_step_023722.ckpt",
    "epoch_0_step_273.ckpt",
    "epoch-03_step-000820_hmean-0.8756.ckpt",
    "best-hmean-0.8920.ckpt",
    "best.ckpt",
    "best-v1.ckpt",
    "last.ckpt",
    "last-v1.ckpt",
    "model_final.ckpt",  # parses to nothing
]


@pytest.fixture(autouse=True, scope="module")
def _legacy_support_on() -> Iterator[None]:
    # Whatever the environment or an earlier test says: these trees are legacy.
    set_legacy_enabled(True)
    yield
    set_legacy_enabled(None)


@functools.cache
def _generator() -> ModuleType:
    path = FIXTURES / "make_legacy_sample.py"
    spec = importlib.util.spec_from_file_location("make_legacy_sample", path)
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    # dataclasses look their module up in sys.modules while the module runs.
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


def _files(root: Path) -> list[str]:
    return sorted(p.relative_to(root).as_posix() for p in root.rglob("*") if p.is_file())


def _loaded(data: bytes) -> object:
    return torch.load(io.BytesIO(data), weights_only=True)


def _same(left: object, right: object) -> bool:
    """Equal checkpoint contents: tensors by value, containers item by item."""
    if isinstance(left, torch.Tensor) and isinstance(right, torch.Tensor):
        return left.shape == right.shape and bool(torch.equal(left, right))
    if isinstance(left, dict) and isinstance(right, dict):
        return left.keys() == right.keys() and all(_same(left[k], right[k]) for k in left)
    if isinstance(left, list | tuple) and isinstance(right, list | tuple):
        return len(left) == len(right) and all(map(_same, left, right))
    return type(left) is type(right) and left == right


def _same_checkpoint(generated: bytes, committed: bytes) -> bool:
    # torch.save output is byte-for-byte stable for one torch version (checked
    # below); across versions, a checkpoint that loads the same is the same.
    try:
        return _same(_loaded(generated), _loaded(committed))
    except RuntimeError:  # a truncated checkpoint on both sides
        return len(generated) == len(committed)


def _roots(base: Path) -> list[Path]:
    return [base / "outputs", base / MULTIRUN_DIR_NAME, base / WANDB_DIR_NAME]


def _is_placeholder(name: str | None) -> bool:
    return name is not None and name.strip().lower() in UNKNOWN_NAMES


def test_committed_sample_matches_the_generator_when_regenerated(tmp_path: Path) -> None:
    _generator().generate(tmp_path)
    generated, committed = _files(tmp_path), _files(SAMPLE)
    assert generated == committed, f"sample files differ; regenerate with `{REGENERATE}`"
    for relative in generated:
        new, old = (tmp_path / relative).read_bytes(), (SAMPLE / relative).read_bytes()
        same = new == old or (relative.endswith(".ckpt") and _same_checkpoint(new, old))
        assert same, f"{relative} differs from the generator; regenerate with `{REGENERATE}`"


def test_checkpoints_are_the_same_bytes_when_built_twice() -> None:
    build = _generator()._build.__wrapped__
    first, second = build().files, build().files
    assert first.keys() == second.keys()
    assert all(first[path].data == second[path].data for path in first)


def test_generated_sample_carries_the_story_mtimes_when_written(tmp_path: Path) -> None:
    generator = _generator()
    generator.generate(tmp_path)
    planned = generator.planned_mtimes()
    written = {
        p.relative_to(tmp_path).as_posix(): p.stat().st_mtime_ns for p in tmp_path.rglob("*")
    }
    assert written == planned
    # Every folder is as new as the newest thing in it, none newer.
    folders = [p for p in tmp_path.rglob("*") if p.is_dir()]
    assert all(
        f.stat().st_mtime_ns == max(c.stat().st_mtime_ns for c in f.iterdir()) for f in folders
    )


def test_generator_replaces_stale_files_when_run_again(tmp_path: Path) -> None:
    stale = tmp_path / "outputs" / "stale" / "checkpoints" / "old.ckpt"
    stale.parent.mkdir(parents=True)
    stale.write_bytes(b"old")
    _generator().generate(tmp_path)
    assert not stale.exists()
    assert _files(tmp_path) == _files(SAMPLE)


def test_sample_is_small_when_committed() -> None:
    sizes = [p.stat().st_size for p in SAMPLE.rglob("*") if p.is_file()]
    checkpoints = [p.stat().st_size for p in SAMPLE.rglob("*.ckpt")]
    assert sum(sizes) < 400_000
    assert max(checkpoints) < 5_000


def test_sample_holds_every_legacy_name_form_when_listed() -> None:
    names = {
        Path(c.path).name if "loss_val/" not in c.path else "/".join(c.path.split("/")[-2:])
        for c in _generator().checkpoints()
    }
    assert set(NAME_FORMS) <= names


def test_sample_holds_every_sidecar_format_when_listed() -> None:
    formats = {legacy_sidecar_format(p) for p in SAMPLE.rglob("*") if p.is_file()}
    assert set(LegacySidecarFormat) <= formats
    best = SAMPLE / "outputs" / "ocr_training-dbnet-pan_decoder-mobilenetv3_small_050"
    sidecars = [
        read_legacy_sidecar(p) for p in legacy_sidecar_paths(best / "checkpoints" / "best.ckpt")
    ]
    assert {s.format for s in sidecars} == set(LegacySidecarFormat)
    assert len({(s.epoch, s.global_step) for s in sidecars}) == 2  # they disagree
    with pytest.raises(LegacySidecarInvalidError, match="not valid YAML"):
        read_legacy_sidecar(best / "checkpoints" / "last.ckpt.metadata.yaml")


def test_checkpoints_load_safely_and_are_lightning_shaped_when_not_corrupt() -> None:
    checked = 0
    for checkpoint in _generator().checkpoints():
        path = SAMPLE / checkpoint.path
        if checkpoint.sharded:  # a folder of shards: torch's business, never loaded by ocr
            assert (path / "latest").read_text() == "checkpoint"
            continue
        if checkpoint.corrupt:
            with pytest.raises(RuntimeError):
                torch.load(path, weights_only=True)
            continue
        loaded = torch.load(path, weights_only=True)
        assert loaded.keys() >= LIGHTNING_KEYS, checkpoint.path
        assert (loaded["epoch"], loaded["global_step"]) == (checkpoint.epoch, checkpoint.step)
        assert "hyper_parameters" not in loaded
        assert set(loaded["cleval_metrics"]) == {"recall", "precision", "hmean"}
        (callback,) = loaded["callbacks"].values()
        assert {"best_model_score", "monitor"} <= callback.keys()
        keys = list(loaded["state_dict"])
        assert all(
            re.match(r"model\.(_orig_mod\.)?(encoder\.model|decoder|head)\.", k) for k in keys
        )
        assert any(".head.binarize.0.weight" in key for key in keys)
        checked += 1
    assert checked == 34


def test_catalog_finds_every_checkpoint_with_no_placeholder_names_when_scanned(
    tmp_path: Path,
) -> None:
    generator = _generator()
    generator.generate(tmp_path)
    truth = {str(tmp_path / c.path): c for c in generator.checkpoints()}
    entries = CheckpointCatalog([tmp_path / "outputs"]).scan()
    assert sorted(e.path for e in entries) == sorted(truth)
    for entry in entries:
        real = truth[entry.path]
        assert entry.name is not None, entry.path
        names = (entry.name, entry.architecture, entry.encoder, entry.decoder, entry.head)
        assert not any(map(_is_placeholder, names)), entry
        # Every sidecar that outranks the others tells the truth, so what the
        # catalog says of epoch and step is either the truth or nothing.
        assert entry.epoch in (None, real.epoch), entry
        assert entry.step in (None, real.step), entry
        if re.search(r"epoch[=_-]+\d", entry.path.rsplit("/checkpoints/", 1)[1]):
            assert entry.epoch == real.epoch, entry


@pytest.mark.parametrize(
    "experiment",
    [pytest.param(e, id=e.folder) for e in _generator().experiments()],
)
def test_each_experiment_is_located_in_its_era_when_asked(experiment: Any) -> None:
    owned = [c for c in _generator().checkpoints() if c.experiment == experiment.folder]
    assert owned
    for checkpoint in owned:
        run = locate_legacy_run(SAMPLE / checkpoint.path, roots=_roots(SAMPLE))
        assert run is not None, checkpoint.path
        assert run.era is ERAS[experiment.era]
        assert run.folder == SAMPLE / experiment.folder
        config_dir = experiment.config_dir
        assert run.config_dir == (None if config_dir is None else SAMPLE / config_dir)
        wandb_dir = experiment.wandb_dir
        assert run.wandb_dir == (None if wandb_dir is None else SAMPLE / wandb_dir)
