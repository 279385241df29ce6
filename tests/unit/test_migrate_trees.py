"""Property tests of the migrator over generated legacy trees (``tests.legacy_trees``).

For every drawn tree (names with spaces, ``=``, ``,`` and non-ASCII letters,
same-named reruns, missing configs, corrupt and empty checkpoints, folder
checkpoints, folders of several runs at any depth, links in and out of the
tree, aliases): the catalog lists every checkpoint; after ``apply``, every
original file's bytes are in the new tree; no timestamp folder holds another
run's ``.hydra``; the catalog finds every checkpoint; ``ocr validate``
passes; a second ``apply`` does nothing; ``rollback`` gives back the identical tree (paths,
bytes, links, file and folder mtimes), the ``outside/`` folder links point to
untouched throughout. Half the trees keep their sweeps and W&B runs under
other names (``--multirun``/``--wandb``).
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path, PurePath, PurePosixPath
from typing import TYPE_CHECKING

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ocr.catalog import CheckpointCatalog
from ocr.compat import LegacyFolders, set_legacy_enabled
from ocr.errors import RunPathParseError
from ocr.layout import parse_run_path
from ocr.migrate import apply_migration, rollback_migration
from ocr.validate import validate_root
from tests.legacy_trees import LegacyTree, legacy_trees, materialize
from tests.strategies import examples_timeout
from tests.tree_snapshot import file_digests, snapshot

if TYPE_CHECKING:
    from collections.abc import Iterator


@pytest.fixture(autouse=True, scope="module")
def _legacy_support_on() -> Iterator[None]:
    set_legacy_enabled(True)
    yield
    set_legacy_enabled(None)


@pytest.mark.timeout(examples_timeout(3.0))
@given(tree=legacy_trees(), renamed=st.booleans())
def test_migration_loses_nothing_and_rolls_back_exactly(tree: LegacyTree, renamed: bool) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        base = Path(tmp).resolve()
        materialize(tree, base)
        root = base / "outputs"
        legacy = LegacyFolders.beside(root)
        if renamed:  # a team that kept its sweeps and W&B runs under other names
            legacy = _rename_legacy_folders(base)
        before = snapshot(base)
        listed = {e.path for e in CheckpointCatalog([root], legacy=legacy).scan(index=False)}
        expected = {str(_moved(base, legacy, c.path)) for c in tree.checkpoints}
        assert expected <= listed
        found_before = len(listed)

        report = apply_migration(
            root, multirun=legacy.multirun or False, wandb=legacy.wandb or False
        )

        after = snapshot(base)
        assert set(file_digests(before).values()) <= set(file_digests(after).values())
        assert report.counts.checkpoints + _links_kept(tree) >= found_before - _outside(tree)
        assert len(CheckpointCatalog([root], legacy=legacy).scan(index=False)) == found_before
        assert _runs_in_timestamp_folders(root) == []
        validation = validate_root(root)
        assert validation.ok, validation.problems
        settled = snapshot(base)
        assert apply_migration(root).state == "nothing_to_do"
        assert snapshot(base) == settled

        rollback_migration(root)
        assert snapshot(base) == before


def _moved(base: Path, legacy: LegacyFolders, path: str) -> Path:
    """Where a drawn path is once the legacy folders were renamed (maybe)."""
    renamed = {"multirun": legacy.multirun, "wandb": legacy.wandb}
    top, _, rest = path.partition("/")
    folder = renamed.get(top)
    return folder / rest if folder is not None else base / path


def _runs_in_timestamp_folders(root: Path) -> list[str]:
    """The ``.hydra`` folders in a timestamp folder that are not its run's (or its jobs')."""
    strays = []
    for hydra in root.rglob(".hydra"):
        run = hydra.parent.relative_to(root)
        if len(run.parts) < 2 or not _is_run_path(PurePosixPath(*run.parts[:2])):
            continue  # not in a timestamp folder: left where it was, or ocr's own
        if not _is_run_path(run):
            strays.append(run.as_posix())
    return strays


def _is_run_path(relative: PurePath) -> bool:
    try:
        parse_run_path(relative)
    except RunPathParseError:
        return False
    return True


def _rename_legacy_folders(base: Path) -> LegacyFolders:
    """Move ``multirun/`` to ``old runs/sweeps`` and ``wandb/`` to ``wb``, fixing links to them."""
    moves = {base / "multirun": base / "old runs" / "sweeps", base / "wandb": base / "wb"}
    links = [path for path in base.rglob("*") if path.is_symlink()]
    written = {link: link.readlink() for link in links}
    targets = {link: Path(os.path.normpath(link.parent / to)) for link, to in written.items()}
    (base / "old runs").mkdir()
    for old, new in moves.items():
        if old.is_dir():
            old.rename(new)
    for link, target in targets.items():
        moved = next(
            (
                new / target.relative_to(old)
                for old, new in moves.items()
                if target.is_relative_to(old)
            ),
            None,
        )
        place = next(
            (new / link.relative_to(old) for old, new in moves.items() if link.is_relative_to(old)),
            link,
        )
        if moved is not None or place != link:
            absolute = written[link].is_absolute()
            place.unlink()
            new_target = moved or target
            place.symlink_to(new_target if absolute else os.path.relpath(new_target, place.parent))
    return LegacyFolders(
        multirun=moves[base / "multirun"] if moves[base / "multirun"].is_dir() else None,
        wandb=moves[base / "wandb"] if moves[base / "wandb"].is_dir() else None,
    )


def _links_kept(tree: LegacyTree) -> int:
    return sum(checkpoint.is_link for checkpoint in tree.checkpoints)


def _outside(tree: LegacyTree) -> int:
    return len(tree.outside_checkpoint_links)
