"""Catalog speed gates (docs/design.md, "Speed targets").

- cold scan of 10,000 checkpoints with sidecars: within 3x of a bare
  ``os.scandir`` walk that reads each sidecar's bytes;
- warm rescan of the unchanged tree: within 2x of a bare walk that only stats
  the folders;
- against the legacy discovery: at least 50x faster on checkpoints of a
  realistic few MB.

The catalog and its bare walk are timed in turns, best of several each, on a
tree flushed to disk first: on a shared machine a slow spell then hits both.

The legacy baseline does what the old picker did: a recursive ``*.ckpt``
search, then a full ``torch.load`` (``weights_only=False``) of each checkpoint
to read its ``cleval_metrics``. Its checkpoints are what Lightning saves for a
DBNet with a ResNet-18 encoder, every layer there but scaled down to 6 MB a
file: the weights and batch-norm buffers, Adam's ``exp_avg`` and
``exp_avg_sq`` for every parameter (so the file is about three times the
weights), the scheduler, the ModelCheckpoint state with its best score, the
loops; some 400 tensors each (see ``trees.make_legacy_tree``). The old picker
read them cold from disk, so before each baseline round every file is
dropped from the page cache with ``posix_fadvise(POSIX_FADV_DONTNEED)`` (the
generator fsyncs them first, so no dirty page stays behind); where that call
does not exist, the baseline reads from the cache and is only faster. The
catalog side runs as it would for a user: cold, without an index, reading no
checkpoint.
"""

from __future__ import annotations

import os
import time
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
import torch

from ocr.catalog import CatalogEntry, CheckpointCatalog
from ocr.layout import RootLayout
from tests.perf.timing import best_of, best_of_each
from tests.perf.trees import make_legacy_tree, make_sidecar_tree

if TYPE_CHECKING:
    from pytest_benchmark.fixture import BenchmarkFixture

pytestmark = pytest.mark.perf
CHECKPOINTS = 10_000
LEGACY_CHECKPOINTS = 60
LEGACY_MB = 6


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
    os.sync()  # no write-back of the new tree slowing whichever side runs first
    return root


def test_cold_scan_is_within_3x_of_a_walk_reading_sidecars(
    sidecar_tree: Path, benchmark: BenchmarkFixture
) -> None:
    assert _walk_reading_sidecars(sidecar_tree) == CHECKPOINTS

    def cold() -> list[CatalogEntry]:
        RootLayout(sidecar_tree).catalog_index_file.unlink(missing_ok=True)
        return CheckpointCatalog([sidecar_tree]).scan()

    found = len(benchmark.pedantic(cold, rounds=1, iterations=1))
    bare, ours = best_of_each(lambda: _walk_reading_sidecars(sidecar_tree), cold, repeats=7)
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
    found = benchmark.pedantic(lambda: len(catalog.scan()), rounds=1, iterations=1)
    bare, ours = best_of_each(lambda: _walk_statting_folders(sidecar_tree), catalog.scan, 9)
    benchmark.extra_info.update(bare_seconds=bare, ratio=ours / bare)
    print(
        f"\nwarm scan {ours:.3f} s vs bare walk statting folders {bare:.3f} s: {ours / bare:.2f}x"
    )
    assert found == CHECKPOINTS
    assert ours <= 2 * bare


def _legacy_discovery(root: Path) -> dict[str, float]:
    """What the old picker did: find every checkpoint, load it whole, read its hmean."""
    scores = {}
    for path in sorted(root.rglob("*.ckpt")):
        checkpoint = torch.load(path, map_location="cpu", weights_only=False)
        scores[str(path)] = float(checkpoint["cleval_metrics"]["hmean"])
    return scores


def _drop_from_page_cache(paths: list[Path]) -> None:
    if not hasattr(os, "posix_fadvise"):
        return  # not Linux: the baseline reads from the cache, and is only faster
    for path in paths:
        fd = os.open(path, os.O_RDONLY)
        try:
            os.posix_fadvise(fd, 0, 0, os.POSIX_FADV_DONTNEED)
        finally:
            os.close(fd)


def _cold_legacy_seconds(root: Path, rounds: int = 2) -> float:
    paths = sorted(root.rglob("*.ckpt"))
    timings = []
    for _ in range(rounds):
        _drop_from_page_cache(paths)
        start = time.perf_counter()
        assert len(_legacy_discovery(root)) == len(paths)
        timings.append(time.perf_counter() - start)
    return min(timings)


def test_catalog_is_50x_faster_than_the_legacy_discovery_when_checkpoints_are_realistic(
    tmp_path: Path, benchmark: BenchmarkFixture
) -> None:
    root = tmp_path / "outputs"
    make_legacy_tree(root, checkpoints=LEGACY_CHECKPOINTS, megabytes=LEGACY_MB)
    legacy = _cold_legacy_seconds(root)

    def cold() -> list[CatalogEntry]:
        RootLayout(root).catalog_index_file.unlink(missing_ok=True)
        return CheckpointCatalog([root]).scan()

    found = len(benchmark.pedantic(cold, rounds=1, iterations=1))
    ours = best_of(cold)
    benchmark.extra_info.update(legacy_seconds=legacy, speedup=legacy / ours)
    print(f"\nlegacy discovery {legacy:.3f} s vs catalog {ours:.4f} s: {legacy / ours:.0f}x faster")
    assert found == LEGACY_CHECKPOINTS
    assert legacy >= 50 * ours
