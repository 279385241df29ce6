from __future__ import annotations

import os
import threading
from typing import TYPE_CHECKING

import pytest

from ocr.atomic import atomic_write_bytes, atomic_write_json, atomic_write_text
from ocr.metadata import ModelInfo

if TYPE_CHECKING:
    from pathlib import Path


def test_write_replaces_the_file_and_leaves_no_temp_when_done(tmp_path: Path) -> None:
    target = tmp_path / "a.json"
    target.write_text("old")
    atomic_write_text(target, "new ✓")
    assert target.read_text(encoding="utf-8") == "new ✓"
    assert [p.name for p in tmp_path.iterdir()] == ["a.json"]


def test_json_write_serialises_the_model_when_given(tmp_path: Path) -> None:
    target = tmp_path / "m.json"
    atomic_write_json(target, ModelInfo(encoder="tiny_cnn"))
    assert ModelInfo.model_validate_json(target.read_text()) == ModelInfo(encoder="tiny_cnn")


def test_write_keeps_the_old_file_and_cleans_up_when_writing_fails(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    target = tmp_path / "a.bin"
    target.write_bytes(b"old")

    def broken_fsync(fd: int) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "fsync", broken_fsync)
    with pytest.raises(OSError, match="No space left"):
        atomic_write_bytes(target, b"new")
    assert target.read_bytes() == b"old"
    assert [p.name for p in tmp_path.iterdir()] == ["a.bin"]


def test_write_fails_without_a_trace_when_the_folder_is_missing(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError):
        atomic_write_bytes(tmp_path / "missing" / "a.bin", b"x")
    assert list(tmp_path.iterdir()) == []


def test_readers_see_whole_files_only_when_writers_race(tmp_path: Path) -> None:
    target = tmp_path / "a.txt"
    payloads = [bytes([65 + i]) * 200_000 for i in range(4)]
    atomic_write_bytes(target, payloads[0])
    seen: set[bytes] = set()
    stop = threading.Event()

    def read() -> None:
        while not stop.is_set():
            seen.add(target.read_bytes())

    reader = threading.Thread(target=read)
    reader.start()
    for _ in range(5):
        for payload in payloads:
            atomic_write_bytes(target, payload)
    stop.set()
    reader.join()
    assert seen <= set(payloads)


def test_new_files_get_the_umask_mode_and_keep_an_existing_mode_when_written(
    tmp_path: Path,
) -> None:
    fresh = tmp_path / "fresh.json"
    old_umask = os.umask(0o027)
    try:
        atomic_write_text(fresh, "x")
    finally:
        os.umask(old_umask)
    assert fresh.stat().st_mode & 0o777 == 0o640
    kept = tmp_path / "kept.json"
    kept.write_text("x")
    kept.chmod(0o604)
    atomic_write_text(kept, "y")
    assert kept.stat().st_mode & 0o777 == 0o604
