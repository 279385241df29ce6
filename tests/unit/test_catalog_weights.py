from __future__ import annotations

import json
import os
import sys
import zipfile
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest
import torch

from ocr.catalog import CatalogEntry, CheckpointCatalog, read_weights
from ocr.cli import main
from ocr.compat import LEGACY_ENV_VAR
from ocr.errors import OcrError
from ocr.layout import RootLayout, RunLayout, allocate_launch_dir
from ocr.metadata import read_metadata, write_metadata

if TYPE_CHECKING:
    from collections.abc import Callable

FIXTURES = Path(__file__).parents[2] / "fixtures"
EXPERIMENT = "receipts_plain"  # a name that says nothing of the model
UNET = {
    "model.decoder.outers.0.weight": (8, 8, 3, 3),
    "model.decoder.inners.0.weight": (8, 16, 1, 1),
}
PAN = {
    "model.decoder.bottom_up.0.weight": (8, 8, 3, 3),
    "model.decoder.inners.0.weight": (8, 16, 1, 1),
}
FPN = {"model.decoder.fusion.0.weight": (8, 32, 3, 3)}
HEAD = {"model.head.binarize.0.weight": (2, 8, 3, 3)}


def _write_marker(marker: str) -> None:
    Path(marker).write_text("a full unpickle ran this")


class Trap:
    """Unpickling this writes a marker file: proof that a load ran code."""

    def __init__(self, marker: Path) -> None:
        self.marker = str(marker)

    def __reduce__(self) -> tuple[Callable[[str], None], tuple[str]]:
        return (_write_marker, (self.marker,))


class StatefulTrap:
    """A plain instance whose unpickling (``__setstate__``) writes a marker file."""

    def __init__(self, marker: Path) -> None:
        self.marker = str(marker)

    def __setstate__(self, state: dict[str, str]) -> None:
        _write_marker(state["marker"])


def _stem(width: int) -> dict[str, tuple[int, ...]]:
    return {"model.encoder.model.conv_stem.weight": (width, 3, 3, 3)}


def _lightning(shapes: dict[str, tuple[int, ...]], **extra: Any) -> dict[str, Any]:
    """A checkpoint shaped like the legacy trainer's (docs/legacy-formats.md), tiny tensors."""
    return {
        "epoch": 3,
        "global_step": 120,
        "pytorch-lightning_version": "2.1.0",
        "state_dict": {key: torch.zeros(shape) for key, shape in shapes.items()},
        "optimizer_states": [{"state": {}, "param_groups": [{"lr": 0.001, "params": [0]}]}],
        "lr_schedulers": [],
        "loops": {"fit_loop": {"state_dict": {}, "epoch_progress": {"current": {"completed": 3}}}},
        "callbacks": {
            "ModelCheckpoint{'monitor': 'val/hmean', 'mode': 'max'}": {
                "monitor": "val/hmean",
                "best_model_score": torch.tensor(0.9),
                "best_model_path": "/old/place/checkpoints/epoch=5-step=200.ckpt",
                "current_score": torch.tensor(0.8),
                "best_k_models": {
                    "/old/place/checkpoints/epoch=3-step=120.ckpt": torch.tensor(0.8),
                    "/old/place/checkpoints/epoch=5-step=200.ckpt": torch.tensor(0.9),
                },
            }
        },
        "cleval_metrics": {"recall": 0.7, "precision": torch.tensor(0.75), "hmean": 0.72},
        **extra,
    }


def _checkpoint(root: Path, name: str, content: object, *, experiment: str = EXPERIMENT) -> Path:
    path = RunLayout(root / experiment).checkpoint_dir / name
    path.parent.mkdir(parents=True, exist_ok=True)
    torch.save(content, path)
    return path


def _read(root: Path) -> tuple[dict[str, CatalogEntry], list[str]]:
    entries, problems = read_weights(CheckpointCatalog([root]).scan(), roots=[root])
    return {Path(e.path).name: e for e in entries}, problems


@pytest.fixture
def count_loads(monkeypatch: pytest.MonkeyPatch) -> list[Path]:
    """Every path torch.load is asked for, in order (it still loads)."""
    loads: list[Path] = []
    real_load = torch.load

    def counting_load(path: Path, *args: Any, **kwargs: Any) -> Any:
        loads.append(Path(path))
        return real_load(path, *args, **kwargs)

    monkeypatch.setattr(torch, "load", counting_load)
    return loads


@pytest.mark.parametrize(
    ("shapes", "encoder", "decoder"),
    [
        pytest.param({**_stem(16), **UNET, **HEAD}, "mobilenetv3_small_050", "unet", id="unet"),
        pytest.param(
            {**_stem(24), **PAN, **HEAD}, "mobilenetv3_small_075", "pan_decoder", id="pan"
        ),
        pytest.param(
            {**_stem(40), **FPN, **HEAD}, "mobilenetv3_large_100", "fpn_decoder", id="fpn"
        ),
    ],
)
def test_model_fields_come_from_the_state_dict_when_nothing_else_names_them(
    shapes: dict[str, tuple[int, ...]], encoder: str, decoder: str, run_root: Path
) -> None:
    _checkpoint(run_root, "epoch=3-step=120.ckpt", _lightning(shapes))
    before = CheckpointCatalog([run_root]).scan()
    assert (before[0].encoder, before[0].decoder, before[0].head) == (None, None, None)
    (entry,), problems = read_weights(before, roots=[run_root])
    assert problems == []
    assert (entry.architecture, entry.encoder, entry.decoder, entry.head) == (
        None,  # a state dict never names the architecture
        encoder,
        decoder,
        "db_head",
    )
    assert {key: entry.sources[key] for key in ("encoder", "decoder", "head")} == dict.fromkeys(
        ("encoder", "decoder", "head"), "state_dict"
    )
    assert entry.problems == ()


def test_epoch_step_and_metrics_are_added_only_where_the_entry_lacks_them_when_read(
    run_root: Path,
) -> None:
    content = _lightning({**_stem(16), **PAN}, epoch=7, global_step=321)
    _checkpoint(run_root, "epoch=3-step=120.ckpt", content)
    _checkpoint(run_root, "best.ckpt", content)
    entries, _ = _read(run_root)
    named = entries["epoch=3-step=120.ckpt"]
    # The file name said epoch and step: it stays the source.
    assert (named.epoch, named.step, named.sources["epoch"]) == (3, 120, "file_name")
    # Its own monitored score (not the best one), and cleval's metrics.
    assert named.metrics == {
        "val/hmean": pytest.approx(0.8),
        "recall": 0.7,
        "precision": 0.75,
        "hmean": 0.72,
    }
    stock = entries["best.ckpt"]
    assert (stock.epoch, stock.step, stock.sources["step"]) == (7, 321, "state_dict")
    assert "val/hmean" not in stock.metrics  # ModelCheckpoint never kept a file of that name


def test_compiled_models_and_resnets_are_recognised_when_read(run_root: Path) -> None:
    blocks = {
        f"model._orig_mod.encoder.model.layer{layer}.{block}.conv{conv}.weight": (8, 8, 3, 3)
        for layer in range(1, 5)
        for block in range(2)
        for conv in (1, 2)
    }
    _checkpoint(run_root, "last.ckpt", _lightning({**blocks, **UNET}))
    entries, _ = _read(run_root)
    assert (entries["last.ckpt"].encoder, entries["last.ckpt"].decoder) == ("resnet18", "unet")


def test_known_fields_are_never_replaced_when_the_weights_say_otherwise(run_root: Path) -> None:
    # The folder name says dbnet/unet/resnet34 but not the head: the file is read for it.
    weights = _lightning({**_stem(24), **PAN, **HEAD})
    _checkpoint(run_root, "last.ckpt", weights, experiment="exp-dbnet-unet-resnet34")
    entries, problems = _read(run_root)
    entry = entries["last.ckpt"]
    assert problems == []
    assert (entry.architecture, entry.encoder, entry.decoder, entry.head) == (
        "dbnet",
        "resnet34",
        "unet",
        "db_head",
    )
    assert (entry.sources["encoder"], entry.sources["head"]) == ("folder_name", "state_dict")


def test_nothing_is_loaded_when_sidecars_or_configs_already_name_the_model(
    run_root: Path, count_loads: list[Path]
) -> None:
    weights = _lightning({**_stem(16), **PAN, **HEAD})
    legacy = _checkpoint(run_root, "last.ckpt", weights)
    RunLayout(legacy.parents[1]).config_file.parent.mkdir()
    RunLayout(legacy.parents[1]).config_file.write_text(
        "model:\n  encoder: {model_name: resnet18}\n  decoder: {_target_: x.UNetDecoder}\n"
        "  head: {_target_: x.DBHead}\n"
    )
    run_dir = allocate_launch_dir(run_root, now=datetime(2025, 10, 18, 14, 3, 22))
    new = RunLayout(run_dir).checkpoint_dir / "last.ckpt"
    new.parent.mkdir(parents=True)
    torch.save(weights, new)
    golden = read_metadata(FIXTURES / "golden" / "sidecar-v1.ckpt.meta.json")
    stat = new.stat()
    update = {"file_name": new.name, "size_bytes": stat.st_size, "modified_ns": stat.st_mtime_ns}
    metadata = golden.model_copy(
        update={
            "checkpoint": golden.checkpoint.model_copy(update=update),
            "model": golden.model.model_copy(update={"decoder": None}),  # the sidecar is trusted
        }
    )
    write_metadata(new, metadata)
    entries, problems = read_weights(CheckpointCatalog([run_root]).scan(), roots=[run_root])
    assert (problems, count_loads) == ([], [])
    assert [(e.encoder, e.decoder) for e in entries] == [
        ("tiny_resnet", None),
        ("resnet18", "unet"),
    ]
    assert not (RootLayout(run_root).weights_cache_file).exists()


@pytest.mark.parametrize(
    ("trap", "named"),
    [
        pytest.param(Trap, "test_catalog_weights._write_marker", id="reduce"),
        pytest.param(StatefulTrap, "test_catalog_weights.StatefulTrap", id="setstate"),
    ],
)
def test_a_file_weights_only_refuses_is_reported_and_never_unpickled_when_read(
    trap: type[Trap | StatefulTrap], named: str, run_root: Path, tmp_path: Path
) -> None:
    marker = tmp_path / "marker"
    path = _checkpoint(run_root, "epoch=1-step=10.ckpt", _lightning(_stem(16), trap=trap(marker)))
    entries, problems = _read(run_root)
    assert not marker.exists()
    (problem,) = problems
    assert problem.startswith(f"{str(path)!r}: unsafe: needs a full unpickle, not loaded")
    assert named in problem
    assert "\n" not in problem
    entry = entries[path.name]
    assert entry.encoder is None and entry.problems == (problem,)
    # The same again from the cache: still reported, still never run.
    assert _read(run_root)[1] == problems
    assert not marker.exists()


@pytest.mark.parametrize("trap", [Trap, StatefulTrap])
def test_the_trap_is_armed_when_loaded_unsafely(
    trap: type[Trap | StatefulTrap], tmp_path: Path
) -> None:
    # Proves the test above would see a full unpickle: this one runs the code.
    marker = tmp_path / "marker"
    torch.save({"trap": trap(marker)}, tmp_path / "trap.ckpt")
    torch.load(tmp_path / "trap.ckpt", weights_only=False)  # our own file: safe to trust
    assert marker.exists()


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        pytest.param(b"", "unreadable: not loaded (neither a zip", id="empty"),
        pytest.param(b"garbage" * 50, "unreadable: not loaded (neither a zip", id="garbage"),
        pytest.param(
            b"\x80\x02garbage", "unsafe or corrupt: weights_only refused it", id="bad-pickle"
        ),
        pytest.param(None, "unreadable: not loaded (a damaged zip archive", id="truncated"),
    ],
)
def test_a_corrupt_file_is_reported_when_read(
    content: bytes | None, expected: str, run_root: Path
) -> None:
    path = _checkpoint(run_root, "epoch=1-step=10.ckpt", _lightning(_stem(16)))
    whole = path.read_bytes()
    path.write_bytes(whole[: len(whole) // 2] if content is None else content)
    entries, problems = _read(run_root)
    (problem,) = problems
    assert problem.startswith(f"{str(path)!r}: {expected}")
    assert "\n" not in problem
    assert entries[path.name].encoder is None


def test_a_file_holding_no_checkpoint_dict_is_reported_when_read(run_root: Path) -> None:
    path = _checkpoint(run_root, "last.ckpt", [torch.zeros(2)])
    (problem,) = _read(run_root)[1]
    assert problem == f"{str(path)!r}: unreadable: holds a list, not a checkpoint dict"


def test_an_old_format_file_is_read_without_mmap_when_found(run_root: Path) -> None:
    path = RunLayout(run_root / EXPERIMENT).checkpoint_dir / "last.ckpt"
    path.parent.mkdir(parents=True)
    torch.save(_lightning({**_stem(16), **FPN}), path, _use_new_zipfile_serialization=False)
    entries, problems = _read(run_root)
    assert problems == []
    assert entries["last.ckpt"].decoder == "fpn_decoder"


def test_a_second_read_loads_nothing_when_the_files_are_unchanged(
    run_root: Path, count_loads: list[Path]
) -> None:
    path = _checkpoint(run_root, "last.ckpt", _lightning({**_stem(16), **PAN}))
    first, _ = _read(run_root)
    assert count_loads == [path]
    cache_file = RootLayout(run_root).weights_cache_file
    assert str(path) in json.loads(cache_file.read_text())["files"]
    mtime = cache_file.stat().st_mtime_ns
    second, _ = _read(run_root)
    assert count_loads == [path]
    assert second == first
    assert cache_file.stat().st_mtime_ns == mtime  # nothing new: not rewritten


def test_the_cache_is_invalidated_when_a_file_changes(
    run_root: Path, count_loads: list[Path]
) -> None:
    path = _checkpoint(run_root, "last.ckpt", _lightning({**_stem(16), **PAN}))
    assert _read(run_root)[0]["last.ckpt"].decoder == "pan_decoder"
    torch.save(_lightning({**_stem(16), **UNET}), path)
    stat = path.stat()
    os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns + 1_000_000_000))
    assert _read(run_root)[0]["last.ckpt"].decoder == "unet"
    assert count_loads == [path, path]


def test_a_cached_read_needs_no_torch_when_the_files_are_unchanged(
    run_root: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _checkpoint(run_root, "last.ckpt", _lightning({**_stem(16), **PAN}))
    first, _ = _read(run_root)
    monkeypatch.setitem(sys.modules, "torch", None)  # any import of torch now fails
    assert _read(run_root)[0] == first


@pytest.mark.parametrize("damage", ["delete", "corrupt", "newer"])
def test_the_cache_is_rebuilt_when_deleted_or_unreadable(
    damage: str, run_root: Path, count_loads: list[Path], caplog: pytest.LogCaptureFixture
) -> None:
    _checkpoint(run_root, "last.ckpt", _lightning({**_stem(16), **PAN}))
    _read(run_root)
    cache_file = RootLayout(run_root).weights_cache_file
    if damage == "delete":
        cache_file.unlink()
    else:
        data = json.loads(cache_file.read_text())
        data["schema_version"] = 99
        cache_file.write_text("{not json" if damage == "corrupt" else json.dumps(data))
    assert _read(run_root)[0]["last.ckpt"].decoder == "pan_decoder"
    assert len(count_loads) == 2
    assert json.loads(cache_file.read_text())["schema_version"] == 1
    assert (damage == "delete") != ("ignoring the weights cache" in caplog.text)


def test_files_gone_from_disk_leave_the_cache_when_it_is_written(run_root: Path) -> None:
    gone = _checkpoint(run_root, "epoch=1-step=10.ckpt", _lightning(_stem(16)))
    _read(run_root)
    gone.unlink()
    _checkpoint(run_root, "epoch=2-step=20.ckpt", _lightning(_stem(24)))
    _read(run_root)
    cached = json.loads((RootLayout(run_root).weights_cache_file).read_text())
    assert [Path(path).name for path in cached["files"]] == ["epoch=2-step=20.ckpt"]


def test_a_missing_torch_is_one_clear_error_when_a_file_must_be_read(
    run_root: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _checkpoint(run_root, "last.ckpt", _lightning(_stem(16)))
    entries = CheckpointCatalog([run_root]).scan()
    monkeypatch.setitem(sys.modules, "torch", None)
    with pytest.raises(OcrError, match=r"needs torch, which is not installed.*Install torch"):
        read_weights(entries, roots=[run_root])


def test_cli_read_weights_fills_in_models_and_warns_once_per_bad_file_when_asked(
    run_root: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    _checkpoint(run_root, "epoch=3-step=120.ckpt", _lightning({**_stem(16), **PAN, **HEAD}))
    bad = _checkpoint(run_root, "last.ckpt", {"trap": Trap(tmp_path / "marker")})
    argv = ["catalog", str(run_root), "--format", "json"]
    assert main([*argv, "--encoder", "mobilenetv3_small_050"]) == 0
    assert json.loads(capsys.readouterr().out) == []
    assert main([*argv, "--read-weights", "--encoder", "mobilenetv3_small_050"]) == 0
    captured = capsys.readouterr()
    (entry,) = json.loads(captured.out)
    assert (entry["decoder"], entry["sources"]["decoder"]) == ("pan_decoder", "state_dict")
    assert captured.err.splitlines() == [
        f"ocr: warning: {str(bad)!r}: unsafe: needs a full unpickle, not loaded"
        " (it references tests.unit.test_catalog_weights._write_marker)"
    ]
    assert not (tmp_path / "marker").exists()
    argv = ["catalog", str(run_root), "--read-weights", "--sort", "val/hmean", "--ascending"]
    assert main(argv) == 0
    assert capsys.readouterr().out.splitlines()[-1] == "2 checkpoint(s)"


def test_cli_read_weights_says_install_torch_when_it_is_missing(
    run_root: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    _checkpoint(run_root, "last.ckpt", _lightning(_stem(16)))
    monkeypatch.setitem(sys.modules, "torch", None)
    assert main(["catalog", str(run_root), "--read-weights"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("ocr: error: reading checkpoint weights needs torch")
    assert "Install torch" in err and err.count("\n") == 1


def test_read_weights_reads_nothing_when_legacy_support_is_off(
    run_root: Path,
    count_loads: list[Path],
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    run_dir = allocate_launch_dir(run_root, now=datetime(2025, 10, 18, 14, 3, 22))
    checkpoint = RunLayout(run_dir).checkpoint_dir / "last.ckpt"  # new layout, no sidecar
    checkpoint.parent.mkdir(parents=True)
    torch.save(_lightning(_stem(16)), checkpoint)
    monkeypatch.setenv(LEGACY_ENV_VAR, "0")
    (entry,) = CheckpointCatalog([run_root]).scan()
    assert read_weights([entry], roots=[run_root]) == ([entry], [])
    assert main(["catalog", str(run_root), "--read-weights", "--format", "json"]) == 0
    assert count_loads == []
    captured = capsys.readouterr()
    assert json.loads(captured.out)[0]["encoder"] is None
    assert captured.err == (
        "ocr: note: --read-weights reads nothing while legacy support is off (OCR_LEGACY=0)\n"
    )


def _inflating_checkpoint(path: Path, string_bytes: int) -> None:
    """A real torch zip checkpoint whose pickle, deflated, holds a huge string.

    The file is about a thousandth of what its pickle inflates to: the issue's
    1.9 MB file that made the reader take 6 GB. Streamed: the test never holds
    the string itself.
    """
    torch.save({"state_dict": {}}, path)
    with zipfile.ZipFile(path) as plain:
        members = {info.filename: plain.read(info) for info in plain.infolist()}
    pickled = next(name for name in members if name.endswith("data.pkl"))
    chunk = b"a" * (1 << 20)
    info = zipfile.ZipInfo(pickled)
    info.compress_type = zipfile.ZIP_DEFLATED  # deflate is what makes it a bomb
    with zipfile.ZipFile(path, "w") as bomb:
        with bomb.open(info, "w", force_zip64=True) as member:
            # PROTO 2, BINUNICODE (a 4-byte length), the string, STOP
            member.write(b"\x80\x02X" + string_bytes.to_bytes(4, "little"))
            for _ in range(string_bytes // len(chunk)):
                member.write(chunk)
            member.write(b".")
        for name, data in members.items():
            if name != pickled:
                bomb.writestr(name, data)
    assert path.stat().st_size < string_bytes // 100


def test_a_checkpoint_whose_pickle_would_inflate_hugely_is_unsafe_and_not_loaded(
    run_root: Path, count_loads: list[Path]
) -> None:
    path = RunLayout(run_root / EXPERIMENT).checkpoint_dir / "epoch=1-step=10.ckpt"
    path.parent.mkdir(parents=True)
    _inflating_checkpoint(path, 80 << 20)
    entries, problems = _read(run_root)
    assert problems == [
        f"{str(path)!r}: unsafe: not loaded (its member 'epoch=1-step=10/data.pkl' declares "
        "83,886,088 bytes once inflated, more than the 67,108,864 a checkpoint's structure "
        "ever needs)"
    ]
    assert count_loads == []
    assert entries[path.name].problems == (problems[0],)
