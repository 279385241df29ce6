"""Exact pictures of folder trees (paths, bytes, mtimes, links), for comparing before and after."""

from __future__ import annotations

import hashlib
import json
import os
import stat as stat_module
import sys
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from collections.abc import Mapping

__all__ = ["Snapshot", "file_digests", "snapshot"]

Snapshot = dict[str, tuple[str, str, int]]
"""Relative POSIX path -> (kind ``d``/``f``/``l``/``s``, SHA-256 or link target, mtime in ns).

A special file (``s``: FIFO, device, socket) is pictured by its type and
device number, never opened. A name that is not UTF-8 keeps its surrogate
escapes (``os.fsencode`` gives its bytes back).
"""


def snapshot(base: Path, *, with_folder_mtimes: bool = True) -> Snapshot:
    """Picture everything under ``base``, links not followed.

    Args:
        base: The folder.
        with_folder_mtimes: Include folders' mtimes (a file's is always in).

    Returns:
        The picture.
    """
    picture: Snapshot = {}
    top = os.fspath(base)
    for current, dirs, files in os.walk(top, followlinks=False):
        for name in dirs + files:
            path = os.path.join(current, name)  # noqa: PTH118
            relative = os.path.relpath(path, top).replace(os.sep, "/")
            stat = os.lstat(path)
            if os.path.islink(path):  # noqa: PTH114
                picture[relative] = ("l", os.readlink(path), 0)  # noqa: PTH115
            elif name in dirs:
                picture[relative] = ("d", "", stat.st_mtime_ns if with_folder_mtimes else 0)
            elif not stat_module.S_ISREG(stat.st_mode):
                kind = f"{stat_module.S_IFMT(stat.st_mode):o}:{stat.st_rdev}"
                picture[relative] = ("s", kind, stat.st_mtime_ns)
            else:
                with open(path, "rb") as handle:  # noqa: PTH123
                    digest = hashlib.sha256(handle.read()).hexdigest()
                picture[relative] = ("f", digest, stat.st_mtime_ns)
    return picture


def file_digests(picture: Snapshot) -> dict[str, str]:
    """The SHA-256 of every regular file of a picture, by path."""
    return {path: digest for path, (kind, digest, _) in picture.items() if kind == "f"}


def _main(argv: list[str]) -> int:
    """``python -m tests.tree_snapshot save|check FOLDER PICTURE`` and ``same-bytes A B``.

    ``save`` writes FOLDER's picture to PICTURE (JSON); ``check`` compares FOLDER
    with a saved picture (paths, bytes, links, file and folder mtimes);
    ``same-bytes`` compares two folders' paths and file bytes. Exit 1 and one
    line per difference when they differ.
    """
    command, first, second = argv
    if command == "save":
        Path(second).write_text(json.dumps(snapshot(Path(first))))
        return 0
    if command == "check":
        saved = {path: tuple(value) for path, value in json.loads(Path(second).read_text()).items()}
        return _report(saved, snapshot(Path(first)), f"{first} against {second}")
    if command == "same-bytes":
        return _report(
            _contents(snapshot(Path(first))),
            _contents(snapshot(Path(second))),
            f"{first} and {second}",
        )
    sys.stderr.write(f"unknown command {command!r}: use save, check or same-bytes\n")
    return 2


def _contents(picture: Snapshot) -> dict[str, tuple[str, str]]:
    return {path: (kind, digest) for path, (kind, digest, _) in picture.items() if kind != "d"}


def _report(expected: Mapping[str, object], got: Mapping[str, object], what: str) -> int:
    differences = sorted(
        path for path in expected.keys() | got.keys() if expected.get(path) != got.get(path)
    )
    for path in differences:
        sys.stdout.write(f"differs: {path}: {expected.get(path)} != {got.get(path)}\n")
    sys.stdout.write(
        f"{what}: {'identical' if not differences else f'{len(differences)} differences'}\n"
    )
    return 1 if differences else 0


if __name__ == "__main__":
    sys.exit(_main(sys.argv[1:]))
