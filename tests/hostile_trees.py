r"""A hypothesis strategy for legacy trees with hostile files in them, and writing one to disk.

:func:`hostile_trees` draws a :class:`~tests.legacy_trees.LegacyTree` and
then puts hostile things into it, where a reader meets them:

- a FIFO as a sidecar, a legacy sidecar, a saved config, a log, a record,
  or a file named ``*.ckpt`` (a read would wait for a writer forever);
- a link to ``/dev/zero`` or ``/dev/null`` (device nodes, never a file) as
  a sidecar or a legacy sidecar;
- JSON nested 100,000 deep as a sidecar or a legacy sidecar;
- a folder or file whose name is not UTF-8 (``b"exp\xff"``);
- a folder nobody but root may read (``chmod 000``): it counts only for a
  command run as another user (``tests.unprivileged``).

Each goes only where nothing of the tree is, so the tree stays what
:mod:`tests.legacy_trees` says it is.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import TYPE_CHECKING, Final, Literal

from hypothesis import strategies as st

from tests.legacy_trees import LegacyTree, legacy_trees, materialize

if TYPE_CHECKING:
    from pathlib import Path

__all__ = ["Hostile", "HostileTree", "hostile_trees", "materialize_hostile"]

Kind = Literal["fifo", "dev-zero", "dev-null", "deep-json", "bad-name", "unreadable"]
_DEEP: Final = b"[" * 100_000 + b"]" * 100_000
_BAD: Final = os.fsdecode(b"exp\xff")  # a name that is not UTF-8, as Python holds it


@dataclass(frozen=True)
class Hostile:
    """One hostile thing.

    Args:
        kind: What it is.
        path: POSIX path relative to the base (the name that is not UTF-8 as
            its surrogate escape).
    """

    kind: Kind
    path: str


@dataclass(frozen=True)
class HostileTree:
    """A legacy tree and the hostile things put into it."""

    tree: LegacyTree
    hostile: tuple[Hostile, ...]


def _places(tree: LegacyTree) -> dict[Kind, list[str]]:
    """Where each kind of hostile thing may go in a tree (nothing is there yet)."""
    taken = {file.path for file in tree.files} | {link.path for link in tree.links}
    checkpoints = sorted(c.path for c in tree.checkpoints if not c.is_link)
    folders = sorted(e.folder for e in tree.experiments)
    sidecars = [f"{path}.meta.json" for path in checkpoints]
    legacy = [f"{path.removesuffix('.ckpt')}.metadata.json" for path in checkpoints]
    fifos = [
        *sidecars,
        *[f"{path.removesuffix('.ckpt')}.metadata.yaml" for path in checkpoints],
        *(f"{folder}/{name}" for folder in folders for name in ("debug.log", "run.json")),
        *(f"{folder}/.hydra/launcher.yaml" for folder in folders),
        *(f"{path.rsplit('/', 1)[0]}/pipe.ckpt" for path in checkpoints),
    ]
    places: dict[Kind, list[str]] = {
        "fifo": fifos,
        "dev-zero": [*sidecars, *legacy],
        "dev-null": [*sidecars, *legacy],
        "deep-json": [*sidecars, *legacy],
        "bad-name": [
            "outputs/" + _BAD,
            *(f"{path.rsplit('/', 1)[0]}/{_BAD}.ckpt" for path in checkpoints),
        ],
        "unreadable": [f"{folder}/logs" for folder in folders],
    }
    return {
        kind: sorted({p for p in paths if p not in taken and not _under(p, taken)})
        for kind, paths in places.items()
    }


def _under(path: str, taken: set[str]) -> bool:
    return any(other.startswith(path + "/") for other in taken)


@st.composite
def hostile_trees(draw: st.DrawFn) -> HostileTree:
    """Draw a small legacy tree with one to four hostile things in it.

    Args:
        draw: Given by hypothesis.

    Returns:
        The tree and its hostile things.
    """
    tree = draw(legacy_trees())
    places = {kind: paths for kind, paths in _places(tree).items() if paths}
    chosen: dict[str, Hostile] = {}
    for kind in draw(st.lists(st.sampled_from(sorted(places)), min_size=1, max_size=4)):
        path = draw(st.sampled_from(places[kind]))
        if not any(
            path == p or path.startswith(p + "/") or p.startswith(path + "/") for p in chosen
        ):
            chosen[path] = Hostile(kind, path)
    return HostileTree(tree, tuple(chosen.values()))


def materialize_hostile(hostile: HostileTree, base: Path) -> None:
    """Write the tree under ``base``, then its hostile things.

    Args:
        hostile: The tree.
        base: An existing, empty folder.
    """
    materialize(hostile.tree, base)
    for thing in hostile.hostile:
        path = base / thing.path
        path.parent.mkdir(parents=True, exist_ok=True)
        if thing.kind == "fifo":
            os.mkfifo(path)
        elif thing.kind in ("dev-zero", "dev-null"):
            path.symlink_to(f"/dev/{thing.kind.removeprefix('dev-')}")
        elif thing.kind == "deep-json":
            path.write_bytes(_DEEP)
        elif thing.kind == "bad-name":
            if path.suffix == ".ckpt":
                path.write_bytes(b"weights")
            else:
                (path / "checkpoints").mkdir(parents=True)
                (path / "checkpoints" / "epoch=1-step=2.ckpt").write_bytes(b"weights")
        else:
            path.mkdir(exist_ok=True)
            (path / "events.out").write_bytes(b"hidden")
            path.chmod(0o000)
