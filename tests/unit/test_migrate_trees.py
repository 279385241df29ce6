"""Property tests of the migrator over generated legacy trees (``tests.legacy_trees``).

For every drawn tree (names with spaces, ``=``, ``,`` and non-ASCII letters,
same-named reruns, missing configs, corrupt checkpoints, links in and out of
the tree): after ``apply``, every original file's bytes are in the new tree;
the catalog finds every checkpoint; ``ocr validate`` passes; a second
``apply`` does nothing; ``rollback`` gives back the identical tree (paths,
bytes, links, file and folder mtimes), the ``outside/`` folder links point to
untouched throughout.
"""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
from hypothesis import given

from ocr.catalog import CheckpointCatalog
from ocr.compat import set_legacy_enabled
from ocr.migrate import apply_migration, rollback_migration
from ocr.validate import validate_root
from tests.legacy_trees import LegacyTree, legacy_trees, materialize
from tests.tree_snapshot import file_digests, snapshot

if TYPE_CHECKING:
    from collections.abc import Iterator


@pytest.fixture(autouse=True, scope="module")
def _legacy_support_on() -> Iterator[None]:
    set_legacy_enabled(True)
    yield
    set_legacy_enabled(None)


@given(tree=legacy_trees())
def test_migration_loses_nothing_and_rolls_back_exactly(tree: LegacyTree) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        base = Path(tmp).resolve()
        materialize(tree, base)
        root = base / "outputs"
        before = snapshot(base)
        found_before = len(CheckpointCatalog([root]).scan(index=False))

        report = apply_migration(root)

        after = snapshot(base)
        assert set(file_digests(before).values()) <= set(file_digests(after).values())
        assert report.counts.checkpoints + _links_kept(tree) >= found_before - _outside(tree)
        assert len(CheckpointCatalog([root]).scan(index=False)) == found_before
        validation = validate_root(root)
        assert validation.ok, validation.problems
        settled = snapshot(base)
        assert apply_migration(root).state == "nothing_to_do"
        assert snapshot(base) == settled

        rollback_migration(root)
        assert snapshot(base) == before


def _links_kept(tree: LegacyTree) -> int:
    return sum(checkpoint.is_link for checkpoint in tree.checkpoints)


def _outside(tree: LegacyTree) -> int:
    return len(tree.outside_checkpoint_links)
