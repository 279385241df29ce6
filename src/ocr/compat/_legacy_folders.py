"""Which folders hold a tree's legacy sweeps and W&B runs.

By default they are ``multirun/`` and ``wandb/`` beside the outputs folder,
told apart by those names; a team that kept them elsewhere or under other
names says which (``--multirun DIR``, ``--wandb DIR``).
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, NamedTuple

from ocr.compat._vocabulary import MULTIRUN_DIR_NAME, WANDB_DIR_NAME
from ocr.errors import InputPathError
from ocr.layout import resolve_user_path

if TYPE_CHECKING:
    from collections.abc import Sequence

__all__ = ["LegacyFolders"]


class LegacyFolders(NamedTuple):
    """The legacy sweep (era D) and W&B folders that go with an outputs folder.

    ``None`` means the root of that name (``multirun``, ``wandb``) among the
    roots it is used with, if any.

    Args:
        multirun: The legacy sweep folder.
        wandb: The W&B folder.
    """

    multirun: Path | None = None
    wandb: Path | None = None

    @classmethod
    def beside(cls, root: Path) -> LegacyFolders:
        """``multirun/`` and ``wandb/`` beside an outputs folder, those that are folders.

        Args:
            root: The outputs folder (absolute).

        Returns:
            The folders found (links are not taken).
        """

        def sibling(name: str) -> Path | None:
            path = root.parent / name
            return path if path != root and path.is_dir() and not path.is_symlink() else None

        return cls(sibling(MULTIRUN_DIR_NAME), sibling(WANDB_DIR_NAME))

    @staticmethod
    def linked_beside(root: Path) -> list[Path]:
        """``multirun`` and ``wandb`` beside an outputs folder that are links (never followed).

        Args:
            root: The outputs folder (absolute).

        Returns:
            The links, which :meth:`beside` leaves out: say so to the user.
        """
        return [
            path
            for path in (root.parent / MULTIRUN_DIR_NAME, root.parent / WANDB_DIR_NAME)
            if path != root and path.is_symlink()
        ]

    def tops(self, root: Path) -> list[Path]:
        """The outputs folder ``root``, then the named folders: all a scan of it walks."""
        return [root, *(folder for folder in self if folder is not None)]

    def is_multirun(self, root: Path) -> bool:
        """Whether ``root`` is the legacy sweep folder."""
        return root == self.multirun if self.multirun else root.name == MULTIRUN_DIR_NAME

    def is_wandb(self, root: Path) -> bool:
        """Whether ``root`` is the W&B folder."""
        return root == self.wandb if self.wandb else root.name == WANDB_DIR_NAME

    def wandb_among(self, roots: Sequence[Path]) -> Path | None:
        """The W&B folder: the one named, else the first of ``roots`` called ``wandb``."""
        return self.wandb or next((root for root in roots if self.is_wandb(root)), None)

    @classmethod
    def choose(cls, root: Path, *, multirun: Path | bool, wandb: Path | bool) -> LegacyFolders:
        """Resolve a user's choice of legacy folders for an outputs folder.

        Args:
            root: The outputs folder (absolute, resolved).
            multirun: ``True`` for ``multirun/`` beside the root when it is a
                folder, ``False`` for none, or the folder itself.
            wandb: The same for the W&B folder (``wandb/``).

        Returns:
            The folders, absolute and resolved (``None``: none).

        Raises:
            InputPathError: A named folder is missing, a link, or overlaps the
                root or the other folder.
        """
        beside = cls.beside(root)
        chosen = cls(
            multirun=_chosen(root, multirun, beside.multirun, "--multirun"),
            wandb=_chosen(root, wandb, beside.wandb, "--wandb"),
        )
        if chosen.multirun is not None and chosen.multirun == chosen.wandb:
            raise InputPathError(
                f"--multirun and --wandb name the same folder {str(chosen.wandb)!r}",
                fix="Give each its own folder, or leave one out with --no-multirun/--no-wandb",
                path=chosen.wandb,
            )
        return chosen


def _chosen(root: Path, choice: Path | bool, beside: Path | None, option: str) -> Path | None:
    if choice is True:
        return beside
    if choice is False:
        return None
    given = Path(choice).expanduser()
    if given.is_symlink() or not given.is_dir():
        kind = "a link" if given.is_symlink() else "not a folder"
        raise InputPathError(
            f"{option} {str(choice)!r} is {kind}",
            fix=f"Give the legacy folder itself, or leave it out with --no-{option[2:]}",
            path=given,
        )
    folder = resolve_user_path(given)
    if folder == root or folder.is_relative_to(root) or root.is_relative_to(folder):
        raise InputPathError(
            f"{option} {str(choice)!r} overlaps the output root {str(root)!r}",
            fix="Give a folder beside the output root, not in or around it",
            path=folder,
        )
    return folder
