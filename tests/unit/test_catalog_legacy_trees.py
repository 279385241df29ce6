"""Property tests of the catalog over whole legacy trees (``tests.legacy_trees``).

What counts as a checkpoint of a tree, links included:

- every ``*.ckpt`` file in ``outputs/`` and in ``multirun/`` beside it;
- a ``*.ckpt`` link to a checkpoint inside the tree, as its own entry under the
  link's path, described by the folder the link sits in (scripts made
  ``best.ckpt`` links that way, and users look for them by that name);
- nothing behind a folder link (never followed, so nothing is listed twice or
  from outside), and nothing a ``*.ckpt`` link outside the tree points to.
"""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
from hypothesis import Phase, given, settings

from ocr.catalog import CatalogEntry, CheckpointCatalog
from ocr.compat import set_legacy_enabled
from ocr.compat._shared import MULTIRUN_DIR_NAME, WANDB_DIR_NAME, locate_legacy_run
from ocr.metadata import UNKNOWN_NAMES
from tests.legacy_trees import LegacyTree, legacy_trees, materialize
from tests.strategies import examples_timeout

if TYPE_CHECKING:
    from collections.abc import Iterator


@pytest.fixture(autouse=True, scope="module")
def _legacy_support_on() -> Iterator[None]:
    # Whatever the environment or an earlier test says: these trees are legacy.
    set_legacy_enabled(True)
    yield
    set_legacy_enabled(None)


def _scan(tree: LegacyTree, base: Path) -> dict[str, CatalogEntry]:
    materialize(tree, base)
    return {e.path: e for e in CheckpointCatalog([base / "outputs"]).scan()}


def _is_placeholder(name: str | None) -> bool:
    return name is not None and name.strip().lower() in UNKNOWN_NAMES


# One test per drawn tree (drawing and writing a tree costs more than checking it).
@pytest.mark.timeout(examples_timeout(1.0))
@given(tree=legacy_trees())
def test_catalog_finds_each_checkpoint_as_drawn_when_the_tree_is_legacy(tree: LegacyTree) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        base = Path(tmp).resolve()
        found = _scan(tree, base)
        assert sorted(found) == sorted(str(base / c.path) for c in tree.checkpoints)
        roots = [base / "outputs", base / MULTIRUN_DIR_NAME, base / WANDB_DIR_NAME]
        experiments = {e.folder: e for e in tree.experiments}
        for checkpoint in tree.checkpoints:
            entry = found[str(base / checkpoint.path)]
            assert entry.name is not None, entry
            names = (entry.name, entry.architecture, entry.encoder, entry.decoder, entry.head)
            assert not any(map(_is_placeholder, names)), entry
            # The name and every valid sidecar agree, so this is what they say.
            assert (entry.epoch, entry.step) == (checkpoint.epoch, checkpoint.step), entry
            expected = experiments[checkpoint.experiment]
            run = locate_legacy_run(base / checkpoint.path, roots=roots)
            assert run is not None, checkpoint
            assert (run.era, run.folder) == (expected.era, base / expected.folder), checkpoint
            config_dir = None if expected.config_dir is None else base / expected.config_dir
            assert run.config_dir == config_dir, checkpoint
            assert entry.run_dir == str(base / expected.folder), entry


@settings(max_examples=5, phases=[Phase.generate])
@given(tree=legacy_trees(outside_checkpoint_links=True))
def test_catalog_lists_no_checkpoint_link_that_leaves_the_tree(tree: LegacyTree) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        base = Path(tmp).resolve()
        found = _scan(tree, base)
        assert not {str(base / link) for link in tree.outside_checkpoint_links} & found.keys()
        assert sorted(found) == sorted(str(base / c.path) for c in tree.checkpoints)
