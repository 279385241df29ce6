from __future__ import annotations

from typing import TYPE_CHECKING

import pytest
import torch

from ocr.catalog import read_checkpoint
from ocr.errors import CheckpointLoadError

if TYPE_CHECKING:
    from pathlib import Path

UNREADABLE_FIX = "Copy the file again if it was cut short, or remove it"


class _Custom:
    """Not a tensor or a plain container: the weights-only loader refuses it."""


def test_read_checkpoint_gives_tensors_when_file_is_a_torch_checkpoint(tmp_path: Path) -> None:
    path = tmp_path / "a.ckpt"
    torch.save({"epoch": 3, "state_dict": {"w": torch.ones(2)}}, path)

    loaded = read_checkpoint(path)

    assert loaded["epoch"] == 3
    assert torch.equal(loaded["state_dict"]["w"], torch.ones(2))


def test_read_checkpoint_reads_a_bare_pickle_when_saved_in_the_old_format(tmp_path: Path) -> None:
    path = tmp_path / "old.ckpt"
    torch.save({"w": torch.zeros(1)}, path, _use_new_zipfile_serialization=False)

    assert torch.equal(read_checkpoint(path)["w"], torch.zeros(1))


@pytest.mark.parametrize(
    ("content", "problem", "fix"),
    [
        pytest.param(
            b"hello",
            "unreadable: not loaded (neither a zip archive nor a pickle: no torch checkpoint)",
            UNREADABLE_FIX,
            id="not-torch",
        ),
        pytest.param(
            None,
            "unsafe: needs a full unpickle, not loaded (it references "
            "tests.unit.test_catalog_checkpoint_file._Custom)",
            "Re-save its state_dict as plain tensors if you trust the file; ocr never runs a full "
            "unpickle",
            id="unsafe",
        ),
    ],
)
def test_read_checkpoint_refuses_in_one_line_when_file_is_not_safe_weights(
    tmp_path: Path, content: bytes | None, problem: str, fix: str
) -> None:
    path = tmp_path / "bad.ckpt"
    if content is None:
        torch.save({"model": _Custom()}, path)
    else:
        path.write_bytes(content)

    with pytest.raises(CheckpointLoadError) as raised:
        read_checkpoint(path)

    assert str(raised.value) == f"checkpoint {str(path)!r} cannot be loaded: {problem}. {fix}"
    assert raised.value.path == path


def test_read_checkpoint_names_the_damage_when_file_is_cut_short(tmp_path: Path) -> None:
    path = tmp_path / "cut.ckpt"
    torch.save({"state_dict": {"w": torch.ones(1000)}}, path)
    path.write_bytes(path.read_bytes()[:2000])

    with pytest.raises(CheckpointLoadError) as raised:
        read_checkpoint(path)

    assert str(raised.value).startswith(f"checkpoint {str(path)!r} cannot be loaded: unreadable: ")
    assert str(raised.value).endswith(UNREADABLE_FIX)
