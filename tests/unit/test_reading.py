"""Reading files that may be hostile (``ocr._reading``): regular files only, capped, confined."""

from __future__ import annotations

import os
import pickle
import time
from typing import TYPE_CHECKING

import pytest

from ocr._reading import is_inside, read_capped, read_head, real_folders
from ocr.errors import UnsafeFileError

if TYPE_CHECKING:
    from pathlib import Path


def test_a_fifo_is_refused_at_once_when_read(tmp_path: Path) -> None:
    fifo = tmp_path / "x.ckpt.meta.json"
    os.mkfifo(fifo)
    started = time.monotonic()
    with pytest.raises(UnsafeFileError) as raised:
        read_capped(fifo, limit=100)
    assert time.monotonic() - started < 5  # no writer ever comes: never waited on
    assert str(raised.value) == (
        f"{str(fifo)!r} is a FIFO, not a regular file, so it was not read. "
        "Replace it with the file it stands for, or remove it"
    )
    assert raised.value.strerror == "a FIFO, not a regular file"
    assert isinstance(raised.value, OSError)


def test_a_link_to_a_device_is_refused_when_read(tmp_path: Path) -> None:
    link = tmp_path / "run.json"
    link.symlink_to("/dev/zero")
    with pytest.raises(UnsafeFileError, match="is a character device, not a regular file"):
        read_capped(link, limit=100)


def test_a_file_larger_than_the_cap_is_refused_without_reading_it_all(tmp_path: Path) -> None:
    huge = tmp_path / "huge.meta.json"
    with huge.open("wb") as handle:
        handle.truncate(1 << 40)  # a sparse terabyte
    with pytest.raises(UnsafeFileError) as raised:
        read_capped(huge, limit=1000)
    assert raised.value.strerror == "larger than 1,000 bytes"


def test_a_link_out_of_the_given_folders_is_refused_and_one_inside_is_read(
    tmp_path: Path,
) -> None:
    root, outside = tmp_path / "outputs", tmp_path / "outside"
    root.mkdir()
    outside.mkdir()
    (outside / "secret").write_bytes(b"not yours")
    (root / "inside").write_bytes(b"ours")
    (root / "out").symlink_to(outside / "secret")
    (root / "in").symlink_to("inside")
    inside = real_folders([root])
    assert read_capped(root / "in", limit=10, inside=inside) == b"ours"
    with pytest.raises(UnsafeFileError) as raised:
        read_capped(root / "out", limit=10, inside=inside)
    assert raised.value.strerror == "a link out of the folders being read"
    assert not is_inside(root / "out", inside)
    assert read_capped(root / "out", limit=10) == b"not yours"  # no folders given: anywhere


def test_the_head_of_a_file_is_read_and_a_fifo_refused(tmp_path: Path) -> None:
    log = tmp_path / "train.log"
    log.write_bytes(b"x" * 100)
    assert read_head(log, 10) == b"x" * 10
    os.mkfifo(tmp_path / "fifo.log")
    with pytest.raises(UnsafeFileError):
        read_head(tmp_path / "fifo.log", 10)


def test_the_error_keeps_its_reason_when_pickled(tmp_path: Path) -> None:
    error = UnsafeFileError("cause", fix="Fix it", path=tmp_path, reason="a FIFO")
    copy = pickle.loads(pickle.dumps(error))  # noqa: S301 (our own object)
    assert (copy.strerror, str(copy)) == ("a FIFO", "cause. Fix it")
